/**
 * `npm run monitor -- [-p <port>] [-b <baud>] [--list] [--dry-run] [--help]`: the board's console
 * (the firmware's log lines, and a prompt you can type at when stdin is a terminal) through
 * Espruino's CLI. Ctrl-C twice leaves; SIGINT or SIGTERM sent to it (or to npm) stop it and the
 * CLI. Without --port it takes the only serial port. Exit codes: 0 done, 1 the port could not be
 * opened, 2 bad flags. It also holds what `npm run flash` shares with it: --help, --list, the only
 * port, the exit.
 */
import { existsSync, realpathSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { reportError } from "./build/report";
import { commandLine, monitorArgs } from "./espruino-cli";
import {
  MONITOR_USAGE,
  npmTookFlags,
  parseMonitorOptions,
  UsageError,
  usageLine,
  type MonitorOptions,
} from "./flash/options";
import { formatPorts, listPorts, pickPort } from "./flash/ports";
import { runEspruinoCli } from "./flash/run-cli";

const TAG = "[monitor]";

/**
 * What `npm run monitor` and `npm run flash` do first: refuse flags npm took for itself and parse
 * the rest; --help prints `usage`, --list the serial ports. The options, or the exit code when
 * that was all there was to do.
 */
export async function commandOptions<O extends MonitorOptions>(
  tool: "flash" | "monitor",
  argv: string[],
  parse: (argv: string[]) => O,
  usage: string,
): Promise<O | number> {
  const took = npmTookFlags(tool, process.env);
  if (took) throw new UsageError(took);
  const options = parse(argv);
  if (options.help) {
    console.log(usage);
    return 0;
  }
  if (options.list) {
    const ports = await listPorts();
    console.log(
      ports.length ? formatPorts(ports) : "no serial ports found (is the board plugged in, with a data cable?)",
    );
    return ports.length ? 0 : 1;
  }
  return options;
}

/** The only serial port there is, said aloud; none or several: a UsageError listing them. */
export async function onlyPort(tag: string): Promise<string> {
  const ports = await listPorts();
  const port = pickPort(ports);
  console.error(
    `${tag} using the only serial port, ${port}${ports[0].description ? ` (${ports[0].description})` : ""}`,
  );
  return port;
}

/** `main` on the command line's arguments; the process exits with its code, or says why it failed. */
export function runCommand(tool: "flash" | "monitor", tag: string, main: (argv: string[]) => Promise<number>): void {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (e: unknown) => {
      if (e instanceof UsageError) e.usage ??= usageLine(tool);
      process.exit(reportError(tag, e));
    },
  );
}

async function main(argv: string[]): Promise<number> {
  const options = await commandOptions("monitor", argv, parseMonitorOptions, MONITOR_USAGE);
  if (typeof options === "number") return options;
  const port = options.port ?? (await onlyPort(TAG));
  const args = monitorArgs(port, options.baud);
  if (options.dryRun) {
    console.log(commandLine(args));
    return 0;
  }
  if (port.startsWith("/dev/") && !existsSync(port)) {
    throw new UsageError(`--port "${port}": no such device (is the board plugged in? npm run monitor -- --list)`);
  }
  const interactive = process.stdin.isTTY === true;
  console.error(
    `${TAG} ${port} at ${options.baud} baud; ` +
      (interactive
        ? "Ctrl-C twice leaves"
        : "stdin is not a terminal: the console's lines only, no prompt; stop with SIGINT or SIGTERM"),
  );
  return runEspruinoCli(args, { upload: false, interactive, tag: TAG });
}

// Run as `npm run monitor`, not when tools/flash.ts imports the functions above.
if (process.argv[1] && realpathSync(process.argv[1]) === realpathSync(fileURLToPath(import.meta.url)))
  runCommand("monitor", TAG, main);
