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
import { startBundle } from "./host-runtime/index";

/** Typed on the interpreter's console to start a clean shutdown (the firmware listens for E's `kill`). */
const KILL_COMMAND = 'E.emit("kill")';

export interface RunningFirmware {
  /** "host runtime" or the interpreter's path. */
  runtime: string;
  stop(): Promise<void>;
  kill(): void;
  exited: Promise<void>;
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
    const host = startBundle({ file, console: options.console, stopGraceMs: graceMs });
    return { runtime: "host runtime", stop: () => host.stop(), kill: () => host.kill(), exited: host.exited.then(() => undefined) };
  }
  // The real interpreter: its console on stdin/stdout; Storage's flash file in a fresh directory.
  // Detached: a Ctrl-C in the terminal is for us (we stop the firmware cleanly), not the interpreter.
  const child = spawn(espruino, [file], { cwd: mkdtempSync(join(tmpdir(), "espruino-")), stdio: ["pipe", "pipe", "pipe"], detached: true });
  process.once("exit", () => child.exitCode === null && child.kill("SIGKILL"));
  let pending = "";
  const onOutput = (chunk: Buffer) => {
    pending += chunk.toString("latin1");
    const lines = pending.split(/\r?\n/);
    pending = lines.pop() ?? "";
    // The interpreter's console echoes a prompt (">" and ESC[J) before output: not ours.
    for (const raw of lines) {
      const line = raw.replace(/^(>|\r|\x1b\[J)+/, "");
      if (line !== KILL_COMMAND && line !== "=undefined") options.console(line);
    }
  };
  child.stdout.on("data", onOutput);
  child.stderr.on("data", onOutput);
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const kill = () => {
    if (child.exitCode === null) child.kill("SIGKILL");
  };
  return {
    runtime: espruino,
    kill,
    async stop() {
      if (child.exitCode !== null) return;
      child.stdin.write(KILL_COMMAND + "\n");
      await Promise.race([exited, new Promise((r) => setTimeout(r, graceMs))]);
      kill();
      await exited;
    },
    exited,
  };
}
