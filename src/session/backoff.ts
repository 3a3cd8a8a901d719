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

/**
 * The delay before the next attempt, ms, after `failures` attempts in a row (0: the first retry).
 * `long`: bad credentials or not authorised; retrying soon cannot help, so wait between half the
 * cap and the cap. A pure function: the session counts the failures.
 */
export function backoffDelay(o: BackoffOptions, failures: number, long: boolean, random: () => number): number {
  const ceiling = Math.min(o.capMs, o.baseMs * Math.pow(2, failures));
  const delay = long ? o.capMs / 2 + (random() * o.capMs) / 2 : random() * ceiling;
  return Math.max(o.minMs, Math.floor(delay));
}
