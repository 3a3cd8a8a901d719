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

export interface StoreOptions {
  /** Segment files in the ring, at least 2 (`capacity` is (segments - 1) x 186). */
  segments: number;
  log: Log;
}

/** Segment names: `rs1_<n>`; any other `rs<version>_` is another firmware's format. */
const PREFIX = "rs" + FORMAT_VERSION + "_";

/** A reading handed to the session: where it is in flash, and whether its sent mark is still to write. */
interface HandedOut {
  seq: number;
  segment: number;
  slot: number;
  unsent: boolean;
}

/**
 * A store: its state, read and changed by the functions below (on Espruino an object of methods
 * costs a function, its scope and its parameters per method, all held for the firmware's life).
 * Outside this file, only `capacity` and `counts` are read, and nothing is written.
 */
export interface ReadingStore {
  /** Readings the store always has room for (one segment is the spare of the ring). */
  readonly capacity: number;
  readonly counts: StoreCounts;
  _flash: FlashStorage;
  _crc: Checksum;
  _log: Log;
  /** Segment files in the ring. */
  _limit: number;
  /** Oldest and newest segment numbers (first > last: no segment). */
  _first: number;
  _last: number;
  /** Next free slot of the newest segment. */
  _writeSlot: number;
  /** The next reading to hand out: segment and slot. */
  _sendSegment: number;
  _sendSlot: number;
  /** The newest seq given. */
  _seq: number;
  _out: HandedOut[];
  /**
   * The send cursor's segment's marks, read once as it enters it (flash-backed strings: a few
   * JsVars). Only slots ahead of the cursor are looked at, and nothing but the cursor marks those.
   */
  _marksOf: number;
  _settledMarks: string | undefined;
  _sentMarks: string | undefined;
}

export function openReadingStore(flash: FlashStorage, crc: Checksum, options: StoreOptions): ReadingStore {
  const s: ReadingStore = {
    capacity: (options.segments - 1) * SLOTS,
    counts: { stored: 0, dropped: 0, torn: 0, resent: 0 },
    _flash: flash,
    _crc: crc,
    _log: options.log,
    _limit: options.segments,
    _first: 1,
    _last: 0,
    _writeSlot: SLOTS,
    _sendSegment: 1,
    _sendSlot: 0,
    _seq: 0,
    _out: [],
    _marksOf: 0,
    _settledMarks: undefined,
    _sentMarks: undefined,
  };
  scan(s);
  return s;
}

function mark(s: ReadingStore, n: number, at: number, value: string): void {
  s._flash.write(PREFIX + n, value, at);
}

function readRecord(s: ReadingStore, n: number, slot: number): string | undefined {
  return s._flash.read(PREFIX + n, recordOffset(slot), ERASED_RECORD.length);
}

/** Slots written in segment n: records fill in order, so the erased ones are a suffix. */
function writtenSlots(s: ReadingStore, n: number): number {
  let low = 0;
  let high = SLOTS;
  while (low < high) {
    const mid = (low + high) >> 1;
    if (readRecord(s, n, mid) === ERASED_RECORD) high = mid;
    else low = mid + 1;
  }
  return low;
}

/** Erases segment n once every reading in it is settled (not the newest: it is being written). */
function eraseIfSettled(s: ReadingStore, n: number): void {
  if (n >= s._last || s._out.some((h) => h.segment === n)) return;
  const settled = s._flash.read(PREFIX + n, SETTLED_AT, SLOTS);
  if (settled === undefined || settled.indexOf("\xff") >= 0) return;
  s._flash.erase(PREFIX + n);
  if (n === s._first) advanceFirst(s);
}

/** `first` moves to the oldest segment still in flash. */
function advanceFirst(s: ReadingStore): void {
  while (s._first < s._last && s._flash.read(PREFIX + s._first, 0, 1) === undefined) s._first++;
}

// ---- Start: find what is stored ----

