/**
 * Command-line flags of `npm run flash` and `npm run monitor`: parsed and checked here (pure), so a
 * wrong one stops the tool with a message that names it, before anything is built or opened.
 */
import { boardNames } from "../build/boards";
import { DEFAULT_BAUD, portError } from "../espruino-cli";

/** A mistake in the command line: the tools print it with their usage and exit with code 2. */
export class UsageError extends Error {}

export interface MonitorOptions {
  port: string;
  baud: number;
  dryRun: boolean;
  help: boolean;
}

export interface FlashOptions extends MonitorOptions {
  board: string;
  /** Upload to RAM only (lost at reset) instead of Storage's `.bootcde`. */
  ram: boolean;
  /** Leave once the upload is done instead of staying on the console. */
  monitor: boolean;
  /** Upload this bundle instead of building the board's. */
  bundle?: string;
}

export const MONITOR_USAGE = "usage: npm run monitor -- --port <device> [--baud 115200] [--dry-run]";
export const FLASH_USAGE =
  "usage: npm run flash -- --port <device> [--board esp32] [--baud 115200] [--ram] [--no-monitor] [--bundle <file.js>] [--dry-run]";

type Spec = Record<string, "value" | "switch">;
const MONITOR_FLAGS: Spec = { "--port": "value", "--baud": "value", "--dry-run": "switch", "--help": "switch", "-h": "switch" };
const FLASH_FLAGS: Spec = { ...MONITOR_FLAGS, "--board": "value", "--ram": "switch", "--no-monitor": "switch", "--bundle": "value" };

/** `--flag value`, `--flag=value` and switches; anything else is a UsageError naming it. */
function parse(argv: string[], spec: Spec): Record<string, string | true> {
  const found: Record<string, string | true> = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const eq = arg.startsWith("--") ? arg.indexOf("=") : -1;
    const name = eq > 0 ? arg.slice(0, eq) : arg;
    const kind = spec[name];
    if (!kind) {
      throw new UsageError(
        arg.startsWith("-") ? `unknown flag "${name}" (flags: ${Object.keys(spec).join(", ")})` : `unexpected argument "${arg}"`,
      );
    }
    if (name in found) throw new UsageError(`${name} given twice`);
    if (kind === "switch") {
      if (eq > 0) throw new UsageError(`${name} takes no value`);
      found[name] = true;
    } else {
      const value = eq > 0 ? arg.slice(eq + 1) : argv[++i];
      if (value === undefined || value === "" || (eq < 0 && value.startsWith("-"))) throw new UsageError(`${name} needs a value`);
      found[name] = value;
    }
  }
  return found;
}

function common(found: Record<string, string | true>): MonitorOptions {
  const help = found["--help"] === true || found["-h"] === true;
  const port = found["--port"];
  if (typeof port !== "string") {
    if (help) return { port: "", baud: DEFAULT_BAUD, dryRun: false, help };
    throw new UsageError("--port is required, e.g. --port /dev/ttyUSB0 (docs/flashing.md: finding the serial port)");
  }
  const why = portError(port);
  if (why) throw new UsageError(`--port "${port}": ${why}`);
  const baudText = found["--baud"];
  const baud = typeof baudText === "string" ? Number(baudText) : DEFAULT_BAUD;
  if (typeof baudText === "string" && (!/^\d+$/.test(baudText) || baud < 300 || baud > 5000000)) {
    throw new UsageError(`--baud "${baudText}": expected a whole number of bits per second, like 115200`);
  }
  return { port, baud, dryRun: found["--dry-run"] === true, help };
}

export function parseMonitorOptions(argv: string[]): MonitorOptions {
  return common(parse(argv, MONITOR_FLAGS));
}

export function parseFlashOptions(argv: string[]): FlashOptions {
  const found = parse(argv, FLASH_FLAGS);
  const options = common(found);
  const board = typeof found["--board"] === "string" ? found["--board"] : "esp32";
  if (!boardNames().includes(board)) throw new UsageError(`unknown board "${board}" (boards: ${boardNames().join(", ")})`);
  const bundle = typeof found["--bundle"] === "string" ? found["--bundle"] : undefined;
  if (bundle !== undefined && !/\.js$/i.test(bundle)) throw new UsageError(`--bundle "${bundle}": expected a .js file (the CLI uploads only those)`);
  return { ...options, board, ram: found["--ram"] === true, monitor: found["--no-monitor"] !== true, bundle };
}
