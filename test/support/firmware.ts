/**
 * The built `linux` firmware for end-to-end tests: built with the test's settings, then run on
 * Espruino's real Linux interpreter when ESPRUINO is set, or in the host runtime otherwise.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildBundle } from "../../tools/build/build-bundle";
import { recordConsole, runFirmware, type RunningFirmware } from "../../tools/firmware-runner";

export interface Device {
  firmware: RunningFirmware;
  /** Console lines so far. */
  lines: string[];
  /**
   * The first console line so far or to come that matches; rejects after `timeoutMs`, or once the
   * firmware has exited without one.
   */
  waitForLine(pattern: RegExp, timeoutMs?: number): Promise<string>;
}

/**
 * Whether ESPRUINO's JsVar pool is fixed and small (the 2,500-variable build an ESP32 stands for):
 * it cannot grow past 6,000 variables. False for the host runtime and the normal Linux build.
 */
export function smallFixedPool(): boolean {
  const espruino = process.env.ESPRUINO;
  if (!espruino) return false;
  const r = spawnSync(
    espruino,
    ["-e", 'var a=[];for(var i=0;i<6000;i++)a.push(i);print("<<total>>"+process.memory().total)'],
    { input: "", timeout: 10000, killSignal: "SIGKILL", encoding: "latin1" },
  );
  const total = Number(/<<total>>(\d+)/.exec(r.stdout ?? "")?.[1] ?? 0);
  return total < 6000;
}

/** Where the bundle runs, for test titles and notes. */
export const RUNTIME = process.env.ESPRUINO ? `Espruino (${process.env.ESPRUINO}, from flash)` : "host runtime";

/** Built with LOG_LEVEL=debug unless `settings` say otherwise: the tests read the per-packet lines. */
export async function buildLinux(settings: Record<string, string>): Promise<string> {
  const file = join(mkdtempSync(join(tmpdir(), "bundle-")), "linux.js");
  await buildBundle("linux", { LOG_LEVEL: "debug", ...settings }, file);
  return file;
}

/**
 * `cwd`: the device's flash directory (kept across runs: a restart after a power cut); `espruino`:
 * the interpreter, instead of ESPRUINO; `echo`: console lines printed too (default: ECHO set).
 */
export function runDevice(
  file: string,
  { cwd, espruino, echo = !!process.env.ECHO }: { cwd?: string; espruino?: string; echo?: boolean } = {},
): Device {
  const lines: string[] = [];
  const { firmware, waitFor } = recordConsole((espruino ?? process.env.ESPRUINO) || "the host runtime", (record) =>
    runFirmware(file, {
      cwd,
      espruino,
      console: (line, at) => {
        lines.push(line);
        record(line, at);
        if (echo) console.log(line);
      },
    }),
  );
  return {
    firmware,
    lines,
    waitForLine: async (pattern, timeoutMs = 10000) => (await waitFor(pattern, timeoutMs)).text,
  };
}
