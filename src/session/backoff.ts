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

export class Backoff {
  private _attempt = 0;

  constructor(
    private readonly _options: BackoffOptions,
    private readonly _random: () => number,
  ) {}

  /**
   * Next delay in ms. `long`: bad credentials or not authorised; retrying soon cannot help,
   * so wait between half the cap and the cap.
   */
  next(long: boolean): number {
    const o = this._options;
    const ceiling = Math.min(o.capMs, o.baseMs * Math.pow(2, this._attempt));
    if (ceiling < o.capMs) this._attempt++;
    const delay = long ? o.capMs / 2 + (this._random() * o.capMs) / 2 : this._random() * ceiling;
    return Math.max(o.minMs, Math.floor(delay));
  }

  /** A connection stayed up: start again from the first delay. */
  reset(): void {
    this._attempt = 0;
  }
}
