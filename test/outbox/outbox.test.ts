/**
 * The outbox on its own (src/outbox/outbox.ts): queue order and `first`, what a full queue drops
 * (the oldest waiting entry, never one in flight), acknowledge, remove, nextToSend, inFlight,
 * holds and connectionLost. Entries go in flight the way the session does it: it takes
 * nextToSend(), sets its packet id and marks it IN_FLIGHT itself.
 */
import { describe, expect, it } from "vitest";
import {
  acknowledgeEntry,
  connectionLost,
  EntryState,
  holdsId,
  inFlight,
  nextToSend,
  pushEntry,
  removeEntry,
  type Outbox,
  type OutboxEntry,
} from "../../src/outbox/outbox";

/** Each test outbox's capacity, which the session keeps beside its outbox. */
const capacities = new WeakMap<Outbox, number>();

function push(outbox: Outbox, e: OutboxEntry, first?: boolean): OutboxEntry | undefined {
  return pushEntry(outbox, capacities.get(outbox)!, e, first);
}

/** A waiting QoS 1 entry, told apart by its topic. */
function entry(topic: string): OutboxEntry {
  return { topic, payload: "x", qos: 1, state: EntryState.WAITING };
}

/** Sends the oldest waiting entry as session.ts's sendEntry does; returns it. */
function send(outbox: Outbox, id: number): OutboxEntry {
  const e = nextToSend(outbox)!;
  e.id = id;
  e.state = EntryState.IN_FLIGHT;
  return e;
}

/** An outbox holding entries named `names`, oldest first. */
function filled(capacity: number, ...names: string[]): Outbox {
  const outbox: Outbox = [];
  capacities.set(outbox, capacity);
  for (const n of names) expect(push(outbox, entry(n))).toBeUndefined();
  return outbox;
}

const topics = (outbox: Outbox) => outbox.map((e) => e.topic);

describe("outbox", () => {
  it("keeps entries oldest first and sends the oldest waiting one next", () => {
    const outbox = filled(8, "a", "b", "c");
    expect(topics(outbox)).toEqual(["a", "b", "c"]);
    expect(nextToSend(outbox)!.topic).toBe("a");
    send(outbox, 1);
    expect(nextToSend(outbox)!.topic).toBe("b");
    send(outbox, 2);
    send(outbox, 3);
    expect(nextToSend(outbox)).toBeUndefined();
  });

  it("puts a `first` entry ahead of everything waiting but behind what is in flight", () => {
    const outbox = filled(8, "a", "b", "c");
    send(outbox, 1);
    expect(push(outbox, entry("status"), true)).toBeUndefined();
    expect(topics(outbox)).toEqual(["a", "status", "b", "c"]);
    expect(nextToSend(outbox)!.topic).toBe("status");
  });

  it("queues a `first` entry last when everything is in flight", () => {
    const outbox = filled(8, "a", "b");
    send(outbox, 1);
    send(outbox, 2);
    push(outbox, entry("status"), true);
    expect(topics(outbox)).toEqual(["a", "b", "status"]);
  });

  it("when full, removes and returns the oldest waiting entry, never one in flight", () => {
    const outbox = filled(3, "a", "b", "c");
    send(outbox, 1);
    const dropped = push(outbox, entry("d"));
    expect(dropped!.topic).toBe("b");
    expect(topics(outbox)).toEqual(["a", "c", "d"]);
  });

  it("when full, a `first` entry drops the oldest waiting entry other than itself", () => {
    const outbox = filled(3, "a", "b", "c");
    send(outbox, 1);
    expect(push(outbox, entry("status"), true)!.topic).toBe("b");
    expect(topics(outbox)).toEqual(["a", "status", "c"]);
  });

  it("when full with everything in flight, refuses the new entry: returns it, the queue unchanged", () => {
    for (const first of [false, true]) {
      const outbox = filled(2, "a", "b");
      send(outbox, 1);
      send(outbox, 2);
      const late = entry("late");
      expect(push(outbox, late, first)).toBe(late);
      expect(topics(outbox)).toEqual(["a", "b"]);
      expect(inFlight(outbox).map((e) => e.id)).toEqual([1, 2]);
    }
  });

  it("acknowledge removes and returns only the in-flight entry with that id", () => {
    const outbox = filled(8, "a", "b", "c");
    send(outbox, 7);
    send(outbox, 8);
    expect(acknowledgeEntry(outbox, 99)).toBeUndefined();
    expect(acknowledgeEntry(outbox, 8)!.topic).toBe("b");
    expect(acknowledgeEntry(outbox, 8)).toBeUndefined();
    expect(topics(outbox)).toEqual(["a", "c"]);
  });

  it("acknowledge ignores a waiting entry, even one holding that id since a lost connection", () => {
    const outbox = filled(8, "a");
    send(outbox, 5);
    connectionLost(outbox);
    expect(acknowledgeEntry(outbox, 5)).toBeUndefined();
    expect(topics(outbox)).toEqual(["a"]);
  });

  it("remove takes out that entry, in flight or waiting, and ignores one not queued", () => {
    const outbox = filled(8, "a", "b", "c");
    const a = send(outbox, 1);
    removeEntry(outbox, outbox[2]);
    expect(topics(outbox)).toEqual(["a", "b"]);
    removeEntry(outbox, a);
    expect(topics(outbox)).toEqual(["b"]);
    removeEntry(outbox, entry("stranger"));
    expect(topics(outbox)).toEqual(["b"]);
  });

  it("inFlight lists the entries in flight, oldest first, as a copy", () => {
    const outbox = filled(8, "a", "b", "c");
    expect(inFlight(outbox)).toEqual([]);
    send(outbox, 1);
    send(outbox, 2);
    expect(inFlight(outbox).map((e) => e.topic)).toEqual(["a", "b"]);
    send(outbox, 3);
    const all = inFlight(outbox);
    expect(all.map((e) => e.topic)).toEqual(["a", "b", "c"]);
    all.pop();
    expect(outbox).toHaveLength(3);
  });

  it("holds a packet id while an entry has it, in flight or waiting to be resent", () => {
    const outbox = filled(8, "a", "b");
    expect(holdsId(outbox, 1)).toBe(false);
    send(outbox, 1);
    expect(holdsId(outbox, 1)).toBe(true);
    expect(holdsId(outbox, 2)).toBe(false);
    connectionLost(outbox);
    expect(holdsId(outbox, 1)).toBe(true);
    send(outbox, 1);
    acknowledgeEntry(outbox, 1);
    expect(holdsId(outbox, 1)).toBe(false);
  });

  it("connectionLost makes everything in flight wait again, in order, keeping the ids", () => {
    const outbox = filled(8, "a", "b", "c");
    send(outbox, 1);
    send(outbox, 2);
    connectionLost(outbox);
    expect(outbox.map((e) => e.state)).toEqual([EntryState.WAITING, EntryState.WAITING, EntryState.WAITING]);
    expect(outbox.map((e) => e.id)).toEqual([1, 2, undefined]);
    expect(inFlight(outbox)).toEqual([]);
    expect(nextToSend(outbox)!.topic).toBe("a");
  });
});
