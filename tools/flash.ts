/**
 * `npm run flash -- --port /dev/ttyUSB0 [--board esp32] [--baud 115200] [--ram] [--no-monitor]
 * [--bundle file.js] [--dry-run]`: builds the board's bundle with the settings `npm run build` uses
 * (the environment over ENV_FILE, default .env, over the board's defaults) into dist/<board>.js,
 * uploads it with Espruino's CLI into Storage's `.bootcde` (kept across power cycles, run from
 * flash: see tools/espruino-cli.ts for why not save()), restarts the board and stays on its console.
 * `--dry-run` checks the flags and settings and prints the CLI's command line, building nothing.
 * Exit codes: 0 done, 1 build or upload failed, 2 bad flags or settings.
 */
import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { loadBoard } from "./build/boards";
import { maskedUrl, rawSettings, readEnvFile, resolveSettings, SettingsError } from "./build/settings";
import { commandLine, flashArgs } from "./espruino-cli";
import { FLASH_USAGE, parseFlashOptions, UsageError } from "./flash/options";
import { runEspruinoCli } from "./flash/run-cli";

const ROOT = new URL("../", import.meta.url).pathname;
/** With --no-monitor, how long the board's boot lines are shown after the upload. */
const BOOT_LINES_MS = 3000;

/** The settings `npm run build` would use: the environment over the env file (paths from the repository root). */
function buildEnv(): Record<string, string> {
  const env = Object.fromEntries(Object.entries(process.env).filter((e): e is [string, string] => e[1] !== undefined));
  return { ...readEnvFile(resolve(ROOT, env.ENV_FILE || ".env")), ...env };
}

/** One line about what is flashed, secrets masked. Throws SettingsError naming each bad setting. */
function describeSettings(boardName: string, env: Record<string, string>): string {
  const board = loadBoard(boardName);
  const s = resolveSettings(board, rawSettings(board, env, {}));
  const wifi = s.wifiSsid === undefined ? "" : `, Wi-Fi ${JSON.stringify(s.wifiSsid)} (${s.wifiPassword ? "password ***" : "open"})`;
  return `board ${board.name}, device ${s.deviceId}, broker ${maskedUrl(s.mqttUrl)}${wifi}`;
}

async function main(argv: string[]): Promise<number> {
  const options = parseFlashOptions(argv);
  if (options.help) {
    console.log(FLASH_USAGE);
    return 0;
  }
  // npm runs scripts from the repository root; a relative --bundle is meant from where npm was typed.
  const file = options.bundle ? resolve(process.env.INIT_CWD ?? process.cwd(), options.bundle) : resolve(ROOT, `dist/${options.board}.js`);
  const args = flashArgs({ port: options.port, baud: options.baud, file, mode: options.ram ? "ram" : "storage", monitor: options.monitor });
  if (!options.bundle) {
    const env = buildEnv();
    console.error(`[flash] ${describeSettings(options.board, env)}`);
    if (!options.dryRun) {
      // Loaded only to build: rollup and its plugins take seconds to import.
      const { buildBundle } = await import("./build/build-bundle");
      const code = await buildBundle(options.board, env, file);
      console.error(`[flash] built ${file} (${code.length} bytes)`);
    }
  } else if (!options.dryRun && !existsSync(file)) {
    throw new UsageError(`--bundle "${options.bundle}": no such file`);
  }
  if (options.dryRun) {
    console.log(commandLine(args));
    return 0;
  }
  if (options.port.startsWith("/dev/") && !existsSync(options.port)) {
    throw new UsageError(`--port "${options.port}": no such device (is the board plugged in? ls /dev/ttyUSB* /dev/ttyACM*)`);
  }
  console.error(`[flash] ${options.ram ? "to RAM (lost at reset)" : "to Storage .bootcde"} via ${options.port}${options.monitor ? "; Ctrl-C twice leaves the console" : ""}`);
  return runEspruinoCli(args, { upload: true, leaveAfterUploadMs: options.monitor ? undefined : BOOT_LINES_MS, tag: "[flash]" });
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e: unknown) => {
    if (e instanceof UsageError) {
      console.error(`[flash] ${e.message}\n${FLASH_USAGE}`);
      process.exit(2);
    }
    if (e instanceof SettingsError) {
      console.error(`[flash] ${e.message}`);
      process.exit(2);
    }
    console.error(`[flash] ${(e as Error).message ?? e}`);
    process.exit(1);
  },
);
