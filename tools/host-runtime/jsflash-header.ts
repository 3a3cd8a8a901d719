// Espruino's Storage file header (JsfFileHeader in src/jsflash.h, 2v29) and the helpers every
// part of the jsflash.c port shares: a 4-byte size (flags in the top 8 bits) and a 28-byte
// zero-padded name; the first 4 name bytes are zeroed when the file becomes trash.
import { WORD } from "./flash-image";

export const HEADER_BYTES = 32;
export const NAME_BYTES = 28;
export const FLAG_FILENAME_TABLE = 32;
export const FLAG_STORAGEFILE = 64;
export const FLAG_COMPRESSED = 128;
export const WORD_UNSET = 0xffffffff;

/** jsfGetNextFileHeader's modes. */
export const GET_EMPTY = 0; // stop at the first empty header
export const GET_ALL = 1; // skip to the next page after an empty header
export const NAME_START_ONLY = 2; // read only size and the first 4 chars of the name

/** JsfFileHeader. Partial reads update only size and the first 4 name bytes, as in C. */
export class Header {
  size = 0;
  name = new Uint8Array(NAME_BYTES);

  get firstChars(): number {
    return (this.name[0]! | (this.name[1]! << 8) | (this.name[2]! << 16) | (this.name[3]! << 24)) >>> 0;
  }

  clearFirstChars(): void {
    this.name.fill(0, 0, 4);
  }

  copy(): Header {
    const h = new Header();
    h.size = this.size;
    h.name.set(this.name);
    return h;
  }

  bytes(): Uint8Array {
    const out = new Uint8Array(HEADER_BYTES);
    new DataView(out.buffer).setUint32(0, this.size >>> 0, true);
    out.set(this.name, 4);
    return out;
  }
}

export function fileSize(h: Header): number {
  return (h.size & 0x00ffffff) >>> 0;
}

export function fileFlags(h: Header): number {
  return h.size >>> 24;
}

export function alignAddress(addr: number): number {
  return Math.ceil(addr / WORD) * WORD;
}

/** jsfNameFromVar: up to 28 bytes, zero padded. */
export function nameFromBytes(bytes: Uint8Array): Uint8Array {
  const name = new Uint8Array(NAME_BYTES);
  name.set(bytes.subarray(0, NAME_BYTES));
  return name;
}

/** jsfVarFromName: the name up to its first zero byte, one char per byte. */
export function nameToString(name: Uint8Array): string {
  let s = "";
  for (const b of name) {
    if (b === 0) break;
    s += String.fromCharCode(b);
  }
  return s;
}

export function namesEqual(a: Uint8Array, b: Uint8Array): boolean {
  for (let i = 0; i < NAME_BYTES; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** jsfIsRealFile: not trash, and a kind of file that is listed and kept by compaction. */
export function isRealFile(h: Header): boolean {
  const flags = fileFlags(h);
  return h.firstChars !== 0 && (flags === 0 || flags === FLAG_STORAGEFILE || flags === FLAG_COMPRESSED);
}

/** A position in flash, moved on by JsFlash.next() (jsfGetNextFileHeader's `uint32_t *addr`). */
export interface Cursor {
  addr: number;
}
