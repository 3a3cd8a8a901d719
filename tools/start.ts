/**
 * `npm start`: the whole firmware on this machine, no board needed. Builds the `linux` board
 * against an embedded broker (aedes), prints what a subscriber receives, and runs the bundle on
 * Espruino's Linux interpreter (ESPRUINO=/path/to/espruino) or in the host runtime.
 * Ctrl-C, or SIGINT / SIGTERM sent to it or to npm (`exec` in package.json makes this node process
 * the one npm started), stops it as a `reset()` stops a board: Espruino's `kill`, then the sockets
 * close and the broker's Will says `offline`; nothing is left running. A second signal ends it at once. Exit codes: 0 stopped, 1 the
 * firmware exited or something failed, 2 bad settings or an ESPRUINO that cannot run.
 */
import { resolve } from "node:path";
import { startEmbeddedBroker } from "./broker";
import { buildBundle } from "./build/build-bundle";
import { EXIT_USAGE, reportError } from "./build/report";
import { loadEnv } from "./build/settings";
import { espruinoProblem } from "./espruino-binary";
import { runFirmware, type RunningFirmware } from "./firmware-runner";
import { DEFAULT_PORT } from "./watch/args";
import { startWatch, type Watch } from "./watch/watch";

const ROOT = new URL("../", import.meta.url).pathname;

/** What a signal has to stop, as it comes up. */
const running: { broker?: { close(): Promise<void> }; watch?: Watch; firmware?: RunningFirmware } = {};
/** When the first signal came (0: none yet). */
let stoppingSince = 0;
/**
 * A terminal's Ctrl-C reaches this process twice: from the terminal (the whole process group) and
 * from npm, which forwards it. Both come within milliseconds; a second press comes later.
 */
const SAME_PRESS_MS = 500;

async function shutdown(signal: NodeJS.Signals): Promise<void> {
  if (stoppingSince) {
    if (Date.now() - stoppingSince < SAME_PRESS_MS) return;
    console.log(`[start] ${signal} again: stopping at once`);
    running.firmware?.kill();
    process.exit(1);
  }
  stoppingSince = Date.now();
  console.log(
    `[start] stopping (${signal})${running.firmware ? ": the firmware's socket closes, the broker's Will says offline" : ""}`,
  );
  await running.firmware?.stop();
  await running.watch?.close();
  await running.broker?.close();
  process.exit(0);
}

async function main(): Promise<void> {
  process.on("SIGINT", shutdown);
  process.on("SIGTERM", shutdown);
  const espruino = process.env.ESPRUINO;
  const notRunnable = espruino && espruinoProblem(espruino);
  if (notRunnable) {
    console.error(`[start] ${notRunnable}`);
    process.exit(EXIT_USAGE);
  }
  const env = loadEnv(process.env, ROOT);
  for (const w of env.warnings) console.error(`[start] warning: ${w}`);
  const broker = await startEmbeddedBroker(Number(process.env.BROKER_PORT || 0));
  running.broker = broker;
  console.log(`[start] embedded broker (aedes) on mqtt://127.0.0.1:${broker.port}`);
  broker.aedes.subscribe(
    "#",
    (packet, done) => {
      if (!packet.topic.startsWith("$SYS")) {
        console.log(`[subscriber] ${packet.topic} ${packet.payload.toString()}${packet.retain ? " (retained)" : ""}`);
      }
      done();
    },
    () => {},
  );

  const settings = { ...env.values, ...(process.env as Record<string, string>) };
  settings.MQTT_URL = `mqtt://127.0.0.1:${broker.port}`;
  const watch = await startWatchPage(broker.port, settings.TOPIC_PREFIX || "sensors");
  running.watch = watch;
  const file = resolve(ROOT, "dist/linux.js");
  const code = await buildBundle("linux", settings, file);
  console.log(`[start] built dist/linux.js (${code.length} bytes)`);
  if (stoppingSince) return;

  const firmware = runFirmware(file, { console: (line) => console.log(line) });
  running.firmware = firmware;
  console.log(`[start] running on the ${firmware.runtime}; Ctrl-C stops it cleanly`);
  await firmware.exited;
  if (!stoppingSince) {
    console.log("[start] the firmware exited");
    await watch?.close();
    await broker.close();
    process.exit(1);
  }
}

/** The watch page (npm run watch) on the embedded broker; the subscriber lines above already show
 * each message, so it prints only its warnings. A busy port costs the page, not the run. */
async function startWatchPage(port: number, prefix: string): Promise<Watch | undefined> {
  const options = {
    url: `mqtt://127.0.0.1:${port}`,
    prefix,
    port: Number(process.env.WATCH_PORT || DEFAULT_PORT),
    history: 50_000,
    lateAfterS: 30,
  };
  try {
    const watch = await startWatch(options, (line, level) => level !== "info" && console.log(line));
    console.log(`[start] watch page on ${watch.address}`);
    return watch;
  } catch (e) {
    console.log(`[start] no watch page: ${(e as Error).message} (set WATCH_PORT)`);
    return undefined;
  }
}

main().catch(async (e: unknown) => {
  const code = reportError("[start]", e);
  await running.watch?.close();
  await running.broker?.close();
  process.exit(code);
});
