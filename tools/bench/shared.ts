/** What the benchmark files share: the bundle they build, and how each runs by itself. */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { buildBundle } from "../build/build-bundle";
import { startBroker, type Broker } from "./broker";
import { formatRows, type BenchRow } from "./table";

/**
 * The `linux` bundle built into a fresh temporary directory, for the broker on 127.0.0.1:`port`
 * (or the bench's proxy in front of it), as `deviceId`, with `settings` on top: its path and text.
 */
export async function buildLinuxBundle(
  port: number,
  deviceId: string,
  settings: Record<string, string>,
): Promise<{ file: string; code: string }> {
  const file = join(mkdtempSync(join(tmpdir(), `${deviceId}-`)), "linux.js");
  const code = await buildBundle(
    "linux",
    { MQTT_URL: `mqtt://127.0.0.1:${port}`, DEVICE_ID: deviceId, ...settings },
    file,
  );
  return { file, code };
}

/**
 * When the file at `moduleUrl` is the script node was started with (`npx tsx tools/bench/x.ts`,
 * not main.ts): starts a broker, prints the rows `bench` measures with it as a table, stops the
 * broker and ends the process (an interpreter or socket left behind would keep it).
 */
export async function runAlone(moduleUrl: string, bench: (broker: Broker) => Promise<BenchRow[]>): Promise<void> {
  if (!process.argv[1] || resolve(process.argv[1]) !== fileURLToPath(moduleUrl)) return;
  const broker = await startBroker();
  try {
    console.log(formatRows(await bench(broker)));
  } finally {
    await broker.stop();
  }
  process.exit(0);
}
