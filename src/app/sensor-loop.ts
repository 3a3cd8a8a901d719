/**
 * The sensor loop: read -> validate -> number (seq) -> queue -> publish at QoS 1.
 * A bad reading is logged and skipped (no seq); a good one waits in the session's bounded queue
 * until its PUBACK, through any outage; when the queue is full the oldest reading is dropped.
 */
import type { WireString } from "../mqtt/packets";
import type { Clock, Log } from "../session/ports";
import type { MqttSession } from "../session/session";
import type { OutboxEntry } from "../outbox/outbox";
import { readingError, readingPayload } from "./reading";
import type { TemperatureSensor } from "./sensor";

export interface SensorLoopOptions {
  intervalMs: number;
  topic: WireString;
  /** `{"device":"<id>","seq":`, built at build time. */
  payloadPrefix: WireString;
}

export interface SensorLoopCounts {
  /** Sequence number of the last good reading; the first is 1. */
  seq: number;
  failed: number;
  dropped: number;
  delivered: number;
}

export interface SensorLoop {
  start(): void;
  stop(): void;
  counts(): SensorLoopCounts;
}

export function createSensorLoop(session: MqttSession, sensor: TemperatureSensor, clock: Clock, options: SensorLoopOptions, log: Log): SensorLoop {
  const bootAt = clock.now();
  const counts: SensorLoopCounts = { seq: 0, failed: 0, dropped: 0, delivered: 0 };
  let timer = 0;
  const seqAt = options.payloadPrefix.length;

  /**
   * The one acknowledgement callback of every reading (a closure per reading would hold its
   * scopes while it waits: see OutboxEntry.onAck); the seq is read back from the payload.
   */
  function delivered(e: OutboxEntry): void {
    const payload = e.payload as WireString;
    counts.delivered++;
    log("[app] reading #" + payload.slice(seqAt, payload.indexOf(",", seqAt)) + " delivered");
  }

  function takeReading(): void {
    timer = clock.setTimeout(takeReading, options.intervalMs);
    let answered = false;
    // A driver that calls back twice must not publish twice; one that throws must not stop the loop.
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
    const seq = ++counts.seq;
    const uptime = Math.floor((clock.now() - bootAt) / 1000);
    const payload = readingPayload(options.payloadPrefix, seq, celsius as number, uptime);
    const dropped = session.publish(options.topic, payload, 1, false, delivered);
    log("[app] reading #" + seq + " " + payload + " queued (" + session.queued() + " waiting)");
    if (dropped) {
      counts.dropped++;
      log("[app] queue full: dropped the oldest reading " + dropped.payload + " (" + counts.dropped + " dropped so far)");
    }
  }

  return {
    start() {
      log("[app] reading " + sensor.name + " every " + options.intervalMs + " ms");
      takeReading();
    },
    stop() {
      clock.clearTimeout(timer);
      timer = 0;
    },
    counts: () => counts,
  };
}
