/**
 * Runs a bundle the way the tests, `npm start` and the benchmarks need it: on Espruino's real
 * Linux interpreter when ESPRUINO names one, otherwise in the host runtime (Espruino's API and
 * quirks on Node). Either way, stop() is what `reset()` at the console does (Espruino's `kill`
 * event, then every socket closed at once: the broker sends the Will) and kill() pulls the power.
 * A firmware in battery mode that goes to deep sleep (E.reboot() ends the Linux interpreter) is
 * started again after the sleep in the same directory, as the RTC timer would wake a board.
 * recordConsole() keeps a run's console lines, each with the time it arrived, and waits for one.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { crc32 } from "node:zlib";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { startBundle, type FlashStats, type HostRuntimeOptions, type MemoryInfo } from "./host-runtime/index";
import { espruinoProblem } from "./espruino-binary";

/** Typed on the interpreter's console by stop(), as a user or `npm run flash` would. */
const RESET_COMMAND = "reset()";
/** The banner's last line, which the interpreter prints once a reset is done. */
const RESET_DONE = /espruino\.com/;
/**
 * The lines memory() types, each beginning its answer with its mark (that line goes to memory()'s
 * caller, not to the console). Each is always the same line, so the console history does not grow;
 * the JsVars a probe reads include its own text's, so its text is kept as the figures were taken.
 */
const MEMORY_PROBES = {
  /** Read as the typed line runs. */
  console: { mark: "<<memory>>", line: `print("<<memory>>"+JSON.stringify(process.memory()))` },
  /** Read from a timer the typed line sets, once it has run: the benchmarks' JsVar figures. */
  timer: {
    mark: "<<bench-memory>>",
    line: `setTimeout(function(){print("<<bench-memory>>"+JSON.stringify(process.memory()))},1)`,
  },
};

export interface RunningFirmware {
  /** "host runtime" or the interpreter's path. */
  runtime: string;
  /**
   * performance.now() just before this run's interpreter was spawned (after `.bootcde` is stored)
   * or its host runtime started; NaN until then. After a deep sleep, the latest wake's.
   */
  readonly startedAt: number;
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
   * top-level script runs). On the interpreter: real JsVars, typed on its console (see
   * MEMORY_PROBES; `fromTimer`: read from a timer the typed line sets, not while that line runs,
   * as the benchmarks read it). In the host runtime: the V8-heap estimate of
   * tools/host-runtime/memory.ts, after a GC when Node exposes gc() (it reads 0 while the heap is
   * below its size at start).
   */
  memory(options?: { fromTimer?: boolean }): Promise<MemoryInfo>;
  /** Host runtime only: Storage's wear since this run started. */
  flashStats?(): FlashStats;
}

export interface RunOptions {
  /**
   * One call per console line, with performance.now() when it arrived (on the interpreter: when
   * the output holding it did).
   */
  console: (line: string, at: number) => void;
  /**
   * The device's flash lives here (Storage: the durable store, the boot counter, `.bootcde`), so a
   * run started again in the same directory finds what the last one left, as after a power cut.
   * Default: a fresh temporary directory.
   */
  cwd?: string;
  /**
   * On the interpreter: store the bundle as `.bootcde` and boot from it, as `npm run flash` does
   * (code run from flash is not copied into RAM; the fixed 2,500-JsVar build needs it). Default
   * true; false runs `espruino <file>` (from RAM). The host runtime ignores it.
   */
  fromFlash?: boolean;
  /** How long stop() waits for the interpreter to finish its reset, ms. */
  graceMs?: number;
  /** The interpreter; default process.env.ESPRUINO; "" forces the host runtime. */
  espruino?: string;
  /** Start the firmware again after a deep sleep (default true); false: a sleep ends the run. */
  wake?: boolean;
  /** The host runtime's flash layout (default "linux"); the interpreter has its own. */
  storageLayout?: HostRuntimeOptions["storageLayout"];
}

