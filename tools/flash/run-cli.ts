/**
 * Runs Espruino's CLI with its output passed through, and turns what it prints into an exit code:
 * the CLI exits with 0 even when it cannot open the port or the upload fails.
 */
import { spawn } from "node:child_process";

export interface RunOptions {
  /** An upload is expected: no "Upload Complete" from the CLI is a failure. */
  upload: boolean;
  /**
   * After the upload, how long the board's first lines are shown before the CLI is ended (ms);
   * undefined: the CLI runs until it exits (terminal mode: Ctrl-C twice). The CLI leaves by itself
   * only after 500 ms without output, which a board logging faster than that never gives it.
   */
  leaveAfterUploadMs?: number;
  /** Prefix of this tool's own messages, like "[flash]". */
  tag: string;
}

const FAILURES: [RegExp, string][] = [
  [/Unable to connect!|Port "[^"]*" not found/, "could not open the port"],
  [/RECEIVE ERROR/, "the connection failed"],
  [/Prompt not detected - upload failed/, "the board did not answer with a prompt: upload failed"],
  [/Unknown Argument/, "the CLI rejected its arguments"],
];

/** Resolves with the exit code this tool should end with. */
export function runEspruinoCli(argv: string[], options: RunOptions): Promise<number> {
  return new Promise((resolveExit) => {
    const terminal = options.leaveAfterUploadMs === undefined;
    // The terminal needs our keyboard (raw mode, Ctrl-C); an upload alone reads nothing.
    const child = spawn(argv[0], argv.slice(1), { stdio: [terminal ? "inherit" : "ignore", "pipe", "pipe"] });
    let seen = "";
    let uploaded = false;
    let failure = "";
    let endedByUs = false;
    const watch = (chunk: Buffer) => {
      // Only the tail matters for markers split across chunks; the board's output can be endless.
      seen = (seen + chunk.toString("latin1")).slice(-4096);
      for (const [pattern, why] of FAILURES) if (!failure && pattern.test(seen)) failure = why;
      if (!uploaded && /Upload Complete/.test(seen)) {
        uploaded = true;
        if (!terminal) {
          setTimeout(() => {
            if (child.exitCode === null && child.signalCode === null) {
              endedByUs = true;
              child.kill("SIGTERM");
            }
          }, options.leaveAfterUploadMs);
        }
      }
    };
    child.stdout.on("data", (chunk: Buffer) => {
      process.stdout.write(chunk);
      watch(chunk);
    });
    child.stderr.on("data", (chunk: Buffer) => {
      process.stderr.write(chunk);
      watch(chunk);
    });
    child.on("error", (e) => {
      console.error(`${options.tag} cannot run ${argv[0]}: ${e.message} (is the espruino package installed? npm install)`);
      resolveExit(1);
    });
    child.on("close", (code, signal) => {
      if (failure) {
        console.error(`${options.tag} ${failure}`);
        return resolveExit(1);
      }
      if (options.upload && !uploaded) {
        console.error(`${options.tag} the upload did not complete (see the CLI's messages above)`);
        return resolveExit(1);
      }
      if (endedByUs) return resolveExit(0);
      if (signal) console.error(`${options.tag} the CLI ended on ${signal}`);
      resolveExit(code ?? 1);
    });
  });
}
