// Storage compaction, as jsfBankCompact/jsfCompactInternal in src/jsflash.c (2v29): starting at
// the first page that holds trash, live files are streamed through a circular swap buffer of
// min(live bytes, page size + 32) bytes and written back down from that page; a page is erased
// when the write position reaches its start (once everything still to be read is past it), and
// the pages after the last file written are erased at the end. Trash and filename tables go.
import type { JsFlash } from "./jsflash";
import { alignAddress, fileSize, GET_ALL, Header, HEADER_BYTES, isRealFile, type Cursor } from "./jsflash-header";

interface Swap {
  buf: Uint8Array;
  head: number;
  tail: number;
  used: number;
  /** Where the next byte goes in flash. */
  writeAddr: number;
}

/** jsfBankCompact: true if some space was freed. */
export function compactBank(fs: JsFlash, startAddress: number): boolean {
  const page = fs.flash.page(startAddress);
  if (!page) return false;
  const maxRequired = page.length + HEADER_BYTES;
  const stats = fs.stats(startAddress, true);
  if (!stats.trashBytes) return false; // already fully compacted
  // The interpreter takes the buffer from the stack or from JsVars; here there is always room.
  const size = Math.min(stats.fileBytes, maxRequired);
  return compactFrom(fs, stats.firstPageWithErasedFiles, size);
}

/** jsfCompactInternal */
function compactFrom(fs: JsFlash, startAddress: number, size: number): boolean {
  const swap: Swap = { buf: new Uint8Array(size), head: 0, tail: 0, used: 0, writeAddr: startAddress };
  fs.opts.print("Compacting... ");
  const h = new Header();
  const c: Cursor = { addr: startAddress };
  let lastProgress = 0;
  if (fs.readHeader(c.addr, h, true)) {
    do {
      if (!isRealFile(h)) continue;
      // the header, then the data, through the buffer
      copyIn(swap, h.bytes());
      let alignedSize = alignAddress(fileSize(h));
      let alignedPtr = c.addr + HEADER_BYTES;
      writeBuffer(fs, swap, alignedPtr);
      while (alignedSize) {
        let s = size - swap.used;
        if (s > size - swap.head) s = size - swap.head;
        if (swap.tail > swap.head && s > swap.tail - swap.head) s = swap.tail - swap.head;
        if (s === 0) return false; // no space left in the buffer (and no end of line printed)
        if (s > alignedSize) s = alignedSize;
        fs.flash.read(alignedPtr, swap.buf.subarray(swap.head, swap.head + s));
        alignedSize -= s;
        alignedPtr += s;
        swap.used += s;
        swap.head = (swap.head + s) % size;
        writeBuffer(fs, swap, alignedPtr);
      }
      const progress = Math.floor((c.addr - startAddress) / 16384);
      if (progress !== lastProgress) {
        fs.opts.print("\x08" + "/-\\|"[progress & 3]);
        lastProgress = progress;
      }
    } while (fs.next(c, h, GET_ALL));
  }
  // write what is left, then erase the pages after it
  writeBuffer(fs, swap, fs.end);
  let writeAddr = swap.writeAddr;
  if (writeAddr !== startAddress) writeAddr = fs.nextPage(writeAddr - 1);
  if (writeAddr) {
    const last = c.addr || fs.end; // c.addr is 0 when the last file ran to the end of storage
    fs.flash.erasePages(writeAddr, last - writeAddr);
  }
  fs.opts.print("\n");
  return true;
}

/** memcpy_circular */
function copyIn(swap: Swap, bytes: Uint8Array): void {
  for (const b of bytes) {
    swap.buf[swap.head] = b;
    swap.head = (swap.head + 1) % swap.buf.length;
  }
  swap.used += bytes.length;
}

/** jsfCompactWriteBuffer: flush the buffer, but never into a page still being read. */
function writeBuffer(fs: JsFlash, swap: Swap, readAddress: number): void {
  const size = swap.buf.length;
  let nextFlashPage = fs.nextPage(swap.writeAddr) || fs.end;
  while (swap.used) {
    let s = swap.used;
    if (s + swap.tail > size) s = size - swap.tail; // it's circular
    if (s + swap.writeAddr > nextFlashPage) s = nextFlashPage - swap.writeAddr; // not into a new page
    if (readAddress < nextFlashPage) return; // still reading from this page
    const p = fs.flash.page(swap.writeAddr);
    if (p && p.start === swap.writeAddr) fs.flash.erasePage(swap.writeAddr);
    fs.flash.write(swap.writeAddr, swap.buf.slice(swap.tail, swap.tail + s));
    swap.writeAddr += s;
    nextFlashPage = fs.nextPage(swap.writeAddr) || fs.end;
    swap.tail = (swap.tail + s) % size;
    swap.used -= s;
  }
}
