/**
 * Runs a bundle the way the tests and `npm start` need it: on Espruino's real Linux interpreter
 * when ESPRUINO names one, otherwise in the host runtime (Espruino's API and quirks on Node).
 * Either way, stop() is a clean shutdown (Espruino's `kill` event, a grace period, then the end)
 * and kill() pulls the power.
 */
import { spawn } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startBundle, type MemoryInfo } from "./host-runtime/index";

/** Typed on the interpreter's console to start a clean shutdown (the firmware listens for E's `kill`). */
const KILL_COMMAND = 'E.emit("kill")';
/** Marks the interpreter's answer to memory(): that line goes to its caller, not to the console. */
const MEMORY_MARK = "<<memory>>";
const MEMORY_COMMAND = `print("${MEMORY_MARK}"+JSON.stringify(process.memory()))`;

export interface RunningFirmware {
  /** "host runtime" or the interpreter's path. */
  runtime: string;
  stop(): Promise<void>;
  kill(): void;
  exited: Promise<void>;
  /**
   * Types `line` on the real interpreter's console (its echo and `=undefined` are not passed on).
   * The host runtime has no console input: it throws there.
   */
  eval(line: string): void;
  /**
   * process.memory() of the running firmware, taken between idle-loop passes (not while the
   * top-level script runs). On the interpreter: real JsVars (typed on its console; always the same
   * line, so the console history does not grow). In the host runtime: the V8-heap estimate of
   * tools/host-runtime/memory.ts, after a GC when Node exposes gc() (it reads 0 while the heap is
   * below its size at start).
   */
  memory(): Promise<MemoryInfo>;
}

export interface RunOptions {
  /** One call per console line. */
  console: (line: string) => void;
  /** How long stop() lets the firmware say goodbye, ms. */
  graceMs?: number;
  /** The interpreter; default process.env.ESPRUINO; "" forces the host runtime. */
  espruino?: string;
}

export function runFirmware(file: string, options: RunOptions): RunningFirmware {
  const espruino = options.espruino ?? process.env.ESPRUINO ?? "";
  const graceMs = options.graceMs ?? 1500;
  if (!espruino) {
    // When Node exposes gc(), the runtime's memory estimate starts from a collected heap.
    (globalThis as { gc?: () => void }).gc?.();
    const host = startBundle({ file, console: options.console, stopGraceMs: graceMs });
    return {
      runtime: "host runtime",
      stop: () => host.stop(),
      kill: () => host.kill(),
      exited: host.exited.then(() => undefined),
      eval() {
        throw new Error("eval(): the host runtime has no console input");
      },
      async memory() {
        (globalThis as { gc?: () => void }).gc?.();
        return host.memory();
      },
    };
  }
  // The real interpreter: its console on stdin/stdout; Storage's flash file in a fresh directory.
  // Detached: a Ctrl-C in the terminal is for us (we stop the firmware cleanly), not the interpreter.
  const child = spawn(espruino, [file], { cwd: mkdtempSync(join(tmpdir(), "espruino-")), stdio: ["pipe", "pipe", "pipe"], detached: true });
  process.once("exit", () => child.exitCode === null && child.kill("SIGKILL"));
  let pending = "";
  /** Lines typed by eval(): their echo is not console output. */
  const typed = new Set<string>([KILL_COMMAND]);
  const memoryWaiters: ((info: MemoryInfo) => void)[] = [];
  const onOutput = (chunk: Buffer) => {
    pending += chunk.toString("latin1");
    const lines = pending.split(/\r?\n/);
    pending = lines.pop() ?? "";
    // The interpreter's console echoes a prompt (">" and ESC[J) before output: not ours.
    for (const raw of lines) {
      const line = raw.replace(/^(>|\r|\x1b\[J)+/, "");
      if (line.startsWith(MEMORY_MARK)) memoryWaiters.shift()?.(JSON.parse(line.slice(MEMORY_MARK.length)));
      else if (!typed.has(line) && line !== "=undefined") options.console(line);
    }
  };
  child.stdout.on("data", onOutput);
  child.stderr.on("data", onOutput);
  child.stdin.on("error", () => {}); // a line typed as the interpreter dies: nobody to read it
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const kill = () => {
    if (child.exitCode === null) child.kill("SIGKILL");
  };
  const typeLine = (line: string) => {
    if (child.exitCode !== null) throw new Error("eval(): the interpreter has exited");
    typed.add(line);
    child.stdin.write(line + "\n");
  };
  return {
    runtime: espruino,
    kill,
    async stop() {
      if (child.exitCode !== null) return;
      typeLine(KILL_COMMAND);
      await Promise.race([exited, new Promise((r) => setTimeout(r, graceMs))]);
      kill();
      await exited;
    },
    exited,
    eval: typeLine,
    memory() {
      return new Promise<MemoryInfo>((resolve, reject) => {
        const timer = setTimeout(() => {
          const i = memoryWaiters.indexOf(answer);
          if (i >= 0) memoryWaiters.splice(i, 1);
          reject(new Error("memory(): no answer from the interpreter within 5 s"));
        }, 5000);
        const answer = (info: MemoryInfo) => {
          clearTimeout(timer);
          resolve(info);
        };
        memoryWaiters.push(answer);
        typeLine(MEMORY_COMMAND);
      });
    },
  };
}