function scan(s: ReadingStore): void {
  const flash = s._flash;
  const counts = s.counts;
  const found: number[] = [];
  let foreign = 0;
  // Any format's segments, `rs<version>_<n>`, picked out of every file by hand: a RegExp, even
  // one made only here, leaves Espruino's RegExp class in RAM for good (7 JsVars).
  flash.list().forEach((file) => {
    const under = file.indexOf("_");
    const version = file.slice(2, under);
    const n = file.slice(under + 1);
    if (file.indexOf("rs") !== 0 || String(+version) !== version || String(+n) !== n) return;
    if (file.indexOf(PREFIX) !== 0) foreign++;
    else found.push(+n);
  });
  if (foreign) s._log("[store] " + foreign + " segment(s) of another store format left as they are (not sent)");
  found.sort((a, b) => a - b);
  found.forEach((n) => {
    const header = flash.read(PREFIX + n, 0, HEADER.length);
    if (header !== HEADER) {
      // A segment whose creation was cut holds nothing; anything else unreadable is set aside.
      if (header === "\xff\xff\xff\xff") flash.erase(PREFIX + n);
      else s._log("[store] segment " + PREFIX + n + " has an unknown header: left as it is (not sent)");
      return;
    }
    if (s._first > s._last) s._first = n;
    s._last = n;
    const written = writtenSlots(s, n);
    const settled = flash.read(PREFIX + n, SETTLED_AT, written) as string;
    const sentMarks = flash.read(PREFIX + n, SENT_AT, written) as string;
    for (let i = 0; i < written; i++) {
      if (settled.charCodeAt(i) !== 0xff) continue;
      if (!counts.stored++) {
        s._sendSegment = n;
        s._sendSlot = i;
      }
      if (sentMarks.charCodeAt(i) !== 0xff) counts.resent++;
    }
    s._writeSlot = written;
  });
  if (!counts.stored) {
    s._sendSegment = s._last;
    s._sendSlot = s._writeSlot;
  }
  if (s._last >= s._first && s._writeSlot > 0) readOrSkip(s, s._last, s._writeSlot - 1);
  s._seq = newestSeq(s);
  for (let n = s._first; n < s._last; n++) eraseIfSettled(s, n);
}

/**
 * The reading in slot `slot` of segment n; when its check fails (a torn write, or an empty slot)
 * it is settled as skipped, never sent, so its segment can go. The newest written record is
 * checked at start (a power cut tears only the write in progress); any other when the send
 * cursor reaches it.
 */
function readOrSkip(s: ReadingStore, n: number, slot: number): StoredReading | undefined {
  const record = readRecord(s, n, slot) || "";
  const r = decodeRecord(record, s._crc);
  if (r || s._flash.read(PREFIX + n, SETTLED_AT + slot, 1) !== "\xff") return r;
  mark(s, n, SETTLED_AT + slot, SKIPPED);
  if (record !== ERASED_RECORD) {
    s.counts.torn++;
    s.counts.stored--;
    s._log("[store] torn record skipped in " + PREFIX + n + " slot " + slot + " (" + s.counts.torn + " so far)");
  }
  return undefined;
}

/** The seq of the newest readable record, from the newest segment back. */
function newestSeq(s: ReadingStore): number {
  for (let n = s._last; n >= s._first; n--) {
    for (let slot = n === s._last ? s._writeSlot - 1 : SLOTS - 1; slot >= 0; slot--) {
      const r = decodeRecord(readRecord(s, n, slot) || "", s._crc);
      if (r) return r.seq;
    }
  }
  return 0;
}

// ---- Writing ----

/** Starts segment last + 1, erasing the oldest (and its undelivered readings) when the ring is full. */
function newSegment(s: ReadingStore): void {
  if (s._first <= s._last && s._last - s._first + 1 >= s._limit) dropOldest(s);
  s._flash.write(PREFIX + (s._last + 1), HEADER, 0, SEGMENT_BYTES);
  if (s._first > s._last) s._first = s._last + 1;
  s._last++;
  s._writeSlot = 0;
  eraseIfSettled(s, s._last - 1);
}

