/**
 * Command-line flags of `npm run flash` and `npm run monitor`, parsed with node:util's parseArgs
 * and checked here (pure), so a wrong one stops the tool with a message that names it, before
 * anything is built or opened.
 */
import { parseArgs, type ParseArgsConfig } from "node:util";
import { boardNames } from "../build/boards";
import { closest } from "../build/env-file";
import { UsageError } from "../build/report";
import { DEFAULT_BAUD, portError } from "../espruino-cli";

export { UsageError } from "../build/report";

export interface MonitorOptions {
  /** undefined: the only serial port there is. */
  port?: string;
  baud: number;
  dryRun: boolean;
  help: boolean;
  /** List the serial ports and leave. */
  list: boolean;
}

export interface FlashOptions extends MonitorOptions {
  board: string;
  /** Upload to RAM only (lost at reset) instead of Storage's `.bootcde`. */
  ram: boolean;
  /** Stay on the console after the upload (only when stdin is a terminal). */
  monitor: boolean;
  /** Upload this bundle instead of building the board's. */
  bundle?: string;
}

const COMMON_HELP = `  -p, --port <device>   the board's serial port: /dev/ttyUSB0, /dev/cu.usbserial-0001, COM3, or
                        tcp://host:port (a telnet console); default: the only serial port there is
  -b, --baud <rate>     serial speed (default ${DEFAULT_BAUD}, Espruino's ESP32 console speed)
      --list            list the serial ports and leave
      --dry-run         run every check and print the espruino CLI command line; opens no port
  -h, --help            this help`;

/** What a flag mistake is followed by. */
export const usageLine = (tool: "flash" | "monitor") =>
  `usage: npm run ${tool} -- [options]   (npm run ${tool} -- --help for every option, with examples)`;

export const FLASH_USAGE = `usage: npm run flash -- [options]

Builds dist/<board>.js with the settings \`npm run build\` uses (the environment, then .env, then
the board's defaults), checks it fits the board (RAM, flash), uploads it to Storage's .bootcde
with Espruino's CLI, restarts the board and stays on its console (Ctrl-C twice leaves). When stdin
is not a terminal (a pipe, CI), it leaves after the upload and 3 s of boot lines.

options:
${COMMON_HELP}
      --board <name>    a board in boards/ (default esp32; boards: ${boardNames().join(", ")})
      --ram             upload to RAM only: runs at once, gone at the next reset
      --no-monitor      leave after the upload (and 3 s of boot lines)
      --bundle <file>   upload this .js bundle instead of building the board's

examples:
  npm run flash                                  the only serial port, board esp32
  npm run flash -- -p /dev/ttyUSB0               that port
  npm run flash -- --list                        which ports there are
  npm run flash -- -p COM3 -b 921600 --no-monitor
  npm run flash -- -p /dev/ttyUSB0 --dry-run     check everything, print the command line
  npm run flash -- -p tcp://127.0.0.1:2323 --board linux   Espruino's Linux build with --telnet

Note npm's "--": without it npm takes the flags for itself. Exit codes: 0 done, 1 the build or the
upload failed, 2 bad flags or settings. More: docs/flashing.md.`;

export const MONITOR_USAGE = `usage: npm run monitor -- [options]

The board's console through Espruino's CLI: the firmware's lines and a prompt you can type at
(Ctrl-C twice leaves). When stdin is not a terminal it only shows the lines, until it is stopped
(SIGINT or SIGTERM). It does not reset the board: press EN to see it boot.

options:
${COMMON_HELP}

examples:
  npm run monitor                                the only serial port
  npm run monitor -- -p /dev/ttyUSB0
  npm run monitor -- -p /dev/ttyUSB0 -b 115200 > console.log   record the console (stop with kill)
  npm run monitor -- --list

Exit codes: 0 done, 1 the port could not be opened, 2 bad flags. More: docs/flashing.md.`;

const MONITOR_FLAGS = {
  port: { type: "string", short: "p" },
  baud: { type: "string", short: "b" },
  list: { type: "boolean" },
  "dry-run": { type: "boolean" },
  help: { type: "boolean", short: "h" },
} as const satisfies ParseArgsConfig["options"];

const FLASH_FLAGS = {
  ...MONITOR_FLAGS,
  board: { type: "string" },
  ram: { type: "boolean" },
  "no-monitor": { type: "boolean" },
  bundle: { type: "string" },
} as const satisfies ParseArgsConfig["options"];

type Flags = Record<string, { type: "string" | "boolean"; short?: string }>;

