/**
 * The durable outbox of readings: a ring of segment files in flash (record.ts has the layout).
 *
 * A reading is written before anything sends it, and is settled (marked delivered) only after its
 * PUBACK, so a reset or power cut loses nothing stored. Segments are named `rs1_<n>` with n
 * growing: the newest is written, the oldest is sent first, and a segment whose readings are all
 * settled is erased whole. RAM holds only the cursors and the few readings handed to the session:
 * it does not grow with the backlog. When the ring is full, the oldest segment is erased with its
 * undelivered readings, which are counted as dropped. Flash bytes are only ever written once
 * between erases (marks are bytes of their own), so no write rewrites a file.
 */
import type { Log } from "../session/ports";
import type { Checksum, FlashStorage } from "./ports";
import {
  DELIVERED,
  ERASED_RECORD,
  FORMAT_VERSION,
  HEADER,
  SEGMENT_BYTES,
  SENT,
  SENT_AT,
  SETTLED_AT,
  SKIPPED,
  SLOTS,
  decodeRecord,
  encodeRecord,
  recordOffset,
  type StoredReading,
} from "./record";

export type { StoredReading };

export interface StoreCounts {
  /** Readings in flash not yet delivered. */
  stored: number;
  /** Undelivered readings erased because the store was full (since this start). */
  dropped: number;
  /** Records found torn (a write cut by a power loss) and skipped, since this start. */
  torn: number;
  /** Readings found sent but not marked delivered at start: sent again, so maybe delivered twice. */
  resent: number;
}

export interface ReadingStore {
  /** Readings the store always has room for (one segment is the spare of the ring). */
  readonly capacity: number;
  /** Sequence number of the newest reading ever stored (0 for a store that never held one). */
  lastSeq(): number;
  /**
   * Numbers the reading (lastSeq + 1) and writes it to flash. Throws when the flash write fails
   * (flash full, ...): the seq is taken all the same, and the caller keeps the reading in RAM.
   */
  append(reading: Omit<StoredReading, "seq">): number;
  /** The oldest stored reading not yet handed out (this start), or undefined. */
  next(): StoredReading | undefined;
  /** Handed-out readings not yet delivered. */
  handedOut(): number;
  /** Reading `seq` (handed out) has left in a PUBLISH for the first time. */
  sent(seq: number): void;
  /** Reading `seq` (handed out) is delivered: settled in flash. False if it was not handed out. */
  delivered(seq: number): boolean;
  counts(): StoreCounts;
}

export interface StoreOptions {
  /** Segment files in the ring, at least 2 (`capacity` is (segments - 1) x 186). */
  segments: number;
  log: Log;
}

/** Segment names: `rs1_<n>`; any other `rs<version>_` is another firmware's format. */
const PREFIX = "rs" + FORMAT_VERSION + "_";
const ANY_FORMAT = /^rs\d+_\d+$/;

/** A reading handed to the session: where it is in flash, and whether its sent mark is still to write. */
interface HandedOut {
  seq: number;
  segment: number;
  slot: number;
  unsent: boolean;
}

