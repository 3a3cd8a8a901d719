/**
 * The sensor loop: read -> validate -> hand to delivery (which numbers it, stores it in flash
 * and publishes it at QoS 1). A bad reading is logged and skipped: it takes no seq and is never
 * stored.
 */
import type { Clock, Log } from "../session/ports";
import type { Delivery } from "./delivery";
import { centiText, readingError } from "./reading";
import type { TemperatureSensor } from "./sensor";

export interface SensorLoopCounts {
  failed: number;
}

export interface SensorLoop {
  /** A reading every interval from now on, and a summary line every minute. */
  start(): void;
  stop(): void;
  /**
   * Battery mode: one good reading, retried up to `attempts` times an interval apart; `done(true)`
   * once it is stored, `done(false)` when every attempt failed.
   */
  readOnce(attempts: number, done: (stored: boolean) => void): void;
  counts(): SensorLoopCounts;
  /** A new interval, ms: the next reading comes that long from now (when started). */
  interval(ms: number): void;
  /** The interval now, ms. */
  intervalMs(): number;
}

/** How often the console gets a summary line (LOG_LEVEL info and debug), ms. */
export const SUMMARY_EVERY_MS = 60000;

/** `quiet`: leave out the line per reading for now (memory is short: memory-guard.ts). */
export function createSensorLoop(
  delivery: Delivery,
  sensor: TemperatureSensor,
  clock: Clock,
  intervalMs: number,
  log: Log,
  quiet?: () => boolean,
): SensorLoop {
  const counts: SensorLoopCounts = { failed: 0 };
  let timer = 0;
  let summaryTimer = 0;

  function summary(): void {
    summaryTimer = clock.setTimeout(summary, SUMMARY_EVERY_MS);
    const d = delivery.counts();
    log(
      "[app] summary: " +
        d.delivered +
        " delivered, " +
        d.waiting +
        " waiting, " +
        d.dropped +
        " dropped, " +
        counts.failed +
        " failed reads, " +
        (d.connects ? d.connects - 1 : 0) +
        " reconnects",
    );
  }

  function takeReading(): void {
    timer = clock.setTimeout(takeReading, intervalMs);
    read();
  }

  /** Reads the sensor once; `then` hears whether a good reading was stored. */
  function read(then?: (stored: boolean) => void): void {
    let answered = false;
    // A driver that calls back twice must not store twice; one that throws must not stop the loop.
    const once = (celsius: number | undefined, error?: string) => {
      if (answered) return;
      answered = true;
      let stored = false;
      try {
        stored = accept(celsius, error);
      } catch (e) {
        log("[app] reading lost: " + ((e as Error).message || e));
      }
      if (then) then(stored);
    };
    try {
      sensor.read(once);
    } catch (e) {
      once(undefined, "driver threw: " + ((e as Error).message || e));
    }
  }

  function readOnce(attempts: number, done: (stored: boolean) => void): void {
    read((stored) => {
      if (stored || attempts <= 1) return done(stored);
      timer = clock.setTimeout(() => {
        timer = 0;
        readOnce(attempts - 1, done);
      }, intervalMs);
    });
  }

  function accept(celsius: number | undefined, error?: string): boolean {
    const why = error || readingError(celsius);
    if (why) {
      counts.failed++;
      log("[app] bad reading skipped (" + counts.failed + " so far): " + why);
      return false;
    }
    const centi = Math.round((celsius as number) * 100);
    const seq = delivery.add(centi);
    if (LOG_INFO && !(quiet && quiet()))
      log("[app] reading #" + seq + " " + centiText(centi) + " C stored (" + delivery.counts().waiting + " waiting)");
    return true;
  }

  return {
    start() {
      log("[app] reading " + sensor.name + " every " + intervalMs + " ms");
      if (LOG_INFO) summaryTimer = clock.setTimeout(summary, SUMMARY_EVERY_MS);
      takeReading();
    },
    stop() {
      clock.clearTimeout(timer);
      clock.clearTimeout(summaryTimer);
      timer = summaryTimer = 0;
    },
    counts: () => counts,
    readOnce,
    interval(ms) {
      intervalMs = ms;
      if (!timer) return;
      clock.clearTimeout(timer);
      timer = clock.setTimeout(takeReading, ms);
    },
    intervalMs: () => intervalMs,
  };
}
