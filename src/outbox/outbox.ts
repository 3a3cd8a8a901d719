/**
 * The bounded queue of outgoing messages. An entry stays until its PUBACK arrives, so a message
 * taken while offline, or sent but never acknowledged, goes out again after reconnect.
 * When full, the oldest entry is dropped: the newest readings matter most to a sensor.
 */
import type { Payload, QoS, WireString } from "../mqtt/packets";

/**
 * A queued message. The optional fields are absent until needed: on Espruino each property of
 * each waiting message is a JsVar or more (a reading waiting costs about 10 in all).
 */
export interface OutboxEntry {
  topic: WireString;
  payload: Payload;
  qos: QoS;
  /** Absent: not retained. */
  retain?: boolean;
  /** Packet id once first sent (kept for every resend, MQTT-4.4.0-1); absent or 0 before. */
  id?: number;
  /** Sent on the current connection and waiting for its PUBACK. */
  inFlight?: boolean;
  /** When it was last sent (ms), for the retry timeout; set with `inFlight`. */
  sentAt?: number;
  /**
   * Called once, with the entry, when the broker has acknowledged it (or, at QoS 0, when it was
   * written). Pass one long-lived function, not a closure per message: on Espruino a closure keeps
   * its whole scope chain (and, run from RAM, a copy of its code) alive while the entry waits;
   * measured, 54-87 JsVars a queued reading with one, 16 without (10 once unused fields were left out).
   */
  onAck?: (entry: OutboxEntry) => void;
}

export interface Outbox {
  /** Oldest first. */
  readonly entries: OutboxEntry[];
  /**
   * Queues `entry` last; when the queue is full, removes and returns the oldest entry not in
   * flight (one in flight is already on the wire: dropping it would free its window slot early).
   */
  push(entry: OutboxEntry): OutboxEntry | undefined;
  /** Removes and returns the in-flight entry with packet id `id`. */
  acknowledge(id: number): OutboxEntry | undefined;
  remove(entry: OutboxEntry): void;
  /** The oldest entry not yet sent on this connection. */
  nextToSend(): OutboxEntry | undefined;
  /** Entries sent on this connection and not yet acknowledged, oldest first. */
  inFlight(): OutboxEntry[];
  /** Is packet id `id` held by an entry (sent at least once, not yet acknowledged)? */
  holds(id: number): boolean;
  /** The connection is gone: everything unacknowledged is sent again (DUP) on the next one. */
  connectionLost(): void;
}

/*
 * Entries are sent oldest first, so those in flight, and those with a packet id at all, are a
 * prefix of the queue: scans stop at the first entry outside it and cost O(window), not O(queue).
 * They use the native `some`: an Espruino array is a linked list, where a loop of entries[i] costs
 * O(i) per access (measured: 25 ms a message with 200 queued before, 14 ms with full scans).
 */
export function createOutbox(capacity: number): Outbox {
  const entries: OutboxEntry[] = [];

  /** Index of the first entry for which `test` holds, or -1. */
  function find(test: (e: OutboxEntry) => boolean): number {
    let at = -1;
    entries.some((e, i) => test(e) && ((at = i), true));
    return at;
  }

  return {
    entries,
    push(entry) {
      entries.push(entry);
      if (entries.length <= capacity) return undefined;
      const oldest = find((e) => !e.inFlight);
      return entries.splice(oldest < 0 ? 0 : oldest, 1)[0];
    },
    acknowledge(id) {
      const i = find((e) => !!e.inFlight && e.id === id);
      return i < 0 ? undefined : entries.splice(i, 1)[0];
    },
    remove(entry) {
      const i = entries.indexOf(entry);
      if (i >= 0) entries.splice(i, 1);
    },
    nextToSend: () => entries[find((e) => !e.inFlight)],
    inFlight() {
      const end = find((e) => !e.inFlight);
      return end < 0 ? entries.slice() : entries.slice(0, end);
    },
    holds(id) {
      const i = find((e) => e.id === id || !e.id);
      return i >= 0 && entries[i].id === id;
    },
    connectionLost() {
      // Only the in-flight prefix: a waiting entry gets no property it does not need.
      entries.some((e) => {
        if (!e.inFlight) return true;
        e.inFlight = false;
        return false;
      });
    },
  };
}
