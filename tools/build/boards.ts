/**
 * Boards as data: boards/<name>.json names the chip, the network, the sensor driver, its flash,
 * a size budget and setting defaults. BOARDS_DIR=<dir> reads the boards from another directory.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { SettingsError } from "./errors";

export const BOARDS_DIR = process.env.BOARDS_DIR ? resolve(process.env.BOARDS_DIR) + "/" : new URL("../../boards/", import.meta.url).pathname;

/** What a chip gives the firmware: its JsVar pool, and which GPIOs a sensor may use. */
export interface Chip {
  /** JsVars free to the firmware (a fixed pool); absent: the pool grows on demand. */
  jsVars?: number;
  /** Bytes per JsVar. */
  jsVarBytes?: number;
  /**
   * JsVars a TLS connection takes beside the firmware: mbedtls's two ~16 KB buffers come out of
   * JsVar memory (jsvMalloc), as contiguous blocks.
   */
  tlsJsVars: number;
  /** Where it is known, the GPIOs: those that exist, those wired to the SPI flash, input-only and strapping ones. */
  gpio?: { exists: number[]; flash: number[]; inputOnly: number[]; strapping: number[] };
  /** How its pins are named to a maker, for messages. */
  pinRanges?: string;
}

const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);
const MBEDTLS_BUFFER_BYTES = 16384;

/**
 * Chips a board may name. ESP32: about 2,500 JsVars of 14 bytes free with Wi-Fi and BLE on
 * (Espruino's ESP32 build); GPIO 0-39 without 20, 24 and 28-31; 6-11 drive the SPI flash (using
 * one crashes the chip); 34-39 are input-only (OneWire must pull the line low); 0, 2, 5, 12 and
 * 15 are read at reset (a sensor holding one can stop the boot). Linux: Espruino's Linux build,
 * whose pool grows; a TLS connection there measured 1,710 JsVars over plain TCP (one-way TLS,
 * 3,105 against 1,395) on Espruino 2v29.
 */
export const CHIPS: Record<string, Chip> = {
  esp32: {
    jsVars: 2500,
    jsVarBytes: 14,
    tlsJsVars: Math.ceil((2 * MBEDTLS_BUFFER_BYTES) / 14),
    gpio: { exists: [...range(0, 19), ...range(21, 23), ...range(25, 27), ...range(32, 39)], flash: range(6, 11), inputOnly: range(34, 39), strapping: [0, 2, 5, 12, 15] },
    pinRanges: "D0..D19, D21..D23, D25..D27, D32..D39",
  },
  linux: { tlsJsVars: 1710 },
};

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
  /** A key of CHIPS: its RAM and pins. */
  chip: string;
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

/** A board file that cannot be used: the message names the file and each field, one a line. */
export class BoardError extends SettingsError {}

/** Reads and checks boards/<name>.json; throws a BoardError naming the file and each bad field. */
export function loadBoard(name: string): Board {
  return loadBoardChecked(name).board;
}

/** loadBoard, with the warnings about the board (a strapping pin) kept. */
export function loadBoardChecked(name: string): { board: Board; warnings: string[] } {
  const file = join(BOARDS_DIR, name + ".json");
  const shown = relative(process.cwd(), file) || file;
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === "ENOENT" ? "no such board" : `cannot read it (${code ?? (e as Error).message})`;
    throw new BoardError(`board "${name}": ${shown}: ${why} (boards: ${boardNames().join(", ")})`, [`${shown}: ${why} (boards: ${boardNames().join(", ")})`]);
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (e) {
    throw new BoardError(`board "${name}": ${shown}: not JSON: ${(e as Error).message}`, [`${shown}: not JSON: ${(e as Error).message}`]);
  }
  const { problems, warnings } = boardProblems(name, data);
  if (problems.length) throw new BoardError(`board "${name}" (${shown}):\n${problems.map((p) => "  " + p).join("\n")}`, problems.map((p) => `${shown}: ${p}`));
  const board = { ...(data as Board), name };
  if (typeof board.defaults !== "object" || board.defaults === null) board.defaults = {};
  return { board, warnings: warnings.map((w) => `${shown}: ${w}`) };
}

/** What is wrong with a board file's `data` (each names its field), and what is only risky. */
export function boardProblems(name: string, data: unknown): { problems: string[]; warnings: string[] } {
  const problems: string[] = [];
  const warnings: string[] = [];
  if (typeof data !== "object" || data === null || Array.isArray(data)) return { problems: ["must be a JSON object"], warnings };
  const b = data as Partial<Board>;
  const chip = typeof b.chip === "string" ? CHIPS[b.chip] : undefined;
  if (!chip) problems.push(`chip: must be one of ${Object.keys(CHIPS).join(", ")}`);
  if (!(typeof b.network === "string" && b.network in NETWORKS)) problems.push(`network: must be one of ${Object.keys(NETWORKS).join(", ")}`);
  const driver = b.sensor && typeof b.sensor === "object" ? SENSOR_DRIVERS[b.sensor.type] : undefined;
  if (!driver) problems.push(`sensor.type: must be one of ${Object.keys(SENSOR_DRIVERS).join(", ")}`);
  else if (driver.check(b.sensor!)) problems.push(`sensor: ${b.sensor!.type} ${driver.check(b.sensor!)}`);
  else if (b.sensor!.type === "ds18b20" && chip) {
    const pin = b.sensor!.pin as string;
    const why = pinError(pin, chip, b.chip!);
    if (why) problems.push(`sensor.pin: ${pin} ${why}`);
    else if (chip.gpio?.strapping.includes(Number(pin.slice(1)))) {
      warnings.push(`sensor.pin: ${pin} is a strapping pin (read at reset: a sensor holding it low can stop the ${b.chip} from booting); D4, D13, D14, D16..D19, D21..D23, D25..D27, D32, D33 are safe`);
    }
  }
  if (!(Number.isInteger(b.budgetBytes) && b.budgetBytes! > 0)) problems.push(`budgetBytes: must be a positive integer`);
  if (!(Number.isInteger(b.storageBytes) && b.storageBytes! >= 131072)) problems.push(`storageBytes: must be an integer of at least 131072 (128 KB)`);
  if (b.tlsPoolGrowthVars !== undefined && !(Number.isInteger(b.tlsPoolGrowthVars) && b.tlsPoolGrowthVars > 0)) problems.push(`tlsPoolGrowthVars: must be a positive integer`);
  if (b.defaults !== undefined && (typeof b.defaults !== "object" || b.defaults === null)) problems.push(`defaults: must be an object of setting names to strings`);
  void name; // the board's name: for messages that may need it
  return { problems, warnings };
}

/** Why `pin` ("D<n>") cannot carry a OneWire bus on `chip`, or "". */
function pinError(pin: string, chip: Chip, chipName: string): string {
  const gpio = chip.gpio;
  if (!gpio) return "";
  const n = Number(pin.slice(1));
  if (!gpio.exists.includes(n)) return `is no such pin on the ${chipName} (it has ${chip.pinRanges})`;
  if (gpio.flash.includes(n)) return `is one of the ${chipName}'s flash pins (D${gpio.flash[0]}..D${gpio.flash.at(-1)}, wired to its SPI flash: using one crashes it)`;
  if (gpio.inputOnly.includes(n)) return `is input-only (D${gpio.inputOnly[0]}..D${gpio.inputOnly.at(-1)} on the ${chipName}): OneWire must drive the line low`;
  return "";
}
