/**
 * The sensor loop: read -> validate -> number (seq) -> queue -> publish at QoS 1.
 * A bad reading is logged and skipped (no seq); a good one waits in the session's bounded queue
 * until its PUBACK, through any outage; when the queue is full the oldest reading is dropped.
 */
import type { WireString } from "../mqtt/packets";
import type { Clock, Log } from "../session/ports";
import type { MqttSession } from "../session/session";
import { readingError, readingPayload } from "./reading";
import type { TemperatureSensor } from "./sensor";

export interface SensorLoopOptions {
  intervalMs: number;
  topic: WireString;
  /** `{"device":"<id>","seq":`, built at build time. */
  payloadPrefix: WireString;
}

export class SensorLoop {
  /** Sequence number of the last good reading; the first is 1. */
  seq = 0;
  failed = 0;
  dropped = 0;
  delivered = 0;
  private _timer = 0;
  private readonly _bootAt: number;

  constructor(
    private readonly _session: MqttSession,
    private readonly _sensor: TemperatureSensor,
    private readonly _clock: Clock,
    private readonly _options: SensorLoopOptions,
    private readonly _log: Log,
  ) {
    this._bootAt = _clock.now();
  }

  start(): void {
    this._log("[app] reading " + this._sensor.name + " every " + this._options.intervalMs + " ms");
    this._takeReading();
  }

  stop(): void {
    this._clock.clearTimeout(this._timer);
    this._timer = 0;
  }

  private _takeReading(): void {
    this._timer = this._clock.setTimeout(() => this._takeReading(), this._options.intervalMs);
    let answered = false;
    try {
      this._sensor.read((celsius, error) => {
        if (answered) return; // a driver calling back twice must not publish twice
        answered = true;
        this._accept(celsius, error);
      });
    } catch (e) {
      if (!answered) this._accept(undefined, "driver threw: " + ((e as Error).message || e));
      answered = true;
    }
  }

  private _accept(celsius: number | undefined, error?: string): void {
    const why = error || readingError(celsius);
    if (why) {
      this.failed++;
      this._log("[app] bad reading skipped (" + this.failed + " so far): " + why);
      return;
    }
    const seq = ++this.seq;
    const uptime = Math.floor((this._clock.now() - this._bootAt) / 1000);
    const payload = readingPayload(this._options.payloadPrefix, seq, celsius as number, uptime);
    const dropped = this._session.publish(this._options.topic, payload, 1, false, () => {
      this.delivered++;
      this._log("[app] reading #" + seq + " delivered");
    });
    this._log("[app] reading #" + seq + " " + payload + " queued (" + this._session.queued() + " waiting)");
    if (dropped) {
      this.dropped++;
      this._log("[app] queue full: dropped the oldest reading " + dropped.payload + " (" + this.dropped + " dropped so far)");
    }
  }
}
