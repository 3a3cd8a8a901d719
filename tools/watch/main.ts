/** `npm run watch`: the live page of every device's readings and their delivery audit. */
import { HELP, parseWatchArgs, UsageError } from "./args";
import { maskUrl } from "./subscriber";
import { startWatch } from "./watch";

async function main(): Promise<void> {
  const options = parseWatchArgs(process.argv.slice(2), process.env);
  if (!options) {
    process.stdout.write(HELP);
    return;
  }
  const watch = await startWatch(options);
  console.log(
    `[watch] page on ${watch.address} (broker ${maskUrl(options.url)}, topics ${options.prefix}/#); Ctrl-C stops it`,
  );
  const stop = () => {
    watch.close().then(() => process.exit(0));
  };
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
}

main().catch((e) => {
  console.error(`[watch] ${(e as Error).message}`);
  if (e instanceof UsageError) console.error("see npm run watch -- --help");
  process.exit(e instanceof UsageError ? 2 : 1);
});
