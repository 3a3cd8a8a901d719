/**
 * A sensor for boards without one (Espruino's Linux build): a deterministic daily-like waveform,
 * with a configurable share of failed reads (NaN, out of range, or an error) to exercise the
 * firmware's handling of bad readings.
 */
import type { ReadCallback, TemperatureSensor } from "./sensor";

export interface SimulatedSensorOptions {
  /** Share of reads that fail, 0..1. */
  failureRate: number;
  /** Seed of the failure pattern, so a run can be repeated. */
  seed: number;
}

export class SimulatedSensor implements TemperatureSensor {
  readonly name = "simulated sensor";
  private _count = 0;
  private _state: number;

  constructor(private readonly _options: SimulatedSensorOptions) {
    this._state = _options.seed >>> 0 || 1;
  }

  read(done: ReadCallback): void {
    const n = this._count++;
    // xorshift32: deterministic and tiny.
    let x = this._state;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this._state = x >>> 0;
    if (this._state / 4294967296 < this._options.failureRate) {
      const kind = n % 3;
      if (kind === 0) return done(NaN);
      if (kind === 1) return done(150 + n);
      return done(undefined, "simulated read error");
    }
    done(20 + 5 * Math.sin(n / 10) + (n % 7) / 100);
  }
}
