/**
 * A firmware run for the benchmarks: every console line with the wall-clock time it arrived, on
 * Espruino's real Linux interpreter (spawned here, so the bench owns its arguments and working
 * directory, e.g. to boot from Storage's flash file) or in the host runtime (in this process).
 */
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { startBundle, type FlashStats } from "../host-runtime/index";
import { storeBootCode } from "../firmware-runner";

export interface Line {
  /** performance.now() when the line arrived. */
  at: number;
  text: string;
}

export interface Device {
  runtime: string;
  /** performance.now() just before the process was spawned (or the host runtime was started). */
  startedAt: number;
  lines: Line[];
  /** The first line matching `pattern` at index `from` or later; rejects after `timeoutMs`. */
  waitFor(pattern: RegExp, timeoutMs?: number, from?: number): Promise<Line & { index: number }>;
  /** Pulls the power (SIGKILL: the Linux interpreter ignores SIGTERM at its prompt). */
  kill(): Promise<void>;
  /** Host runtime only: Storage's wear counters since start. */
  flashStats?(): FlashStats;
}

export interface EspruinoDevice extends Device {
  /** Types a line on the interpreter's console. */
  send(line: string): void;
  /**
   * process.memory() in JsVars, read from a timer set by a console line (so not while the
   * top-level script or the typed line runs). Always the same line: the console history holds
   * it once (its `history` JsVars are reported apart).
   */
  memory(): Promise<{ usage: number; history: number; free: number; total: number }>;
}

const MEMORY_MARK = "<<bench-memory>>";
const MEMORY_PROBE = `setTimeout(function(){print("${MEMORY_MARK}"+JSON.stringify(process.memory()))},1)`;

function waiter(lines: Line[], describe: () => string, exited: () => boolean) {
  return async (pattern: RegExp, timeoutMs = 10000, from = 0) => {
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      for (let i = from; i < lines.length; i++) if (pattern.test(lines[i].text)) return { ...lines[i], index: i };
      if (performance.now() > deadline || exited()) {
        throw new Error(
          `no console line like ${pattern} after ${timeoutMs} ms${exited() ? " (the firmware exited)" : ""} on ${describe()}; last lines:\n${lines
            .slice(-12)
            .map((l) => l.text)
            .join("\n")}`,
        );
      }
      await new Promise((r) => setTimeout(r, 2));
    }
  };
}

/** "Espruino 2v29.277 (Linux)", from the interpreter itself. */
export function espruinoVersion(espruino: string): string {
  const r = spawnSync(espruino, ["-e", 'print("<<v>>"+process.version)'], {
    input: "",
    timeout: 5000,
    killSignal: "SIGKILL",
    encoding: "latin1",
  });
  const m = /<<v>>(\S+)/.exec(r.stdout ?? "");
  return `Espruino ${m ? m[1] : "?"} (Linux)`;
}

/** `args` empty: the interpreter boots from Storage (`.bootcde` in cwd's espruino.flash). */
export function startEspruino(espruino: string, args: string[], cwd: string, runtime: string): EspruinoDevice {
  const lines: Line[] = [];
  const startedAt = performance.now();
  const child = spawn(espruino, args, { cwd, stdio: ["pipe", "pipe", "pipe"], detached: true });
  const onExit = () => child.exitCode === null && child.signalCode === null && child.kill("SIGKILL");
  process.once("exit", onExit);
  let exited = false;
  const exit = new Promise<void>((resolve) =>
    child.once("exit", () => {
      exited = true;
      process.removeListener("exit", onExit);
      resolve();
    }),
  );
  let pending = "";
  const onOutput = (chunk: Buffer) => {
    const at = performance.now();
    pending += chunk.toString("latin1");
    const parts = pending.split(/\r?\n/);
    pending = parts.pop() ?? "";
    // The console's prompt (">", ESC[J) comes before output; the typed line is echoed.
    for (const raw of parts) lines.push({ at, text: raw.replace(/^(>|\r|\x1b\[J)+/, "") });
  };
  child.stdout.on("data", onOutput);
  child.stderr.on("data", onOutput);
  child.stdin.on("error", () => {});
  const waitFor = waiter(
    lines,
    () => runtime,
    () => exited,
  );
  return {
    runtime,
    startedAt,
    lines,
    waitFor,
    send: (line) => child.stdin.write(line + "\n"),
    async memory() {
      const from = lines.length;
      child.stdin.write(MEMORY_PROBE + "\n");
      // The answer, not the echo of the typed line (which holds the mark too).
      const line = await waitFor(new RegExp(MEMORY_MARK + "\\{"), 5000, from);
      return JSON.parse(line.text.slice(line.text.indexOf(MEMORY_MARK) + MEMORY_MARK.length));
    },
    async kill() {
      if (!exited) child.kill("SIGKILL");
      await exit;
    },
  };
}

/**
 * A fresh directory whose espruino.flash holds `code` as `.bootcde`, written by the interpreter's
 * own Storage module (a loader script run once there). The Linux build runs `.bootcde` when it
 * starts without a script, as a board does at power-on.
 */
export async function flashDirectory(espruino: string, code: string): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), "bench-flash-"));
  const loader = join(dir, "loader.js");
  writeFileSync(
    loader,
    `require("Storage").write(".bootcde",${JSON.stringify(code)});print("<<written>>"+require("Storage").read(".bootcde").length);\n`,
  );
  const device = startEspruino(espruino, [loader], dir, "loader");
  try {
    const line = await device.waitFor(/<<written>>\d+/, 10000);
    const written = Number(line.text.replace(/.*<<written>>/, ""));
    if (written !== code.length) throw new Error(`.bootcde holds ${written} chars, the bundle ${code.length}`);
  } finally {
    await device.kill();
  }
  readFileSync(join(dir, "espruino.flash")); // throws if the flash file is not where the boot looks
  return dir;
}

/**
 * A fresh directory whose espruino.flash holds `code` as `.bootcde`, typed at the interpreter's
 * console in pieces (tools/firmware-runner.ts storeBootCode), so it works on the fixed 2,500-JsVar
 * build too, where a script holding the whole bundle does not fit.
 */
export async function bootDirectory(espruino: string, code: string): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), "bench-boot-"));
  await storeBootCode(espruino, code, dir);
  readFileSync(join(dir, "espruino.flash"));
  return dir;
}

/** The bundle in the host runtime (Espruino's API on Node), in this process. */
export function startHost(file: string, runtime: string, storageLayout: "linux" | "esp32" = "linux"): Device {
  const lines: Line[] = [];
  const startedAt = performance.now();
  const host = startBundle({ file, console: (text) => lines.push({ at: performance.now(), text }), storageLayout });
  let exited = false;
  void host.exited.then(() => (exited = true));
  return {
    runtime,
    startedAt,
    lines,
    waitFor: waiter(
      lines,
      () => runtime,
      () => exited,
    ),
    async kill() {
      host.kill();
      await host.exited;
    },
    flashStats: () => host.flashStats(),
  };
}
