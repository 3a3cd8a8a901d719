// The flash memory Storage lives in, as Espruino's hardware layer sees it (targets/linux/
// jshardware.c, src/jshardware_common.c): a byte image split in erase pages, where a write can
// only clear bits (the Linux build ANDs the new bytes into its file, as NOR flash does) and an
// erase sets a whole page back to 0xFF. Counts the wear: bytes written and pages erased.

/** Wear since the image was made (runtime start): what a benchmark reports. */
export interface FlashWear {
  /** Bytes passed to jshFlashWrite (headers, data padded to 4-byte words, trash marks, compaction copies). */
  bytesWritten: number;
  /** jshFlashWrite calls. */
  writes: number;
  /** jshFlashErasePage calls (a page is erased even when it already was, e.g. by eraseAll). */
  pagesErased: number;
}

/** JSF_ALIGNMENT: flash is written in 4-byte words. */
export const WORD = 4;

export class FlashImage {
  readonly bytes: Uint8Array;
  readonly wear: FlashWear = { bytesWritten: 0, writes: 0, pagesErased: 0 };
  /** Byte ranges (from the image's start) changed since takeChanges(). */
  private changes: Array<[number, number]> = [];

  /**
   * @param base address of the first byte (nonzero: jsflash.c treats address 0 as "none";
   *   the Linux build's FLASH_START is 0x10000000)
   */
  constructor(
    readonly base: number,
    readonly size: number,
    readonly pageBytes: number,
    contents?: Uint8Array,
  ) {
    if (!(pageBytes > 0) || size % pageBytes !== 0)
      throw new Error(`flash size ${size} is not a multiple of the page size ${pageBytes}`);
    this.bytes = new Uint8Array(size).fill(0xff);
    if (contents) this.bytes.set(contents.subarray(0, size));
  }

  get changed(): boolean {
    return this.changes.length > 0;
  }

  /** The changed ranges, sorted and merged, and forgets them (the caller persists them). */
  takeChanges(): Array<[number, number]> {
    const sorted = this.changes.sort((a, b) => a[0] - b[0]);
    this.changes = [];
    const merged: Array<[number, number]> = [];
    for (const [from, to] of sorted) {
      const last = merged[merged.length - 1];
      if (last && from <= last[1]) last[1] = Math.max(last[1], to);
      else merged.push([from, to]);
    }
    return merged;
  }

  get end(): number {
    return this.base + this.size;
  }

  /** jshFlashGetPage: the page holding addr, or undefined outside the flash. */
  page(addr: number): { start: number; length: number } | undefined {
    if (addr < this.base || addr >= this.end) return undefined;
    return {
      start: this.base + Math.floor((addr - this.base) / this.pageBytes) * this.pageBytes,
      length: this.pageBytes,
    };
  }

  /** jshFlashRead into `into` (outside the flash, `into` is left as it was, as with NO_ASSERT). */
  read(addr: number, into: Uint8Array, length = into.length): Uint8Array {
    if (addr < this.base || addr >= this.end) return into;
    const from = addr - this.base;
    into.set(this.bytes.subarray(from, Math.min(from + length, this.size)));
    return into;
  }

  /** jshFlashWrite: bits can only be cleared. */
  write(addr: number, data: Uint8Array): void {
    if (addr < this.base || addr >= this.end) return;
    const from = addr - this.base;
    const n = Math.min(data.length, this.size - from);
    for (let i = 0; i < n; i++) this.bytes[from + i] = this.bytes[from + i]! & data[i]!;
    this.wear.bytesWritten += data.length;
    this.wear.writes++;
    if (n > 0) this.changes.push([from, from + n]);
  }

  /** jshFlashErasePage. */
  erasePage(addr: number): void {
    const p = this.page(addr);
    if (!p) return;
    this.bytes.fill(0xff, p.start - this.base, p.start - this.base + p.length);
    this.wear.pagesErased++;
    this.changes.push([p.start - this.base, p.start - this.base + p.length]);
  }

  /** jshFlashErasePages: every page from the one holding start up to start+length. */
  erasePages(start: number, length: number): boolean {
    const end = start + length;
    let p = this.page(start);
    if (!p) return false;
    while (p.start < end) {
      this.erasePage(p.start);
      p = this.page(p.start + p.length);
      if (!p) return true;
    }
    return true;
  }

  /**
   * jshFlashWriteAligned: an unaligned start or end is written as a whole word, read back
   * first (so "Hello" at a word boundary is two 4-byte writes, "Hell" and "o\xFF\xFF\xFF").
   */
  writeAligned(addr: number, data: Uint8Array): void {
    let pos = 0;
    let len = data.length;
    const offset = addr & (WORD - 1);
    if (offset) {
      const word = this.read(addr - offset, new Uint8Array(WORD));
      const n = Math.min(WORD - offset, len);
      word.set(data.subarray(0, n), offset);
      this.write(addr - offset, word);
      pos += n;
      addr += n;
      if (n >= len) return;
      len -= n;
    }
    const tail = len & (WORD - 1);
    len -= tail;
    if (len) this.write(addr, data.subarray(pos, pos + len));
    addr += len;
    pos += len;
    if (tail) {
      const word = this.read(addr, new Uint8Array(WORD));
      word.set(data.subarray(pos, pos + tail), 0);
      this.write(addr, word);
    }
  }
}