/** The line battery mode prints as it goes to deep sleep (src/app/wake-cycle.ts). */
const SLEEPING = /\[sleep\] awake \d+ ms; sleeping (\d+) ms$/;
/** The line before the firmware's own E.reboot() (a restart asked for over MQTT): a board starts again at once. */
const RESTARTING = /\[boot\] restarting \(/;

export function runFirmware(file: string, options: RunOptions): RunningFirmware {
  return run(file, options);
}

/**
 * The interpreter started without a script in `cwd`: it runs the `.bootcde` that cwd's flash file
 * holds (storeBootCode), as a board does at power-on, or, with none, is the interpreter alone. The
 * host runtime cannot boot from a flash file: it needs the bundle (runFirmware).
 */
export function bootFromFlash(cwd: string, options: Omit<RunOptions, "cwd" | "fromFlash">): RunningFirmware {
  return run(undefined, { ...options, cwd });
}

/** `file` undefined: boot from the flash in options.cwd. */
function run(file: string | undefined, options: RunOptions): RunningFirmware {
  if (options.wake === false) return runOnce(file, options);
  // One directory for every wake: the flash file is the board's. One made here goes at the end.
  const ownDir = options.cwd === undefined;
  const cwd = options.cwd ?? mkdtempSync(join(tmpdir(), "espruino-"));
  let current: RunningFirmware;
  let sleepMs: number | undefined;
  let ended = false;
  let wakeTimer: ReturnType<typeof setTimeout> | undefined;
  let resolveExited!: () => void;
  const exited = new Promise<void>((r) => (resolveExited = r));
  const onLine = (line: string, at: number) => {
    const asleep = SLEEPING.exec(line);
    if (asleep) sleepMs = Number(asleep[1]);
    if (RESTARTING.test(line)) sleepMs = 0;
    options.console(line, at);
  };
  const start = () => {
    sleepMs = undefined;
    current = runOnce(file, { ...options, cwd, console: onLine });
    void current.exited.then(() => {
      if (ended || sleepMs === undefined) return end();
      options.console(
        sleepMs
          ? `[runner] deep sleep: the firmware starts again in ${sleepMs} ms, as the board's RTC timer would wake it`
          : "[runner] E.reboot(): the firmware starts again, as the board would",
        performance.now(),
      );
      wakeTimer = setTimeout(start, sleepMs);
    });
  };
  const end = () => {
    ended = true;
    clearTimeout(wakeTimer);
    if (ownDir) rmSync(cwd, { recursive: true, force: true });
    resolveExited();
  };
  start();
  return {
    get runtime() {
      return current.runtime;
    },
    get startedAt() {
      return current.startedAt;
    },
    async stop() {
      ended = true;
      clearTimeout(wakeTimer);
      await current.stop();
      end();
    },
    kill() {
      ended = true;
      clearTimeout(wakeTimer);
      current.kill();
      void current.exited.then(end);
    },
    exited,
    eval: (line) => current.eval(line),
    memory: (probe) => current.memory(probe),
    ...(current!.flashStats && { flashStats: () => current.flashStats!() }),
  };
}

/** A console line and performance.now() when it arrived. */
export interface ConsoleLine {
  at: number;
  text: string;
}

export interface RecordedFirmware<T extends RunningFirmware = RunningFirmware> {
  firmware: T;
  /** Every console line so far. */
  lines: ConsoleLine[];
  /**
   * The first line matching `pattern` at index `from` or later; rejects after `timeoutMs`, or
   * once the run has ended without one.
   */
  waitFor(pattern: RegExp, timeoutMs?: number, from?: number): Promise<ConsoleLine & { index: number }>;
}

/**
 * A run with its console kept: `start` gets the console to pass on, e.g.
 * `recordConsole("linux", (console) => runFirmware(file, { console }))`. `name` is for errors.
 */
export function recordConsole<T extends RunningFirmware>(
  name: string,
  start: (console: RunOptions["console"]) => T,
): RecordedFirmware<T> {
  const lines: ConsoleLine[] = [];
  const firmware = start((text, at) => lines.push({ at, text }));
  let ended = false;
  void firmware.exited.then(() => (ended = true));
  return {
    firmware,
    lines,
    async waitFor(pattern, timeoutMs = 10000, from = 0) {
      const deadline = performance.now() + timeoutMs;
      for (;;) {
        for (let i = from; i < lines.length; i++) if (pattern.test(lines[i].text)) return { ...lines[i], index: i };
        if (performance.now() > deadline || ended) {
          throw new Error(
            `no console line like ${pattern} after ${timeoutMs} ms${ended ? " (the firmware exited)" : ""} on ${name}; last lines:\n${lines
              .slice(-12)
              .map((l) => l.text)
              .join("\n")}`,
          );
        }
        await new Promise((r) => setTimeout(r, 2));
      }
    },
  };
}

/** One run: a deep sleep ends it. */
function runOnce(file: string | undefined, options: RunOptions): RunningFirmware {
  const espruino = options.espruino ?? process.env.ESPRUINO ?? "";
  const notRunnable = espruino && espruinoProblem(espruino);
  if (notRunnable) throw new Error(notRunnable);
  const graceMs = options.graceMs ?? 1500;
  if (!espruino) {
    if (file === undefined) throw new Error("bootFromFlash(): the host runtime needs the bundle (runFirmware)");
    // When Node exposes gc(), the runtime's memory estimate starts from a collected heap.
    (globalThis as { gc?: () => void }).gc?.();
    const startedAt = performance.now();
    const host = startBundle({
      file,
      console: (line) => options.console(line, performance.now()),
      cwd: options.cwd,
      storageLayout: options.storageLayout,
    });
    return {
      runtime: "host runtime",
      startedAt,
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
      flashStats: () => host.flashStats(),
    };
  }
  // The real interpreter: its console on stdin/stdout; Storage's flash file (espruino.flash) in cwd.
  const cwd = options.cwd ?? mkdtempSync(join(tmpdir(), "espruino-"));
  mkdirSync(cwd, { recursive: true });
  if (file === undefined) return attach(espruino, Promise.resolve(), [], cwd, graceMs, options.console);
  const fromFlash = options.fromFlash ?? true;
  const started = fromFlash ? storeBootCode(espruino, readFileSync(file, "latin1"), cwd) : Promise.resolve();
  return attach(espruino, started, fromFlash ? [] : [file], cwd, graceMs, options.console);
}

/**
 * Writes `code` to `.bootcde` in `cwd`'s flash file with the interpreter itself, typed at its
 * console in pieces (a script holding the whole bundle would not fit a 2,500-JsVar pool), unless
 * it is there already. Resolves once it is written.
 */
export function storeBootCode(espruino: string, code: string, cwd: string): Promise<void> {
  const loader = join(cwd, "bootcde-loader.js");
  // A pending timer keeps the interpreter reading its console (an idle one does not).
  writeFileSync(
    loader,
    'print("<<crc>>"+E.CRC32(require("Storage").read(".bootcde")||""));setInterval(function(){},1000);\n',
  );
  const child = spawn(espruino, [loader], { cwd, stdio: ["pipe", "pipe", "pipe"] });
  const want = crc32(Buffer.from(code, "latin1"));
  const CHUNK = 400;
  let out = "";
  let at = -1;
  let acked = 0;
  return new Promise<void>((resolve, reject) => {
    const fail = (why: string) => {
      child.kill("SIGKILL");
      reject(new Error(`storing .bootcde with ${espruino}: ${why}`));
    };
    const timer = setTimeout(() => fail("no answer within 60 s; last output: " + out.slice(-300)), 60000);
    const done = () => {
      clearTimeout(timer);
      child.kill("SIGKILL");
      child.once("exit", () => resolve());
    };
    const next = () => {
      at = at < 0 ? 0 : at + CHUNK;
      if (at < code.length)
        child.stdin.write(
          `require("Storage").write(".bootcde",${JSON.stringify(code.slice(at, at + CHUNK))},${at},${code.length})\n`,
        );
      else child.stdin.write('print("<<written>>"+E.CRC32(require("Storage").read(".bootcde")))\n');
    };
    child.on("error", (e) => fail(e.message));
    child.stdin.on("error", () => {});
    child.stdout.on("data", (chunk: Buffer) => {
      out += chunk.toString("latin1");
      const crc = /<<crc>>(\d+)\r?\n/.exec(out); // whole: output comes in pieces
      if (at < 0 && crc) {
        if (Number(crc[1]) === want) return done();
        next();
      }
      const written = /<<written>>(\d+)\r?\n/.exec(out);
      if (written)
        return Number(written[1]) === want ? done() : fail(`.bootcde CRC ${written[1]}, the bundle's ${want}`);
      // Its answers only: the echo of each typed piece holds the bundle's own text.
      if (/(^|\n)[>\s]*Uncaught /.test(out)) return fail(out.slice(-300));
      for (const n = (out.match(/=true/g) || []).length; acked < n; acked++) next();
    });
  });
}

/** The interpreter, started once `started` resolves (in `cwd`, with `args`), with its console. */
function attach(
  espruino: string,
  started: Promise<void>,
  args: string[],
  cwd: string,
  graceMs: number,
  onLine: (line: string, at: number) => void,
): RunningFirmware {
  let child: ChildProcess | undefined;
  let startedAt = NaN;
  let killed = false;
  let pending = "";
  /** Lines typed by eval(): their echo is not console output. */
  const typed = new Set<string>([RESET_COMMAND]);
  let resetting = false;
  let resetDone: () => void = () => {};
  const memoryWaiters: ((info: MemoryInfo) => void)[] = [];
  const onOutput = (chunk: Buffer) => {
    const at = performance.now();
    pending += chunk.toString("latin1");
    const lines = pending.split(/\r?\n/);
    pending = lines.pop() ?? "";
    // The interpreter's console echoes a prompt (">" and ESC[J) before output: not ours.
    for (const raw of lines) {
      const line = raw.replace(/^(>|\r|\x1b\[J)+/, "");
      const probe = Object.values(MEMORY_PROBES).find((p) => line.startsWith(p.mark));
      if (probe) memoryWaiters.shift()?.(JSON.parse(line.slice(probe.mark.length)));
      else if (!typed.has(line) && line !== "=undefined") {
        onLine(line, at);
        if (resetting && RESET_DONE.test(line)) resetDone();
      }
    }
  };
  const running = () => child !== undefined && child.exitCode === null && child.signalCode === null;
  const exited = started.then(
    () =>
      new Promise<void>((resolve) => {
        if (killed) return resolve();
        // Detached: a Ctrl-C in the terminal is for us (we stop the firmware cleanly), not the interpreter.
        startedAt = performance.now();
        const c = spawn(espruino, args, { cwd, stdio: ["pipe", "pipe", "pipe"], detached: true });
        child = c;
        const onExit = () => running() && c.kill("SIGKILL");
        process.once("exit", onExit);
        c.once("exit", () => {
          process.removeListener("exit", onExit);
          resolve();
        });
        c.stdout.on("data", onOutput);
        c.stderr.on("data", onOutput);
        c.stdin.on("error", () => {}); // a line typed as the interpreter dies: nobody to read it
      }),
    (e: Error) => onLine("[runner] " + e.message, performance.now()),
  );
  const kill = () => {
    killed = true;
    if (running()) child!.kill("SIGKILL");
  };
  const typeLine = (line: string) => {
    if (!running()) throw new Error("eval(): the interpreter is not running");
    typed.add(line);
    child!.stdin!.write(line + "\n");
  };
  return {
    runtime: espruino,
    get startedAt() {
      return startedAt;
    },
    kill,
    async stop() {
      if (!running()) return kill();
      resetting = true;
      const reset = new Promise<void>((r) => (resetDone = r));
      typeLine(RESET_COMMAND);
      await Promise.race([exited, reset, new Promise((r) => setTimeout(r, graceMs))]);
      kill();
      await exited;
    },
    exited,
    eval: typeLine,
    async memory(options) {
      const probe = options?.fromTimer ? MEMORY_PROBES.timer : MEMORY_PROBES.console;
      // While .bootcde is being written the interpreter is not running yet: wait for it.
      await started.catch(() => undefined);
      while (!running() && !killed && child === undefined) await new Promise((r) => setTimeout(r, 20));
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
        try {
          typeLine(probe.line);
        } catch (e) {
          clearTimeout(timer);
          memoryWaiters.pop();
          reject(e);
        }
      });
    },
  };
}
