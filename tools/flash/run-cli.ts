/**
 * Runs Espruino's CLI with its output passed through, and turns what it prints into an exit code:
 * the CLI exits with 0 even when it cannot open the port or the upload fails. Stops it on SIGINT
 * and SIGTERM sent to this process (npm forwards those to the script it started), so no CLI is
 * left holding the port.
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
  /**
   * stdin is a terminal the CLI may have (raw mode, Ctrl-C twice leaves). Otherwise the CLI gets a
   * pipe that stays open and silent: its terminal mode ends when stdin ends, which in a pipe or CI
   * would be at once (`npm run flash ... < /dev/null` ended the upload early).
   */
  interactive: boolean;
  /** Prefix of this tool's own messages, like "[flash]". */
  tag: string;
  /** For the progress lines of an upload: the bundle's size, the port and its speed. */
  progress?: { bytes: number; port: string; baud: number };
}

const FAILURES: [RegExp, string][] = [
  [/Unable to connect!|Port "[^"]*" not found/, "could not open the port"],
  [/RECEIVE ERROR/, "the connection failed"],
  [/Prompt not detected - upload failed/, "the board did not answer with a prompt: upload failed"],
  [/Unknown Argument/, "the CLI rejected its arguments"],
];

/** How often an upload in progress says so. */
const PROGRESS_EVERY_MS = 5000;
/** After SIGTERM, how long the CLI has before SIGKILL. */
const KILL_GRACE_MS = 2000;

const n = (x: number) => x.toLocaleString("en-US");

/** Resolves with the exit code this tool should end with. */
export function runEspruinoCli(argv: string[], options: RunOptions): Promise<number> {
  return new Promise((resolveExit) => {
    const terminal = options.leaveAfterUploadMs === undefined;
    const child = spawn(argv[0], argv.slice(1), { stdio: [options.interactive ? "inherit" : "pipe", "pipe", "pipe"] });
    child.stdin?.on("error", () => {}); // never written; the CLI may be gone
    let seen = "";
    let uploaded = false;
    let failure = "";
    let endedByUs = false;
    let stoppedBy: NodeJS.Signals | undefined;
    const started = Date.now();
    let ticker: NodeJS.Timeout | undefined;
    if (options.upload && options.progress) {
      const { bytes, port, baud } = options.progress;
      const serial = !port.startsWith("tcp://");
      console.error(
        `${options.tag} uploading ${n(bytes)} B to ${port}${serial ? ` at ${baud} baud (at least ${Math.ceil((bytes * 10) / baud)} s)` : ""}`,
      );
      ticker = setInterval(
        () => console.error(`${options.tag} uploading ${n(bytes)} B: ${Math.round((Date.now() - started) / 1000)} s`),
        PROGRESS_EVERY_MS,
      );
    }
    const stopTicker = () => ticker && clearInterval(ticker);
    const end = (signal: NodeJS.Signals) => {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill(signal);
        setTimeout(
          () => child.exitCode === null && child.signalCode === null && child.kill("SIGKILL"),
          KILL_GRACE_MS,
        ).unref();
      }
    };
    const onSignal = (signal: NodeJS.Signals) => {
      stoppedBy = signal;
      end("SIGTERM");
    };
    process.on("SIGINT", onSignal);
    process.on("SIGTERM", onSignal);
    const watch = (chunk: Buffer) => {
      // Only the tail matters for markers split across chunks; the board's output can be endless.
      seen = (seen + chunk.toString("latin1")).slice(-4096);
      for (const [pattern, why] of FAILURES) if (!failure && pattern.test(seen)) failure = why;
      if (!uploaded && /Upload Complete/.test(seen)) {
        uploaded = true;
        stopTicker();
        if (options.progress)
          console.error(
            `${options.tag} uploaded ${n(options.progress.bytes)} B in ${Math.round((Date.now() - started) / 1000)} s`,
          );
        if (!terminal) {
          setTimeout(() => {
            endedByUs = child.exitCode === null && child.signalCode === null;
            end("SIGTERM");
          }, options.leaveAfterUploadMs);
        }
      }
    };
    child.stdout!.on("data", (chunk: Buffer) => {
      process.stdout.write(chunk);
      watch(chunk);
    });
    child.stderr!.on("data", (chunk: Buffer) => {
      process.stderr.write(chunk);
      watch(chunk);
    });
    const finish = (code: number) => {
      stopTicker();
      process.removeListener("SIGINT", onSignal);
      process.removeListener("SIGTERM", onSignal);
      resolveExit(code);
    };
    child.on("error", (e) => {
      console.error(
        `${options.tag} cannot run ${argv[0]}: ${e.message} (is the espruino package installed? npm install)`,
      );
      finish(1);
    });
    child.on("close", (code, signal) => {
      if (failure) {
        console.error(`${options.tag} ${failure}`);
        return finish(1);
      }
      if (stoppedBy) {
        if (options.upload && !uploaded) {
          console.error(`${options.tag} stopped by ${stoppedBy} before the upload completed`);
          return finish(1);
        }
        console.error(`${options.tag} stopped by ${stoppedBy}`);
        return finish(0);
      }
      if (options.upload && !uploaded) {
        console.error(`${options.tag} the upload did not complete (see the CLI's messages above)`);
        return finish(1);
      }
      if (endedByUs) return finish(0);
      if (signal) console.error(`${options.tag} the CLI ended on ${signal}`);
      finish(code ?? 1);
    });
  });
}
