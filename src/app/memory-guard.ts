/**
 * Watches free memory and, below a reserve, has the firmware shed what it can before Espruino runs
 * out and cuts a callback short: the delivery's read-ahead (only the reading in flight stays in
 * RAM) and the line per reading. It says so on the console, and again when memory is back. The
 * readings themselves are in flash: nothing is lost by shedding.
 */
import type { Log } from "../session/ports";

export interface MemoryGuardOptions {
  /** JsVars free below which the firmware sheds. */
  reserve: number;
  /** JsVars free above which it stops shedding (above `reserve`: no flapping at the edge). */
  recovered: number;
}

export interface MemoryGuard {
  /** Shedding now? */
  low(): boolean;
  /**
   * Looks now. It has no timer of its own: the supervisor's periodic check calls it (one timer
   * less in RAM), and so does the firmware's `errorFlag` handler, at once.
   */
  check(): void;
}

/** `free`: JsVars free now (process.memory().free on Espruino). */
export function guardMemory(free: () => number, options: MemoryGuardOptions, log: Log): MemoryGuard {
  let low = false;
  function look(): void {
    const n = free();
    if (!low && n < options.reserve) {
      low = true;
      log(
        "[memory] low: " +
          n +
          " JsVars free (reserve " +
          options.reserve +
          "): shedding the read-ahead and the line per reading",
      );
    } else if (low && n > options.recovered) {
      low = false;
      log("[memory] recovered: " + n + " JsVars free: read-ahead and reading lines back");
    }
  }
  return { low: () => low, check: look };
}
