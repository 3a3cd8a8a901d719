/**
 * One stored reading as 20 bytes of flash, and the segment file that holds 186 of them.
 *
 * Segment file (4,096 bytes, created erased, written once byte by byte, erased whole):
 *
 *   0      4 B   header: "RS", format version, record size
 *   4    186 B   sent marks: 0x00 once the reading's PUBLISH first left (0xFF before)
 *   190  186 B   settled marks: 0x00 delivered (PUBACK), 0x0F skipped (torn or empty slot)
 *   376  186 x 20 B records
 *
 * A record: seq u32, boot u32, uptime s u32, time u32 (Unix s, 0 = unknown), value int16 (x100),
 * check u16 (low half of the CRC-32 of the 18 bytes before it), all big-endian. Each mark is a
 * byte of its own because Espruino only writes into bytes that are still 0xFF: a mark cannot go
 * from "sent" to "delivered" in place. A write cut by a power loss leaves a record whose check
 * fails: it is skipped, never sent.
 */
import type { Checksum } from "./ports";

export const FORMAT_VERSION = 1;
export const RECORD_BYTES = 20;
export const SLOTS = 186;
export const SEGMENT_BYTES = 4096;
export const HEADER = "RS" + String.fromCharCode(FORMAT_VERSION, RECORD_BYTES);
export const SENT_AT = 4;
export const SETTLED_AT = SENT_AT + SLOTS;
export const RECORDS_AT = SETTLED_AT + SLOTS;
/** The one value of a sent mark, and the settled marks. */
export const SENT = "\x00";
export const DELIVERED = "\x00";
export const SKIPPED = "\x0f";
export const ERASED_RECORD = "\xff".repeat(RECORD_BYTES);

export interface StoredReading {
  seq: number;
  /** Firmware start this reading was taken in (the first is 1). */
  boot: number;
  /** Whole seconds since that start. */
  uptime: number;
  /** Unix seconds when taken; 0 when the clock was not known then. */
  time: number;
  /** The measured value x 100, rounded (the payload shows at most 2 decimals). */
  centi: number;
}

function u32(n: number): string {
  return String.fromCharCode((n >>> 24) & 255, (n >>> 16) & 255, (n >>> 8) & 255, n & 255);
}

function readU32(s: string, at: number): number {
  return (
    ((s.charCodeAt(at) << 24) | (s.charCodeAt(at + 1) << 16) | (s.charCodeAt(at + 2) << 8) | s.charCodeAt(at + 3)) >>> 0
  );
}

function check(body: string, crc: Checksum): string {
  const c = crc(body);
  return String.fromCharCode((c >>> 8) & 255, c & 255);
}

export function encodeRecord(r: StoredReading, crc: Checksum): string {
  const body =
    u32(r.seq) + u32(r.boot) + u32(r.uptime) + u32(r.time) + String.fromCharCode((r.centi >> 8) & 255, r.centi & 255);
  return body + check(body, crc);
}

/** The reading in `record`, or undefined when its check fails (a torn or foreign write). */
export function decodeRecord(record: string, crc: Checksum): StoredReading | undefined {
  if (record.length !== RECORD_BYTES || check(record.slice(0, 18), crc) !== record.slice(18)) return undefined;
  const v = (record.charCodeAt(16) << 8) | record.charCodeAt(17);
  return {
    seq: readU32(record, 0),
    boot: readU32(record, 4),
    uptime: readU32(record, 8),
    time: readU32(record, 12),
    centi: v > 32767 ? v - 65536 : v,
  };
}

export function recordOffset(slot: number): number {
  return RECORDS_AT + slot * RECORD_BYTES;
}
