/**
 * `npm run monitor -- --port /dev/ttyUSB0 [--baud 115200] [--dry-run]`: the board's console (the
 * firmware's log lines, and a prompt you can type at) through Espruino's CLI. Ctrl-C twice leaves.
 * Exit codes: 0 done, 1 the port could not be opened, 2 bad flags.
 */
import { existsSync } from "node:fs";
import { commandLine, monitorArgs } from "./espruino-cli";
import { MONITOR_USAGE, parseMonitorOptions, UsageError } from "./flash/options";
import { runEspruinoCli } from "./flash/run-cli";

async function main(argv: string[]): Promise<number> {
  const options = parseMonitorOptions(argv);
  if (options.help) {
    console.log(MONITOR_USAGE);
    return 0;
  }
  const args = monitorArgs(options.port, options.baud);
  if (options.dryRun) {
    console.log(commandLine(args));
    return 0;
  }
  if (options.port.startsWith("/dev/") && !existsSync(options.port)) {
    throw new UsageError(`--port "${options.port}": no such device (is the board plugged in? ls /dev/ttyUSB* /dev/ttyACM*)`);
  }
  console.error(`[monitor] ${options.port} at ${options.baud} baud; Ctrl-C twice leaves`);
  return runEspruinoCli(args, { upload: false, tag: "[monitor]" });
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e: unknown) => {
    if (e instanceof UsageError) {
      console.error(`[monitor] ${e.message}\n${MONITOR_USAGE}`);
      process.exit(2);
    }
    console.error(`[monitor] ${(e as Error).message ?? e}`);
    process.exit(1);
  },
);
