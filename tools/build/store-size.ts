/** How many readings the durable store holds on a board, and the Storage it takes (src/store/record.ts's layout). */
import { SEGMENT_BYTES, SLOTS } from "../../src/store/record";
import type { Board } from "./boards";

/** Storage the store leaves to `.bootcde` and Espruino's other files (and compaction): 64 KB. */
export const STORAGE_RESERVE_BYTES = 65536;
/** Each Storage file carries a 32-byte header. */
export const STORAGE_FILE_HEADER_BYTES = 32;
/** A segment file's cost in Storage. */
export const SEGMENT_FILE_BYTES = SEGMENT_BYTES + STORAGE_FILE_HEADER_BYTES;
export const STORE_MIN_READINGS = 100;
export const READINGS_PER_SEGMENT = SLOTS;

/** Readings the store can hold on `board`: its Storage less what the firmware and Espruino keep. */
export function maxStoreReadings(board: Board): number {
  return (Math.floor((board.storageBytes - STORAGE_RESERVE_BYTES) / SEGMENT_FILE_BYTES) - 1) * SLOTS;
}

/** Segment files for `readings` (rounded up to whole segments, plus the ring's spare one). */
export function storeSegments(readings: number): number {
  return Math.ceil(readings / SLOTS) + 1;
}
