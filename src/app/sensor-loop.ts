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
  start(): void;
  stop(): void;
  counts(): SensorLoopCounts;
}

/** How often the console gets a summary line (LOG_LEVEL info and debug), ms. */
export const SUMMARY_EVERY_MS = 60000;

/** `quiet`: leave out the line per reading for now (memory is short: memory-guard.ts). */
export function createSensorLoop(delivery: Delivery, sensor: TemperatureSensor, clock: Clock, intervalMs: number, log: Log, quiet?: () => boolean): SensorLoop {
  const counts: SensorLoopCounts = { failed: 0 };
  let timer = 0;
  let summaryTimer = 0;

  function summary(): void {
    summaryTimer = clock.setTimeout(summary, SUMMARY_EVERY_MS);
    const d = delivery.counts();
    log("[app] summary: " + d.delivered + " delivered, " + d.waiting + " waiting, " + d.dropped + " dropped, " + counts.failed + " failed reads, " + (d.connects ? d.connects - 1 : 0) + " reconnects");
  }

  function takeReading(): void {
    timer = clock.setTimeout(takeReading, intervalMs);
    let answered = false;
    // A driver that calls back twice must not store twice; one that throws must not stop the loop.
    const once = (celsius: number | undefined, error?: string) => {
      if (answered) return;
      answered = true;
      try {
        accept(celsius, error);
      } catch (e) {
        log("[app] reading lost: " + ((e as Error).message || e));
      }
    };
    try {
      sensor.read(once);
    } catch (e) {
      once(undefined, "driver threw: " + ((e as Error).message || e));
    }
  }

  function accept(celsius: number | undefined, error?: string): void {
    const why = error || readingError(celsius);
    if (why) {
      counts.failed++;
      return log("[app] bad reading skipped (" + counts.failed + " so far): " + why);
    }
    const centi = Math.round((celsius as number) * 100);
    const seq = delivery.add(centi);
    if (LOG_INFO && !(quiet && quiet())) log("[app] reading #" + seq + " " + centiText(centi) + " C stored (" + delivery.waiting() + " waiting)");
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
  };
}
