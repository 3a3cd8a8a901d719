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

/**
 * The queue: entries oldest first, those in flight a prefix. A plain array read by the functions
 * below: on Espruino an object of methods costs a function, its scope and its parameters per
 * method, all held while connected.
 */
export type Outbox = OutboxEntry[];

/*
 * Scans use the native `some`: an Espruino array is a linked list, where a loop of entries[i]
 * costs O(i) per access.
 */

/** Index of the first entry for which `test` holds, or -1. */
function find(outbox: Outbox, test: (e: OutboxEntry) => boolean): number {
  let at = -1;
  outbox.some((e, i) => test(e) && ((at = i), true));
  return at;
}

function firstWaiting(outbox: Outbox): number {
  return find(outbox, (e) => e.state === EntryState.WAITING);
}

/**
 * Queues `entry` last, or with `first` ahead of everything waiting (the status after CONNACK).
 * When the queue holds more than `capacity`, removes and returns the oldest waiting entry (one in
 * flight is on the wire already: dropping it would free its window slot early).
 */
export function pushEntry(
  outbox: Outbox,
  capacity: number,
  entry: OutboxEntry,
  first?: boolean,
): OutboxEntry | undefined {
  const at = firstWaiting(outbox);
  if (first && at >= 0) outbox.splice(at, 0, entry);
  else outbox.push(entry);
  if (outbox.length <= capacity) return undefined;
  return outbox.splice(
    find(outbox, (e) => e.state === EntryState.WAITING && !(first && e === entry)),
    1,
  )[0];
}

/** Removes and returns the in-flight entry with packet id `id`. */
export function acknowledgeEntry(outbox: Outbox, id: number): OutboxEntry | undefined {
  const i = find(outbox, (e) => e.state === EntryState.IN_FLIGHT && e.id === id);
  return i < 0 ? undefined : outbox.splice(i, 1)[0];
}

export function removeEntry(outbox: Outbox, entry: OutboxEntry): void {
  const i = outbox.indexOf(entry);
  if (i >= 0) outbox.splice(i, 1);
}

/** The oldest waiting entry. */
export function nextToSend(outbox: Outbox): OutboxEntry | undefined {
  return outbox[firstWaiting(outbox)];
}

/** Entries in flight, oldest first. */
export function inFlight(outbox: Outbox): OutboxEntry[] {
  const end = firstWaiting(outbox);
  return end < 0 ? outbox.slice() : outbox.slice(0, end);
}

/** Is packet id `id` held by an entry (sent at least once, not yet acknowledged)? */
export function holdsId(outbox: Outbox, id: number): boolean {
  return outbox.some((e) => e.id === id);
}

/** The connection is gone: everything in flight waits again, to be resent (DUP) on the next one. */
export function connectionLost(outbox: Outbox): void {
  outbox.some((e) => {
    if (e.state === EntryState.WAITING) return true;
    e.state = EntryState.WAITING;
    return false;
  });
}
