/** Boards as data: boards/<name>.json names the network, the sensor driver, a size budget and setting defaults. */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

export const BOARDS_DIR = new URL("../../boards/", import.meta.url).pathname;

export interface SensorDriver {
  module: string;
  /** Why the board's sensor options are wrong, or "". */
  check(options: Record<string, unknown>): string;
  /** The shortest PUBLISH_INTERVAL_MS the sensor can honour, and why (absent: any interval). */
  minIntervalMs?: number;
  minIntervalWhy?: string;
}

/** Sensor drivers a board may name, with the options each needs checked. */
export const SENSOR_DRIVERS: Record<string, SensorDriver> = {
  ds18b20: {
    module: "firmware/sensors/ds18b20.ts",
    check: (o) => (typeof o.pin === "string" && /^D\d+$/.test(o.pin) ? "" : 'needs "pin", like "D4"'),
    // The driver answers a read that comes during a conversion with an error ("busy"): a shorter
    // interval would lose readings, not take more.
    minIntervalMs: 1000,
    minIntervalWhy: "a 12-bit conversion takes up to 750 ms, and a read never starts while one is pending",
  },
  internal: { module: "firmware/sensors/internal.ts", check: () => "" },
  simulated: {
    module: "firmware/sensors/simulated.ts",
    check: (o) =>
      typeof o.failureRate === "number" && o.failureRate >= 0 && o.failureRate <= 1 && Number.isInteger(o.seed)
        ? ""
        : 'needs "failureRate" (0..1) and an integer "seed"',
  },
};

/** Why the board's sensor cannot take a reading every `intervalMs`, or "" when it can. */
export function sensorIntervalError(board: Board, intervalMs: number): string {
  const driver = board.sensor && SENSOR_DRIVERS[board.sensor.type];
  const min = driver && driver.minIntervalMs;
  if (!min || !(intervalMs < min)) return "";
  return `${intervalMs} ms is under ${min} ms, the shortest the ${board.sensor.type} sensor allows: ${driver.minIntervalWhy}`;
}

/** Network links a board may name, and the export of firmware/network.ts that makes each. */
export const NETWORKS: Record<string, string> = { wifi: "createWifiNetwork", none: "createAlwaysUpNetwork" };

export interface Board {
  name: string;
  description: string;
  network: "wifi" | "none";
  sensor: { type: string } & Record<string, unknown>;
  /**
   * Linux build only: before a TLS connection, grow the interpreter's resizable JsVar pool by this
   * many small values. mbedtls takes two ~16 KB contiguous blocks from JsVar memory (jsvMalloc),
   * which does not grow the pool, and a failed allocation crashes 2v29 (measured). Boards with a
   * fixed pool (ESP32) leave it out.
   */
  tlsPoolGrowthVars?: number;
  /** Espruino's Storage (flash files) on this board, bytes: what the durable store may use lies within. */
  storageBytes: number;
  /** Largest minified bundle allowed, bytes (the bundle gate checks it). */
  budgetBytes: number;
  /** Setting defaults, overridden by .env and the environment. */
  defaults: Record<string, string>;
}

export function boardNames(): string[] {
  return readdirSync(BOARDS_DIR)
    .filter((f) => f.endsWith(".json"))
    .map((f) => f.slice(0, -5))
    .sort();
}

/** Reads and checks boards/<name>.json; throws an Error naming the file and the field. */
export function loadBoard(name: string): Board {
  const file = join(BOARDS_DIR, name + ".json");
  let data: Board;
  try {
    data = { ...JSON.parse(readFileSync(file, "utf8")), name };
  } catch (e) {
    throw new Error(`board "${name}": cannot read ${file}: ${(e as Error).message} (boards: ${boardNames().join(", ")})`);
  }
  const problems: string[] = [];
  if (!(data.network in NETWORKS)) problems.push(`"network" must be one of ${Object.keys(NETWORKS).join(", ")}`);
  const driver = data.sensor && SENSOR_DRIVERS[data.sensor.type];
  if (!driver) problems.push(`"sensor.type" must be one of ${Object.keys(SENSOR_DRIVERS).join(", ")}`);
  else if (driver.check(data.sensor)) problems.push(`sensor ${data.sensor.type} ${driver.check(data.sensor)}`);
  if (!(Number.isInteger(data.budgetBytes) && data.budgetBytes > 0)) problems.push(`"budgetBytes" must be a positive integer`);
  if (!(Number.isInteger(data.storageBytes) && data.storageBytes >= 131072)) problems.push(`"storageBytes" must be an integer of at least 131072 (128 KB)`);
  if (data.tlsPoolGrowthVars !== undefined && !(Number.isInteger(data.tlsPoolGrowthVars) && data.tlsPoolGrowthVars > 0)) problems.push(`"tlsPoolGrowthVars" must be a positive integer`);
  if (typeof data.defaults !== "object" || data.defaults === null) data.defaults = {};
  if (problems.length) throw new Error(`board "${name}" (${file}): ${problems.join("; ")}`);
  return data;
}
