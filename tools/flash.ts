/**
 * `npm run flash -- [-p <port>] [-b <baud>] [--board esp32] [--ram] [--no-monitor] [--bundle f.js]
 * [--list] [--dry-run] [--help]`: checks and builds the board's bundle with the settings
 * `npm run build` uses (the environment over ENV_FILE, default .env, over the board's defaults)
 * into dist/<board>.js, uploads it with Espruino's CLI into Storage's `.bootcde` (kept across power
 * cycles, run from flash: see tools/espruino-cli.ts for why not save()), restarts the board and
 * stays on its console when stdin is a terminal. Without --port it takes the only serial port.
 * `--dry-run` runs every check the build makes (tools/build/plan.ts) and prints the CLI's command
 * line, building and opening nothing. Exit codes: 0 done, 1 build or upload failed, 2 bad flags
 * or settings.
 */
import { existsSync, statSync } from "node:fs";
import { resolve } from "node:path";
import { formatBudget } from "./build/budget";
import { planBoard, type BoardPlan } from "./build/plan";
import { loadEnv, maskedUrl } from "./build/settings";
import { commandLine, flashArgs } from "./espruino-cli";
import { FLASH_USAGE, parseFlashOptions, UsageError } from "./flash/options";
import { runEspruinoCli } from "./flash/run-cli";
import { commandOptions, onlyPort, runCommand } from "./monitor";

const ROOT = new URL("../", import.meta.url).pathname;
const TAG = "[flash]";
/** Without the console, how long the board's boot lines are shown after the upload. */
const BOOT_LINES_MS = 3000;

/** One line about what is flashed, secrets masked. */
function describe(plan: BoardPlan): string {
  const s = plan.settings;
  const wifi =
    s.wifiSsid === undefined
      ? ""
      : `, Wi-Fi ${JSON.stringify(s.wifiSsid)} (${s.wifiPassword ? "password ***" : "open"})`;
  return `board ${plan.board.name}, device ${s.deviceId}, broker ${maskedUrl(s.mqttUrl)}${wifi}`;
}

async function main(argv: string[]): Promise<number> {
  const options = await commandOptions("flash", argv, parseFlashOptions, FLASH_USAGE);
  if (typeof options === "number") return options;
  const monitor = options.monitor && process.stdin.isTTY === true;
  if (options.monitor && !monitor)
    console.error(
      `${TAG} stdin is not a terminal: no console; leaving after the upload and ${BOOT_LINES_MS / 1000} s of boot lines`,
    );

  // npm runs scripts from the repository root; a relative --bundle is meant from where npm was typed.
  const file = options.bundle
    ? resolve(process.env.INIT_CWD ?? process.cwd(), options.bundle)
    : resolve(ROOT, `dist/${options.board}.js`);
  let plan: BoardPlan | undefined;
  let envValues: Record<string, string> = {};
  if (!options.bundle) {
    const env = loadEnv(process.env, ROOT);
    for (const w of env.warnings) console.error(`${TAG} warning: ${w}`);
    envValues = env.values;
    plan = planBoard(options.board, process.env, { envFile: envValues, fromRam: options.ram });
    for (const w of plan.warnings) console.error(`${TAG} warning: ${w}`);
    console.error(`${TAG} ${describe(plan)}`);
    for (const line of formatBudget(plan.budget)) console.error(`${TAG} ${plan.board.name}  ${line}`);
  } else if (!options.dryRun && !existsSync(file)) {
    throw new UsageError(`--bundle "${options.bundle}": no such file`);
  }

  const port = options.port ?? (await onlyPort(TAG));
  const args = flashArgs({ port, baud: options.baud, file, mode: options.ram ? "ram" : "storage", monitor });
  if (options.dryRun) {
    console.log(commandLine(args));
    return 0;
  }
  if (port.startsWith("/dev/") && !existsSync(port)) {
    throw new UsageError(`--port "${port}": no such device (is the board plugged in? npm run flash -- --list)`);
  }
  if (plan) {
    // Loaded only to build: rollup and its plugins take seconds to import.
    const { buildBundle } = await import("./build/build-bundle");
    const code = await buildBundle(options.board, { ...envValues, ...definedEnv() }, file);
    const built = planBoard(options.board, process.env, {
      envFile: envValues,
      fromRam: options.ram,
      bundleBytes: Buffer.byteLength(code, "latin1"),
    });
    console.error(`${TAG} built ${file} (${code.length.toLocaleString("en-US")} bytes)`);
    console.error(`${TAG} ${built.board.name}  ${formatBudget(built.budget)[1]}`);
  }
  console.error(
    `${TAG} ${options.ram ? "to RAM (lost at reset)" : "to Storage .bootcde"} via ${port}${monitor ? "; Ctrl-C twice leaves the console" : ""}`,
  );
  return runEspruinoCli(args, {
    upload: true,
    leaveAfterUploadMs: monitor ? undefined : BOOT_LINES_MS,
    interactive: monitor,
    tag: TAG,
    progress: { bytes: statSync(file).size, port, baud: options.baud },
  });
}

function definedEnv(): Record<string, string> {
  return Object.fromEntries(Object.entries(process.env).filter((e): e is [string, string] => e[1] !== undefined));
}

runCommand("flash", TAG, main);
