/**
 * `npm start`: the whole firmware on this machine, no board needed. Builds the `linux` board
 * against an embedded broker (aedes), prints what a subscriber receives, and runs the bundle on
 * Espruino's Linux interpreter (ESPRUINO=/path/to/espruino) or in the host runtime.
 * Ctrl-C stops it cleanly: the firmware says `offline` and disconnects, so no Will is sent.
 */
import { resolve } from "node:path";
import { startEmbeddedBroker } from "./broker";
import { buildBundle } from "./build/build-bundle";
import { readEnvFile } from "./build/settings";
import { runFirmware } from "./firmware-runner";
import { DEFAULT_PORT } from "./watch/args";
import { startWatch, type Watch } from "./watch/watch";

const ROOT = new URL("../", import.meta.url).pathname;

async function main(): Promise<void> {
  const broker = await startEmbeddedBroker(Number(process.env.BROKER_PORT || 0));
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

  const settings = { ...readEnvFile(resolve(ROOT, ".env")), ...(process.env as Record<string, string>) };
  settings.MQTT_URL = `mqtt://127.0.0.1:${broker.port}`;
  const watch = await startWatchPage(broker.port, settings.TOPIC_PREFIX || "sensors");
  const file = resolve(ROOT, "dist/linux.js");
  const code = await buildBundle("linux", settings, file);
  console.log(`[start] built dist/linux.js (${code.length} bytes)`);

  const firmware = runFirmware(file, { console: (line) => console.log(line) });
  console.log(`[start] running on the ${firmware.runtime}; Ctrl-C stops it cleanly`);
  let stopping = false;
  const shutdown = async () => {
    if (stopping) return;
    stopping = true;
    console.log("[start] stopping: the firmware publishes offline and disconnects");
    await firmware.stop();
    await watch?.close();
    await broker.close();
    process.exit(0);
  };
  process.on("SIGINT", shutdown);
  process.on("SIGTERM", shutdown);
  await firmware.exited;
  if (!stopping) {
    console.log("[start] the firmware exited");
    await watch?.close();
    await broker.close();
    process.exit(1);
  }
}

/** The watch page (npm run watch) on the embedded broker; the subscriber lines above already show
 * each message, so it prints only its warnings. A busy port costs the page, not the run. */
async function startWatchPage(port: number, prefix: string): Promise<Watch | undefined> {
  const options = { url: `mqtt://127.0.0.1:${port}`, prefix, port: Number(process.env.WATCH_PORT || DEFAULT_PORT), history: 50_000, lateAfterS: 30 };
  try {
    const watch = await startWatch(options, (line, level) => level !== "info" && console.log(line));
    console.log(`[start] watch page on ${watch.address}`);
    return watch;
  } catch (e) {
    console.log(`[start] no watch page: ${(e as Error).message} (set WATCH_PORT)`);
    return undefined;
  }
}

main().catch((e) => {
  console.error("[start] " + ((e as Error).message || e));
  process.exit(1);
});
