// The flash image on disk, in the Linux build's format (./espruino.flash: the raw bytes, 0xFF
// where erased), so a file written by the interpreter loads here and the other way round.
// A save must survive the host process being killed at any moment (old state or new, never a
// mix), and be cheap (it follows every Storage call that changed flash):
//  - the first save (no file yet, or one of another size) writes a temporary file, renamed over;
//  - later saves write the changed byte ranges to `<file>.journal` (with a CRC-32), then into
//    the image in place, then delete the journal. At load, a whole journal is applied again
//    (the kill came while the image was being written: new state), a torn one is dropped (the
//    image was not touched yet: old state).
import { closeSync, openSync, readFileSync, renameSync, rmSync, statSync, writeFileSync, writeSync } from "node:fs";
import { crc32 } from "node:zlib";

export type Range = [start: number, end: number];

interface Entry {
  start: number;
  bytes: Uint8Array;
}

const MAGIC = 0x4c4e4a45; // "EJNL"

export class FlashFile {
  readonly journal: string;

  constructor(
    readonly path: string,
    readonly size: number,
  ) {
    this.journal = path + ".journal";
  }

  /** The image's bytes (a journal left by a crash applied), or undefined when there is none. */
  load(): Uint8Array | undefined {
    const image = readOrUndefined(this.path);
    const journal = readOrUndefined(this.journal);
    const entries = journal && parseJournal(journal);
    if (image && entries && image.length === this.size) {
      this.writeInPlace(entries);
      for (const e of entries) image.set(e.bytes, e.start);
    }
    rmSync(this.journal, { force: true });
    return image;
  }

  /** Persists `bytes`: only `ranges` when the file is already there, else all of it. */
  save(bytes: Uint8Array, ranges: Range[]): void {
    if (!this.complete()) {
      const tmp = `${this.path}.${process.pid}.tmp`;
      try {
        writeFileSync(tmp, bytes);
        renameSync(tmp, this.path);
      } catch (e) {
        rmSync(tmp, { force: true });
        throw e;
      }
      return;
    }
    this.writeInPlace(this.writeJournal(bytes, ranges));
    rmSync(this.journal);
  }

  /** A save's first step (public for tests that stop there, as a crash would). */
  writeJournal(bytes: Uint8Array, ranges: Range[]): Entry[] {
    const entries = ranges.map(([start, end]) => ({ start, bytes: bytes.subarray(start, end) }));
    writeFileSync(this.journal, makeJournal(entries));
    return entries;
  }

  private complete(): boolean {
    try {
      return statSync(this.path).size === this.size;
    } catch {
      return false;
    }
  }

  private writeInPlace(entries: Entry[]): void {
    const fd = openSync(this.path, "r+");
    try {
      for (const e of entries) writeSync(fd, e.bytes, 0, e.bytes.length, e.start);
    } finally {
      closeSync(fd);
    }
  }
}

/** Journal: magic, entry count, then (start, length, bytes) per entry, then a CRC-32 of it all. */
function makeJournal(entries: Entry[]): Uint8Array {
  const length = 8 + entries.reduce((n, e) => n + 8 + e.bytes.length, 0) + 4;
  const out = new Uint8Array(length);
  const view = new DataView(out.buffer);
  view.setUint32(0, MAGIC, true);
  view.setUint32(4, entries.length, true);
  let at = 8;
  for (const e of entries) {
    view.setUint32(at, e.start, true);
    view.setUint32(at + 4, e.bytes.length, true);
    out.set(e.bytes, at + 8);
    at += 8 + e.bytes.length;
  }
  view.setUint32(at, crc32(out.subarray(0, at)), true);
  return out;
}

/** The journal's entries, or undefined when it is torn (short, or the CRC does not match). */
function parseJournal(data: Uint8Array): Entry[] | undefined {
  if (data.length < 12) return undefined;
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  if (view.getUint32(0, true) !== MAGIC) return undefined;
  const end = data.length - 4;
  if (crc32(data.subarray(0, end)) !== view.getUint32(end, true)) return undefined;
  const entries: Entry[] = [];
  let at = 8;
  for (let n = view.getUint32(4, true); n > 0; n--) {
    if (at + 8 > end) return undefined;
    const start = view.getUint32(at, true);
    const length = view.getUint32(at + 4, true);
    if (at + 8 + length > end) return undefined;
    entries.push({ start, bytes: data.subarray(at + 8, at + 8 + length) });
    at += 8 + length;
  }
  return at === end ? entries : undefined;
}

function readOrUndefined(file: string): Uint8Array | undefined {
  try {
    return new Uint8Array(readFileSync(file));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw e;
  }
}
