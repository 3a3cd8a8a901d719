/**
 * `npm run monitor -- [-p <port>] [-b <baud>] [--list] [--dry-run] [--help]`: the board's console
 * (the firmware's log lines, and a prompt you can type at when stdin is a terminal) through
 * Espruino's CLI. Ctrl-C twice leaves; SIGINT or SIGTERM sent to it (or to npm) stop it and the
 * CLI. Without --port it takes the only serial port. Exit codes: 0 done, 1 the port could not be
 * opened, 2 bad flags.
 */
import { existsSync } from "node:fs";
import { reportError } from "./build/report";
import { commandLine, monitorArgs } from "./espruino-cli";
import { MONITOR_USAGE, npmTookFlags, parseMonitorOptions, UsageError, usageLine } from "./flash/options";
import { formatPorts, listPorts, pickPort } from "./flash/ports";
import { runEspruinoCli } from "./flash/run-cli";

const TAG = "[monitor]";

async function main(argv: string[]): Promise<number> {
  const took = npmTookFlags("monitor", process.env);
  if (took) throw new UsageError(took);
  const options = parseMonitorOptions(argv);
  if (options.help) {
    console.log(MONITOR_USAGE);
    return 0;
  }
  if (options.list) {
    const ports = await listPorts();
    console.log(
      ports.length ? formatPorts(ports) : "no serial ports found (is the board plugged in, with a data cable?)",
    );
    return ports.length ? 0 : 1;
  }
  let port = options.port;
  if (port === undefined) {
    const ports = await listPorts();
    port = pickPort(ports);
    console.error(
      `${TAG} using the only serial port, ${port}${ports[0].description ? ` (${ports[0].description})` : ""}`,
    );
  }
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

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e: unknown) => {
    if (e instanceof UsageError) e.usage ??= usageLine("monitor");
    process.exit(reportError(TAG, e));
  },
);
