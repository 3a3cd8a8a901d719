/**
 * Readings from the store to the broker: every good reading is written to flash first; while
 * connected, the oldest stored ones are handed to the session a few at a time (`readAhead`); a
 * reading is settled in flash only once the session reports its PUBACK. So RAM holds a handful of readings
 * whatever the backlog, and a reset at any moment loses nothing stored.
 */
import type { WireString } from "../mqtt/packets";
import type { Log } from "../session/ports";
import { SessionEvent, type MqttSession } from "../session/session";
import { SessionState } from "../session/state";
import {
  appendReading,
  handedOut,
  lastSeq,
  markDelivered,
  markSent,
  nextReading,
  type ReadingStore,
  type StoredReading,
} from "../store/reading-store";
import { readingPayload, type PayloadFormat } from "./reading";

export interface DeliveryOptions {
  topic: WireString;
  format: PayloadFormat;
  /** Readings handed to the session at a time: the in-flight window and one ready behind it. */
  readAhead: number;
  /** This start's number (the store's boot counter). */
  boot: number;
  /** Memory is short (memory-guard.ts): hand out one reading at a time. */
  lowMemory?: () => boolean;
}

export interface DeliveryClock {
  /** Whole seconds since this start. */
  uptime(): number;
  /** Unix seconds now, or 0 while the clock is not set (before SNTP). */
  unixTime(): number;
}

export interface Delivery {
  /** Stores a good reading and numbers it; it goes out when its turn comes. Returns its seq. */
  add(centi: number): number;
  /** What the periodic summary, the line of each reading and the diagnostics say. */
  counts(): DeliveryCounts;
}

export interface DeliveryCounts {
  delivered: number;
  waiting: number;
  /** Dropped since this start: the store full, or (not stored) the RAM queue full. */
  dropped: number;
  /** Connections made (CONNACKs) since this start. */
  connects: number;
}

export function createDelivery(
  session: MqttSession,
  store: ReadingStore,
  clock: DeliveryClock,
  options: DeliveryOptions,
  log: Log,
): Delivery {
  let delivered = 0;
  let connects = 0;
  let droppedInRam = 0;

  /** Unix time of a stored reading: as taken, or back-dated from uptime once the clock is set. */
  function timeOf(r: StoredReading): number {
    if (r.time || r.boot !== options.boot) return r.time;
    const now = clock.unixTime();
    return now ? now - (clock.uptime() - r.uptime) : 0;
  }

  /** Hands the oldest stored readings to the session while it has room for them. */
  function feed(): void {
    while (handedOut(store) < (options.lowMemory && options.lowMemory() ? 1 : options.readAhead)) {
      const r = nextReading(store);
      if (!r) return;
      session.publish(options.topic, readingPayload(options.format, r, timeOf(r)), 1, false, r.seq);
    }
  }

  // Readings' refs are their seqs, from 1; other messages have none, or one below 1.
  session.listen((event, ref) => {
    if (event === SessionEvent.CONNECTED) connects++;
    if (event === SessionEvent.CONNECTED || event === SessionEvent.CONNECTING) return feed();
    const seq = ref as number | undefined;
    if (seq === undefined || seq < 1) return;
    if (event === SessionEvent.SENT) {
      markSent(store, seq);
    } else if (event === SessionEvent.DELIVERED) {
      markDelivered(store, seq);
      delivered++;
      if (LOG_DEBUG) log("[app] reading #" + seq + " delivered");
      feed();
    } else {
      // Only readings kept in RAM (flash refused them) can be dropped: stored ones wait in flash.
      droppedInRam++;
      log("[app] reading #" + seq + " dropped: the RAM queue is full");
    }
  });

  return {
    add(centi) {
      const reading = { boot: options.boot, uptime: clock.uptime(), time: clock.unixTime(), centi };
      let seq: number;
      try {
        seq = appendReading(store, reading);
      } catch (e) {
        // Flash refused it (full, or failing): it still goes out, from RAM, and is lost at a reset.
        seq = lastSeq(store);
        log("[store] reading #" + seq + " not stored (" + ((e as Error).message || e) + "): kept in RAM only");
        session.publish(
          options.topic,
          readingPayload(options.format, reading as StoredReading, reading.time),
          1,
          false,
          seq,
        );
        return seq;
      }
      // Offline it stays in flash only: handed out at CONNACK, with its time known by then.
      if (session.state() === SessionState.CONNECTED) feed();
      return seq;
    },
    counts: () => ({
      delivered,
      waiting: store.counts.stored,
      dropped: store.counts.dropped + droppedInRam,
      connects,
    }),
  };
}
