/**
 * Exponential backoff with full jitter: the n-th delay is uniform in [0, min(cap, base * 2^n)),
 * floored so a failing broker never sees a tight loop. Retries go on forever: a sensor never gives up.
 */
export interface BackoffOptions {
  /** Ceiling of the first delay, ms. */
  baseMs: number;
  /** Largest ceiling, ms; also the ceiling after a refusal that more attempts will not fix. */
  capMs: number;
  /** Shortest delay, ms. */
  minMs: number;
}

export interface Backoff {
  /**
   * Next delay in ms. `long`: bad credentials or not authorised; retrying soon cannot help,
   * so wait between half the cap and the cap.
   */
  next(long: boolean): number;
  /** A connection stayed up: start again from the first delay. */
  reset(): void;
}

export function createBackoff(o: BackoffOptions, random: () => number): Backoff {
  let attempt = 0;
  return {
    next(long) {
      const ceiling = Math.min(o.capMs, o.baseMs * Math.pow(2, attempt));
      if (ceiling < o.capMs) attempt++;
      const delay = long ? o.capMs / 2 + (random() * o.capMs) / 2 : random() * ceiling;
      return Math.max(o.minMs, Math.floor(delay));
    },
    reset() {
      attempt = 0;
    },
  };
}
