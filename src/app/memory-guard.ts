/**
 * Watches free memory and, below a reserve, has the firmware shed what it can before Espruino runs
 * out and cuts a callback short: the delivery's read-ahead (only the reading in flight stays in
 * RAM) and the line per reading. It says so on the console, and again when memory is back. The
 * readings themselves are in flash: nothing is lost by shedding.
 */
import type { Clock, Log } from "../session/ports";

/** How often the guard looks, ms; an Espruino error flag makes it look at once. */
export const GUARD_EVERY_MS = 5000;

export interface MemoryGuardOptions {
  /** JsVars free below which the firmware sheds. */
  reserve: number;
  /** JsVars free above which it stops shedding (above `reserve`: no flapping at the edge). */
  recovered: number;
}

export interface MemoryGuard {
  /** Shedding now? */
  low(): boolean;
  /** Looks now (the timer's callback; also the firmware's `errorFlag` handler). */
  check(): void;
}

/** `free`: JsVars free now (process.memory().free on Espruino). */
export function guardMemory(free: () => number, clock: Clock, options: MemoryGuardOptions, log: Log): MemoryGuard {
  let low = false;
  function check(): void {
    clock.setTimeout(check, GUARD_EVERY_MS);
    look();
  }
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
  clock.setTimeout(check, GUARD_EVERY_MS);
  return { low: () => low, check: look };
}
