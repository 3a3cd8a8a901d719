/**
 * A firmware run for the benchmarks: tools/firmware-runner.ts's run, on Espruino's real Linux
 * interpreter or in the host runtime (in this process), with every console line kept with the
 * wall-clock time it arrived, a label of the bench's for the runtime, and no restart after a
 * deep sleep or E.reboot() (the run ends there).
 */
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { FlashStats, MemoryInfo } from "../host-runtime/index";
import {
  bootFromFlash,
  recordConsole,
  runFirmware,
  storeBootCode,
  type ConsoleLine,
  type RecordedFirmware,
  type RunningFirmware,
} from "../firmware-runner";

export type Line = ConsoleLine;

/** Where the host runtime's figures come from. */
export const HOST_RUNTIME = `host runtime (Node ${process.versions.node})`;

/** Espruino's own words when its JsVars run out or a callback is cut short. */
export const OUT_OF_MEMORY = /OUT OF MEMORY|Execution Interrupted/;

/** A state is read this long after the console line (or the proxy's packet) that marks it. */
export const SETTLE_MS = 300;

export interface Device {
  runtime: string;
  /** performance.now() just before the process was spawned (or the host runtime was started). */
  readonly startedAt: number;
  lines: Line[];
  /** The first line matching `pattern` at index `from` or later; rejects after `timeoutMs`. */
  waitFor: RecordedFirmware["waitFor"];
  /** Pulls the power (SIGKILL: the Linux interpreter ignores SIGTERM at its prompt). */
  kill(): Promise<void>;
  /** Host runtime only: Storage's wear counters since start. */
  flashStats?(): FlashStats;
}

export interface EspruinoDevice extends Device {
  /** Types a line on the interpreter's console (its echo is not kept). */
  send(line: string): void;
  /**
   * process.memory() in JsVars, read from a timer set by a console line (so not while the
   * top-level script or the typed line runs). Always the same line: the console history holds
   * it once (its `history` JsVars are reported apart).
   */
  memory(): Promise<MemoryInfo>;
}

/** The run `start` makes, with its console kept, and `more` of what the bench asks of it. */
function device<More>(
  runtime: string,
  start: (console: (line: string, at: number) => void) => RunningFirmware,
  more: (firmware: RunningFirmware) => More,
): Device & More {
  const { firmware, lines, waitFor } = recordConsole(runtime, start);
  return {
    runtime,
    get startedAt() {
      return firmware.startedAt;
    },
    lines,
    waitFor,
    async kill() {
      firmware.kill();
      await firmware.exited;
    },
    ...more(firmware),
  };
}

/**
 * `answer`, taken up on the first 2 ms poll after it came, as the bench's memory reading always
 * took it (it polled the console lines for it): a benchmark sampling every 130 ms drifts by that
 * much a sample, and backlog-memory.ts's samples fall where they always fell in the firmware's
 * 100 ms reading cycle (a sample within a reading reads some 25 JsVars more).
 */
async function noticedOnPoll<T>(answer: Promise<T>): Promise<T> {
  let settled = false;
  const done = answer.finally(() => (settled = true));
  done.catch(() => {}); // rejections come from the await below
  while (!settled) await new Promise((r) => setTimeout(r, 2));
  return done;
}

/**
 * `file` run from RAM (`espruino file`, in `cwd`); undefined: the interpreter boots from Storage
 * (`.bootcde` in cwd's espruino.flash, see bootDirectory), or with none is the interpreter alone.
 */
export function startEspruino(
  espruino: string,
  file: string | undefined,
  cwd: string,
  runtime: string,
): EspruinoDevice {
  return device(
    runtime,
    (console) =>
      file === undefined
        ? bootFromFlash(cwd, { espruino, console, wake: false })
        : runFirmware(file, { espruino, cwd, fromFlash: false, wake: false, console }),
    (firmware) => ({
      send: (line: string) => firmware.eval(line),
      memory: () => noticedOnPoll(firmware.memory({ fromTimer: true })),
    }),
  );
}

/**
 * A fresh directory whose espruino.flash holds `code` as `.bootcde`, typed at the interpreter's
 * console in pieces (tools/firmware-runner.ts storeBootCode), so it works on the fixed 2,500-JsVar
 * build too, where a script holding the whole bundle does not fit. The Linux build runs `.bootcde`
 * when it starts without a script, as a board does at power-on.
 */
export async function bootDirectory(espruino: string, code: string): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), "bench-boot-"));
  await storeBootCode(espruino, code, dir);
  readFileSync(join(dir, "espruino.flash")); // throws if the flash file is not where the boot looks
  return dir;
}

/** The bundle in the host runtime (Espruino's API on Node), in this process. */
export function startHost(file: string, runtime: string, storageLayout: "linux" | "esp32" = "linux"): Device {
  return device(
    runtime,
    (console) => runFirmware(file, { espruino: "", storageLayout, wake: false, console }),
    (firmware) => ({ flashStats: () => firmware.flashStats!() }),
  );
}

/**
 * The benchmarks' JsVar figure, `afterMs` from now: process.memory().usage less .history (the
 * console's history holds the probe line), read from a timer (EspruinoDevice.memory()).
 */
export async function jsVarsAfter(device: EspruinoDevice, afterMs: number): Promise<MemoryInfo & { used: number }> {
  await new Promise((r) => setTimeout(r, afterMs));
  const m = await device.memory();
  return { ...m, used: m.usage - m.history };
}

/** The seq of the newest reading on the console, 0 before the first (a fresh flash: seq 1 is this boot's first). */
export function newestSeq(lines: Line[]): number {
  return Math.max(0, ...lines.map((l) => Number(/\[app\] reading #(\d+) /.exec(l.text)?.[1] ?? 0)));
}
