/**
 * The session's outgoing queue in RAM: every PUBLISH goes through it, the retained status too.
 * An entry stays until its PUBACK arrives (or, at QoS 0, until written), so a message that was
 * sent but never acknowledged goes out again after a reconnect. It is small by design: readings
 * wait in flash (src/store) and only the few being sent are here.
 */
import type { Payload, QoS, WireString } from "../mqtt/packets";

/** Where an entry is, as esp-mqtt's outbox names it: waiting, or sent and awaiting its PUBACK. */
export const enum EntryState {
  /** Not sent on the current connection (never, or before a reconnect). */
  WAITING,
  /** Sent on the current connection; leaves the queue on its PUBACK. */
  IN_FLIGHT,
}

/**
 * A queued message. The optional fields are absent until needed: on Espruino each property is a
 * JsVar or more.
 */
export interface OutboxEntry {
  topic: WireString;
  payload: Payload;
  qos: QoS;
  state: EntryState;
  /** Absent: not retained. */
  retain?: boolean;
  /** Packet id once first sent (kept for every resend, MQTT-4.4.0-1); absent or 0 before. */
  id?: number;
  /** When it was last sent (ms), for the retry timeout. */
  sentAt?: number;
  /** The publisher's number for the message (a reading's seq), handed back in the session's events. */
  ref?: number;
}

export interface Outbox {
  /** Oldest first; the entries in flight are a prefix. */
  readonly entries: OutboxEntry[];
  /**
   * Queues `entry` last, or with `first` ahead of everything waiting (the status after CONNACK).
   * When the queue is full, removes and returns the oldest waiting entry (one in flight is on the
   * wire already: dropping it would free its window slot early).
   */
  push(entry: OutboxEntry, first?: boolean): OutboxEntry | undefined;
  /** Removes and returns the in-flight entry with packet id `id`. */
  acknowledge(id: number): OutboxEntry | undefined;
  remove(entry: OutboxEntry): void;
  /** The oldest waiting entry. */
  nextToSend(): OutboxEntry | undefined;
  /** Entries in flight, oldest first. */
  inFlight(): OutboxEntry[];
  /** Is packet id `id` held by an entry (sent at least once, not yet acknowledged)? */
  holds(id: number): boolean;
  /** The connection is gone: everything in flight waits again, to be resent (DUP) on the next one. */
  connectionLost(): void;
}

/*
 * Scans use the native `some`: an Espruino array is a linked list, where a loop of entries[i]
 * costs O(i) per access.
 */
export function createOutbox(capacity: number): Outbox {
  const entries: OutboxEntry[] = [];

  /** Index of the first entry for which `test` holds, or -1. */
  function find(test: (e: OutboxEntry) => boolean): number {
    let at = -1;
    entries.some((e, i) => test(e) && ((at = i), true));
    return at;
  }
  const firstWaiting = () => find((e) => e.state === EntryState.WAITING);

  return {
    entries,
    push(entry, first) {
      const at = firstWaiting();
      if (first && at >= 0) entries.splice(at, 0, entry);
      else entries.push(entry);
      if (entries.length <= capacity) return undefined;
      return entries.splice(
        find((e) => e.state === EntryState.WAITING && !(first && e === entry)),
        1,
      )[0];
    },
    acknowledge(id) {
      const i = find((e) => e.state === EntryState.IN_FLIGHT && e.id === id);
      return i < 0 ? undefined : entries.splice(i, 1)[0];
    },
    remove(entry) {
      const i = entries.indexOf(entry);
      if (i >= 0) entries.splice(i, 1);
    },
    nextToSend: () => entries[firstWaiting()],
    inFlight() {
      const end = firstWaiting();
      return end < 0 ? entries.slice() : entries.slice(0, end);
    },
    holds: (id) => entries.some((e) => e.id === id),
    connectionLost() {
      entries.some((e) => {
        if (e.state === EntryState.WAITING) return true;
        e.state = EntryState.WAITING;
        return false;
      });
    },
  };
}