export function openReadingStore(flash: FlashStorage, crc: Checksum, options: StoreOptions): ReadingStore {
  const log = (line: string) => options.log("[store] " + line);
  const limit = options.segments;
  const counts: StoreCounts = { stored: 0, dropped: 0, torn: 0, resent: 0 };
  /** Oldest and newest segment numbers (first > last: no segment). */
  let first = 1;
  let last = 0;
  /** Next free slot of the newest segment. */
  let writeSlot = SLOTS;
  /** The next reading to hand out: segment and slot. */
  let sendSegment = 1;
  let sendSlot = 0;
  let seq = 0;
  const out: HandedOut[] = [];
  /**
   * The send cursor's segment's marks, read once as it enters it (flash-backed strings: a few
   * JsVars). Only slots ahead of the cursor are looked at, and nothing but the cursor marks those.
   */
  let marksOf = 0;
  let settledMarks: string | undefined;
  let sentMarks: string | undefined;

  const name = (n: number) => PREFIX + n;
  const mark = (n: number, at: number, value: string) => flash.write(name(n), value, at);
  const readRecord = (n: number, slot: number) => flash.read(name(n), recordOffset(slot), ERASED_RECORD.length);

  /** Slots written in segment n: records fill in order, so the erased ones are a suffix. */
  function writtenSlots(n: number): number {
    let low = 0;
    let high = SLOTS;
    while (low < high) {
      const mid = (low + high) >> 1;
      if (readRecord(n, mid) === ERASED_RECORD) high = mid;
      else low = mid + 1;
    }
    return low;
  }

  /** Erases segment n once every reading in it is settled (not the newest: it is being written). */
  function eraseIfSettled(n: number): void {
    if (n >= last || out.some((h) => h.segment === n)) return;
    const settled = flash.read(name(n), SETTLED_AT, SLOTS);
    if (settled === undefined || settled.indexOf("\xff") >= 0) return;
    flash.erase(name(n));
    if (n === first) advanceFirst();
  }

  /** `first` moves to the oldest segment still in flash. */
  function advanceFirst(): void {
    while (first < last && flash.read(name(first), 0, 1) === undefined) first++;
  }

  // ---- Start: find what is stored ----

  function scan(): void {
    const found: number[] = [];
    let foreign = 0;
    flash.list(ANY_FORMAT).forEach((file) => {
      if (file.indexOf(PREFIX) !== 0) foreign++;
      else found.push(Number(file.slice(PREFIX.length)));
    });
    if (foreign) log(foreign + " segment(s) of another store format left as they are (not sent)");
    found.sort((a, b) => a - b);
    found.forEach((n) => {
      const header = flash.read(name(n), 0, HEADER.length);
      if (header !== HEADER) {
        // A segment whose creation was cut holds nothing; anything else unreadable is set aside.
        if (header === "\xff\xff\xff\xff") flash.erase(name(n));
        else log("segment " + name(n) + " has an unknown header: left as it is (not sent)");
        return;
      }
      if (first > last) first = n;
      last = n;
      const written = writtenSlots(n);
      const settled = flash.read(name(n), SETTLED_AT, written) as string;
      const sentMarks = flash.read(name(n), SENT_AT, written) as string;
      for (let i = 0; i < written; i++) {
        if (settled.charCodeAt(i) !== 0xff) continue;
        if (!counts.stored++) {
          sendSegment = n;
          sendSlot = i;
        }
        if (sentMarks.charCodeAt(i) !== 0xff) counts.resent++;
      }
      writeSlot = written;
    });
    if (!counts.stored) {
      sendSegment = last;
      sendSlot = writeSlot;
    }
    if (last >= first && writeSlot > 0) readOrSkip(last, writeSlot - 1);
    seq = newestSeq();
    for (let n = first; n < last; n++) eraseIfSettled(n);
  }

  /**
   * The reading in slot `slot` of segment n; when its check fails (a torn write, or an empty slot)
   * it is settled as skipped, never sent, so its segment can go. The newest written record is
   * checked at start (a power cut tears only the write in progress); any other when the send
   * cursor reaches it.
   */
  function readOrSkip(n: number, slot: number): StoredReading | undefined {
    const record = readRecord(n, slot) || "";
    const r = decodeRecord(record, crc);
    if (r || flash.read(name(n), SETTLED_AT + slot, 1) !== "\xff") return r;
    mark(n, SETTLED_AT + slot, SKIPPED);
    if (record !== ERASED_RECORD) {
      counts.torn++;
      counts.stored--;
      log("torn record skipped in " + name(n) + " slot " + slot + " (" + counts.torn + " so far)");
    }
    return undefined;
  }

  /** The seq of the newest readable record, from the newest segment back. */
  function newestSeq(): number {
    for (let n = last; n >= first; n--) {
      for (let slot = n === last ? writeSlot - 1 : SLOTS - 1; slot >= 0; slot--) {
        const r = decodeRecord(readRecord(n, slot) || "", crc);
        if (r) return r.seq;
      }
    }
    return 0;
  }

  // ---- Writing ----

  /** Starts segment last + 1, erasing the oldest (and its undelivered readings) when the ring is full. */
  function newSegment(): void {
    if (first <= last && last - first + 1 >= limit) dropOldest();
    flash.write(name(last + 1), HEADER, 0, SEGMENT_BYTES);
    if (first > last) first = last + 1;
    last++;
    writeSlot = 0;
    eraseIfSettled(last - 1);
  }

  function dropOldest(): void {
    const n = first;
    const settled = flash.read(name(n), SETTLED_AT, SLOTS) || "";
    let dropped = 0;
    let from = 0;
    let to = 0;
    for (let i = 0; i < SLOTS; i++) {
      if (settled.charCodeAt(i) !== 0xff || out.some((h) => h.segment === n && h.slot === i)) continue;
      const r = decodeRecord(readRecord(n, i) || "", crc);
      if (!r) continue;
      if (!dropped++) from = r.seq;
      to = r.seq;
    }
    flash.erase(name(n));
    first++;
    advanceFirst();
    if (sendSegment <= n) {
      sendSegment = n + 1;
      sendSlot = 0;
    }
    counts.stored -= dropped;
    counts.dropped += dropped;
    if (dropped)
      log(
        "full: dropped the " +
          dropped +
          " oldest readings, seq " +
          from +
          ".." +
          to +
          " (" +
          counts.dropped +
          " dropped so far)",
      );
  }

  function append(reading: Omit<StoredReading, "seq">): number {
    const r = reading as StoredReading;
    r.seq = ++seq;
    if (writeSlot >= SLOTS) newSegment();
    // The slot is used whatever happens next: a write cut half-way must not be written over.
    const slot = writeSlot++;
    flash.write(name(last), encodeRecord(r, crc), recordOffset(slot));
    counts.stored++;
    return r.seq;
  }

  // ---- Sending ----

  function next(): StoredReading | undefined {
    for (;;) {
      if (sendSegment > last || (sendSegment === last && sendSlot >= writeSlot)) return undefined;
      const n = sendSegment;
      if (marksOf !== n || !settledMarks) {
        marksOf = n;
        settledMarks = flash.read(name(n), SETTLED_AT, SLOTS);
        sentMarks = flash.read(name(n), SENT_AT, SLOTS);
      }
      if (sendSlot >= SLOTS || !settledMarks) {
        sendSegment++;
        sendSlot = 0;
        eraseIfSettled(n);
        continue;
      }
      const slot = sendSlot++;
      if (settledMarks.charCodeAt(slot) !== 0xff) continue;
      const r = readOrSkip(n, slot);
      if (!r) continue;
      out.push({ seq: r.seq, segment: n, slot, unsent: (sentMarks as string).charCodeAt(slot) === 0xff });
      return r;
    }
  }

  function find(seq: number): HandedOut | undefined {
    let found: HandedOut | undefined;
    out.some((h) => (h.seq === seq ? ((found = h), true) : false));
    return found;
  }

  /** Segments are erased in order, and never one holding a handed-out reading but by dropOldest. */
  const segmentKept = (h: HandedOut) => h.segment >= first;

  scan();

  return {
    capacity: (limit - 1) * SLOTS,
    lastSeq: () => seq,
    append,
    next,
    handedOut: () => out.length,
    sent(seq) {
      const h = find(seq);
      if (!h || !h.unsent || !segmentKept(h)) return;
      h.unsent = false;
      mark(h.segment, SENT_AT + h.slot, SENT);
    },
    delivered(seq) {
      const h = find(seq);
      if (!h) return false;
      out.splice(out.indexOf(h), 1);
      if (segmentKept(h)) {
        mark(h.segment, SETTLED_AT + h.slot, DELIVERED);
        counts.stored--;
      }
      // Only a segment the send cursor has left can be all settled.
      if (h.segment < sendSegment) eraseIfSettled(h.segment);
      return true;
    },
    counts: () => counts,
  };
}