/** parseArgs, with its errors turned into UsageErrors that name the flag (and the one meant). */
function parse(argv: string[], flags: Flags, usage: string): Record<string, string | boolean | undefined> {
  const names = Object.keys(flags).map((f) => "--" + f);
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options: flags, strict: true, allowPositionals: false, tokens: true });
  } catch (e) {
    const err = e as Error & { code?: string };
    const flag = /'(-[^' ,]+)(?:, (--[^' ]+))?/.exec(err.message);
    const shown = flag ? (flag[2] ?? flag[1]) : "";
    if (err.code === "ERR_PARSE_ARGS_UNKNOWN_OPTION") {
      const name = shown.split("=")[0];
      const near = closest(name, names);
      throw new UsageError(
        `unknown flag "${name}"${near ? ` (did you mean ${near}?)` : ""}; npm run ${usage} -- --help lists them`,
      );
    }
    if (err.code === "ERR_PARSE_ARGS_INVALID_OPTION_VALUE") {
      if (/does not take an argument/.test(err.message)) throw new UsageError(`${shown.split("=")[0]} takes no value`);
      throw new UsageError(
        `${shown} needs a value (e.g. ${shown} ${shown === "--port" ? "/dev/ttyUSB0" : shown === "--baud" ? "115200" : "<value>"})`,
      );
    }
    if (err.code === "ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL") {
      const arg = /'([^']*)'/.exec(err.message)?.[1] ?? "";
      throw new UsageError(
        `unexpected argument "${arg}"${arg.startsWith("/dev/") || /^COM\d/i.test(arg) ? ` (a port goes after -p: -p ${arg})` : ""}`,
      );
    }
    throw new UsageError(err.message);
  }
  const seen = new Set<string>();
  for (const token of parsed.tokens ?? []) {
    if (token.kind !== "option") continue;
    if (seen.has(token.name)) throw new UsageError(`--${token.name} given twice`);
    seen.add(token.name);
  }
  return parsed.values as Record<string, string | boolean | undefined>;
}

function common(found: Record<string, string | boolean | undefined>): MonitorOptions {
  const help = found.help === true;
  const port = typeof found.port === "string" ? found.port : undefined;
  if (port !== undefined) {
    const why = portError(port);
    if (why) throw new UsageError(`--port "${port}": ${why}`);
  }
  const baudText = found.baud;
  const baud = typeof baudText === "string" ? Number(baudText) : DEFAULT_BAUD;
  if (typeof baudText === "string" && (!/^\d+$/.test(baudText) || baud < 300 || baud > 5000000)) {
    throw new UsageError(`--baud "${baudText}": expected a whole number of bits per second, like 115200`);
  }
  return { port, baud, dryRun: found["dry-run"] === true, help, list: found.list === true };
}

export function parseMonitorOptions(argv: string[]): MonitorOptions {
  return common(parse(argv, MONITOR_FLAGS, "monitor"));
}

export function parseFlashOptions(argv: string[]): FlashOptions {
  const found = parse(argv, FLASH_FLAGS, "flash");
  const options = common(found);
  const board = typeof found.board === "string" ? found.board : "esp32";
  if (!boardNames().includes(board))
    throw new UsageError(`unknown board "${board}" (boards: ${boardNames().join(", ")})`);
  const bundle = typeof found.bundle === "string" ? found.bundle : undefined;
  if (bundle !== undefined && !/\.js$/i.test(bundle))
    throw new UsageError(`--bundle "${bundle}": expected a .js file (the CLI uploads only those)`);
  return { ...options, board, ram: found.ram === true, monitor: found["no-monitor"] !== true, bundle };
}

/** npm's own reading of flags given without its "--": npm_config_<name> for each of ours. */
const NPM_TAKES: [string, string][] = [
  ["npm_config_port", "--port"],
  ["npm_config_parseable", "-p"],
  ["npm_config_b", "-b"],
  ["npm_config_baud", "--baud"],
  ["npm_config_board", "--board"],
  ["npm_config_list", "--list"],
  ["npm_config_dry_run", "--dry-run"],
  ["npm_config_ram", "--ram"],
  ["npm_config_monitor", "--no-monitor"],
  ["npm_config_bundle", "--bundle"],
];

/**
 * When `npm run flash --port x` (no "--") made npm take our flags for its own config, it passes
 * them in the environment as npm_config_*: the line to say so, or "" when nothing was taken.
 */
export function npmTookFlags(tool: "flash" | "monitor", env: Record<string, string | undefined>): string {
  const taken = NPM_TAKES.filter(([key]) => env[key] !== undefined).map(([, flag]) => flag);
  if (!taken.length) return "";
  const first = taken[0] === "-p" ? "-p" : taken[0];
  return `npm took ${taken.join(", ")} for itself: write npm run ${tool} -- ${first} ... (npm passes on only what follows "--")`;
}
