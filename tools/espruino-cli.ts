/**
 * Argument lists for Espruino's command-line tool (npm package `espruino`, bin/espruino-cli.js):
 * pure functions, so `--dry-run` and the tests see exactly what `npm run flash` / `monitor` run.
 */
import { resolve } from "node:path";

const ROOT = new URL("../", import.meta.url).pathname;

/** The CLI installed with the project's devDependencies. */
export const ESPRUINO_CLI = resolve(ROOT, "node_modules/.bin/espruino");

/** Espruino's ESP32 build talks at 115200 baud (the CLI's own default, 9600, shows garbage). */
export const DEFAULT_BAUD = 115200;

/**
 * How the bundle is stored:
 * - "storage": written to the Storage file `.bootcde` (the CLI's "Direct to Flash",
 *   SAVE_ON_SEND=1), then `load()` restarts the interpreter, which runs `.bootcde` as at power-on.
 *   Espruino runs code that sits in Storage from flash: function bodies stay in flash instead of
 *   being copied into JsVars. Measured on Espruino 2v29 (Linux build, this firmware running and
 *   connected): 1,107 JsVars used from `.bootcde`, against 1,629 for the same bundle sent to RAM,
 *   522 fewer (~14 KB at 27 bytes a JsVar; on the ESP32 the JsVar is 14 bytes, so roughly twice as
 *   many JsVars). The ESP32 build memory-maps its Storage partition, so the same holds there.
 * - "ram": sent to RAM and run as it arrives (SAVE_ON_SEND=0): lost at the next reset or power
 *   cycle. For a quick try. Turning it into a persistent image with `save()` is no alternative:
 *   save() fires E's `kill` event, which stops this firmware (it never restarts: it has no `init`
 *   handler), the image still holds every function's text in RAM, and on the Linux build the saved
 *   image of the running firmware crashed the interpreter at the next boot.
 */
export type UploadMode = "storage" | "ram";

export interface FlashCommand {
  port: string;
  baud: number;
  /** The bundle to upload. */
  file: string;
  mode: UploadMode;
  /** Stay on the console after the upload (the CLI's terminal mode). */
  monitor: boolean;
}

/** The CLI's flags both commands share: no Bluetooth (it would reach for D-Bus), the port, the baud rate. */
function connection(port: string, baud: number): string[] {
  return ["--no-ble", "-p", port, "-b", String(baud)];
}

/**
 * Uploads `file`. No `--board`: it would make the CLI skip asking the board for `process.env`
 * (its firmware version, which decides how Storage is written, and its built-in modules, so
 * `require("net")` is not fetched from the web). The CLI sends `reset()` first (the running
 * firmware gets `kill` and leaves cleanly). `-w` keeps the CLI in terminal mode after the upload;
 * it also uploads again whenever the file changes (a rebuild in another terminal).
 */
export function flashArgs(c: FlashCommand): string[] {
  return [
    ESPRUINO_CLI,
    ...connection(c.port, c.baud),
    "--config",
    `SAVE_ON_SEND=${c.mode === "storage" ? 1 : 0}`,
    ...(c.monitor ? ["-w"] : []),
    c.file,
  ];
}

/**
 * The console (the CLI's terminal mode: Ctrl-C twice leaves). ENV_ON_CONNECT=false: a terminal
 * has no use for the board's `process.env`, whose query would echo on the console.
 */
export function monitorArgs(port: string, baud: number): string[] {
  return [ESPRUINO_CLI, ...connection(port, baud), "--config", "ENV_ON_CONNECT=false"];
}

/** One argument for a POSIX shell: as is when safe, else in single quotes. */
export function shellQuote(arg: string): string {
  return /^[\w@%+=:,./-]+$/.test(arg) ? arg : "'" + arg.replace(/'/g, "'\\''") + "'";
}

export function commandLine(argv: string[]): string {
  return argv.map(shellQuote).join(" ");
}

/**
 * Why `port` is not something the CLI can open, or "" if it is: a serial device (/dev/ttyUSB0,
 * /dev/cu.usbserial-0001, COM3) or a telnet console (tcp://host:port, Espruino's Linux build).
 * The CLI would read a value starting with "-" as a flag and one containing ".js" as the file.
 */
export function portError(port: string): string {
  if (/\.js/i.test(port)) return 'must not contain ".js" (the CLI would take it for the file to upload)';
  if (/^\/dev\/[\w.:+-]+(\/[\w.:+-]+)*$/.test(port)) return "";
  if (/^COM\d{1,3}$/i.test(port)) return "";
  if (/^tcp:\/\/[\w.-]+(:\d{1,5})?$/.test(port)) return "";
  return "expected a serial device (/dev/ttyUSB0, /dev/cu.usbserial-0001, COM3) or tcp://host:port";
}