function dropOldest(s: ReadingStore): void {
  const n = s._first;
  const settled = s._flash.read(PREFIX + n, SETTLED_AT, SLOTS) || "";
  let dropped = 0;
  let from = 0;
  let to = 0;
  for (let i = 0; i < SLOTS; i++) {
    if (settled.charCodeAt(i) !== 0xff || s._out.some((h) => h.segment === n && h.slot === i)) continue;
    const r = decodeRecord(readRecord(s, n, i) || "", s._crc);
    if (!r) continue;
    if (!dropped++) from = r.seq;
    to = r.seq;
  }
  s._flash.erase(PREFIX + n);
  s._first++;
  advanceFirst(s);
  if (s._sendSegment <= n) {
    s._sendSegment = n + 1;
    s._sendSlot = 0;
  }
  s.counts.stored -= dropped;
  s.counts.dropped += dropped;
  if (dropped)
    s._log(
      "[store] full: dropped the " +
        dropped +
        " oldest readings, seq " +
        from +
        ".." +
        to +
        " (" +
        s.counts.dropped +
        " dropped so far)",
    );
}

/** Sequence number of the newest reading ever stored (0 for a store that never held one). */
export function lastSeq(s: ReadingStore): number {
  return s._seq;
}

/**
 * Numbers the reading (lastSeq + 1) and writes it to flash. Throws when the flash write fails
 * (flash full, ...): the seq is taken all the same, and the caller keeps the reading in RAM.
 */
export function appendReading(s: ReadingStore, reading: Omit<StoredReading, "seq">): number {
  const r = reading as StoredReading;
  r.seq = ++s._seq;
  if (s._writeSlot >= SLOTS) newSegment(s);
  // The slot is used whatever happens next: a write cut half-way must not be written over.
  const slot = s._writeSlot++;
  s._flash.write(PREFIX + s._last, encodeRecord(r, s._crc), recordOffset(slot));
  s.counts.stored++;
  return r.seq;
}

// ---- Sending ----

/** The oldest stored reading not yet handed out (this start), or undefined. */
export function nextReading(s: ReadingStore): StoredReading | undefined {
  for (;;) {
    if (s._sendSegment > s._last || (s._sendSegment === s._last && s._sendSlot >= s._writeSlot)) return undefined;
    const n = s._sendSegment;
    if (s._marksOf !== n || !s._settledMarks) {
      s._marksOf = n;
      s._settledMarks = s._flash.read(PREFIX + n, SETTLED_AT, SLOTS);
      s._sentMarks = s._flash.read(PREFIX + n, SENT_AT, SLOTS);
    }
    if (s._sendSlot >= SLOTS || !s._settledMarks) {
      s._sendSegment++;
      s._sendSlot = 0;
      eraseIfSettled(s, n);
      continue;
    }
    const slot = s._sendSlot++;
    if (s._settledMarks.charCodeAt(slot) !== 0xff) continue;
    const r = readOrSkip(s, n, slot);
    if (!r) continue;
    s._out.push({ seq: r.seq, segment: n, slot, unsent: (s._sentMarks as string).charCodeAt(slot) === 0xff });
    return r;
  }
}

/** Handed-out readings not yet delivered. */
export function handedOut(s: ReadingStore): number {
  return s._out.length;
}

function find(s: ReadingStore, seq: number): HandedOut | undefined {
  let found: HandedOut | undefined;
  s._out.some((h) => (h.seq === seq ? ((found = h), true) : false));
  return found;
}

/** Reading `seq` (handed out) has left in a PUBLISH for the first time. */
export function markSent(s: ReadingStore, seq: number): void {
  const h = find(s, seq);
  if (!h || !h.unsent || h.segment < s._first) return;
  h.unsent = false;
  mark(s, h.segment, SENT_AT + h.slot, SENT);
}

/** Reading `seq` (handed out) is delivered: settled in flash. False if it was not handed out. */
export function markDelivered(s: ReadingStore, seq: number): boolean {
  const h = find(s, seq);
  if (!h) return false;
  s._out.splice(s._out.indexOf(h), 1);
  // Segments are erased in order, and never one holding a handed-out reading but by dropOldest.
  if (h.segment >= s._first) {
    mark(s, h.segment, SETTLED_AT + h.slot, DELIVERED);
    s.counts.stored--;
  }
  // Only a segment the send cursor has left can be all settled.
  if (h.segment < s._sendSegment) eraseIfSettled(s, h.segment);
  return true;
}
