/**
 * What the benchmark files share: the bundle they build, the options main.ts passes them, what
 * they read at the proxy, and how each runs by itself.
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { buildBundle } from "../build/build-bundle";
import type { TcpProxy } from "../support/tcp-proxy";
import type { Broker } from "./broker";
import { formatRows, type BenchRow } from "./table";

/** The repository's root, with a trailing slash. */
export const REPO_ROOT = fileURLToPath(new URL("../../", import.meta.url));

/** What main.ts passes every benchmark that runs the firmware. */
export interface BenchOptions {
  /** Espruino's Linux interpreter (ESPRUINO); without it, its figures say "needs ESPRUINO". */
  espruino?: string;
  broker: Broker;
  /** The table's heading for the rows (main.ts sets its own). */
  group?: string;
}

/** A fresh temporary directory, its name beginning with `prefix`. */
export function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/**
 * The `linux` bundle built into a fresh temporary directory, for the broker on 127.0.0.1:`port`
 * (or the bench's proxy in front of it), as `deviceId`, with `settings` on top: its path and text.
 */
export async function buildLinuxBundle(
  port: number,
  deviceId: string,
  settings: Record<string, string>,
): Promise<{ file: string; code: string }> {
  const file = join(tempDir(`${deviceId}-`), "linux.js");
  const code = await buildBundle(
    "linux",
    { MQTT_URL: `mqtt://127.0.0.1:${port}`, DEVICE_ID: deviceId, ...settings },
    file,
  );
  return { file, code };
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** The firmware's readings go to `<prefix>/<device>/temperature`; its status and the rest elsewhere. */
const READING_TOPIC = /\/temperature$/;

/** The PUBACKs of readings the proxy has seen, in order (not those of the status or discovery). */
export function readingAcks(stats: TcpProxy["stats"]): TcpProxy["stats"]["acks"] {
  return stats.acks.filter((a) => READING_TOPIC.test(a.topic));
}

/** Whether the file at `moduleUrl` is the script node was started with (`npx tsx tools/bench/x.ts`). */
export function isEntryPoint(moduleUrl: string): boolean {
  return !!process.argv[1] && resolve(process.argv[1]) === fileURLToPath(moduleUrl);
}

/**
 * When the file at `moduleUrl` is the script node was started with (not main.ts): starts a
 * broker, prints the rows `bench` measures with it as a table, stops the broker and ends the
 * process (an interpreter or socket left behind would keep it).
 */
export async function runAlone(moduleUrl: string, bench: (broker: Broker) => Promise<BenchRow[]>): Promise<void> {
  if (!isEntryPoint(moduleUrl)) return;
  // Loaded here: the files that only want the helpers above need no broker.
  const { startBroker } = await import("./broker");
  const broker = await startBroker();
  try {
    console.log(formatRows(await bench(broker)));
  } finally {
    await broker.stop();
  }
  process.exit(0);
}

/** runAlone for a benchmark that needs no broker: the rows printed as a table. */
export async function printAlone(moduleUrl: string, bench: () => Promise<BenchRow[]>): Promise<void> {
  if (isEntryPoint(moduleUrl)) console.log(formatRows(await bench()));
}
