// Espruino's Storage file system (src/jsflash.c of 2v29), ported function by function onto a
// FlashImage so the bytes in flash, the statistics, list() order, compaction and the errors are
// the ones the interpreter produces. Files are a 32-byte header (size | flags<<24, 28-byte
// zero-padded name) then the data, padded to 4 bytes; a file goes in the first hole big enough
// (it may run into the following pages only when the next page is empty); erasing a file zeroes
// the first 4 bytes of its name (trash); a create that finds no hole compacts once, when free
// space plus trash would hold it. Builds with ESPR_STORAGE_FILENAME_TABLE (Linux) keep a
// "[FILENAME_TABLE]" file, rewritten once more than 200 files and trash follow the last one.
// No RAM cache of file addresses (ESPR_USE_STORAGE_CACHE is not set for Linux or ESP32).
import type { FlashImage } from "./flash-image";
import { compactBank } from "./jsflash-compact";
import {
  alignAddress,
  fileFlags,
  fileSize,
  FLAG_FILENAME_TABLE,
  FLAG_STORAGEFILE,
  GET_ALL,
  GET_EMPTY,
  Header,
  HEADER_BYTES,
  isRealFile,
  NAME_BYTES,
  NAME_START_ONLY,
  nameFromBytes,
  namesEqual,
  nameToString,
  WORD_UNSET,
  type Cursor,
} from "./jsflash-header";

const MAX_FILES = 10000;
const TABLE_NAME = nameFromBytes(new TextEncoder().encode("[FILENAME_TABLE]"));

/** Thrown where jsflash.c calls jsExceptionHere(JSET_ERROR, message) and returns. */
export class StorageError extends Error {}

/** jsfStripDriveFromName (no second bank): "C:name" is "name". */
function stripDrive(name: Uint8Array): Uint8Array {
  if (name[1] !== 0x3a) return name;
  const out = new Uint8Array(NAME_BYTES);
  out.set(name.subarray(2));
  return out;
}

export interface StorageStats {
  fileBytes: number;
  fileCount: number;
  trashBytes: number;
  trashCount: number;
  total: number;
  free: number;
  firstPageWithErasedFiles: number;
}

export interface JsFlashOptions {
  /** ESPR_STORAGE_FILENAME_TABLE: defined for LINUX builds, not for ESP32. */
  filenameTable: boolean;
  /** Console output (jsiConsolePrintf), e.g. "Compacting... \n". */
  print: (text: string) => void;
}

export class JsFlash {
  /** jsfFilenameTableBank1Addr/Size: the table's data, found at boot or made by createFileTable. */
  tableAddr = 0;
  tableSize = 0;

  constructor(
    readonly flash: FlashImage,
    readonly opts: JsFlashOptions,
  ) {}

  get start(): number {
    return this.flash.base;
  }

  get end(): number {
    return this.flash.end;
  }

  /** jsfGetFileHeader: load a header, true if it is valid. */
  readHeader(addr: number, h: Header, fullName: boolean): boolean {
    if (!addr) return false;
    const buf = h.bytes();
    this.flash.read(addr, buf, fullName ? HEADER_BYTES : 8);
    h.size = new DataView(buf.buffer).getUint32(0, true);
    h.name.set(buf.subarray(4, fullName ? HEADER_BYTES : 8));
    const endAddress = addr + HEADER_BYTES + fileSize(h);
    return h.size !== WORD_UNSET && h.size !== 0 && endAddress <= this.end;
  }

  /** jsfIsErased */
  isErased(addr: number, length: number): boolean {
    const buf = this.flash.read(addr, new Uint8Array(length).fill(0xff));
    return buf.every((b) => b === 0xff);
  }

  private isEqual(addr: number, data: Uint8Array): boolean {
    const buf = this.flash.read(addr, new Uint8Array(data.length));
    for (let i = 0; i < data.length; i++) if (buf[i] !== data[i]) return false;
    return true;
  }

  /** jsfGetAddressOfNextPage: the start of the page after addr's, or 0. */
  nextPage(addr: number): number {
    const p = this.flash.page(addr);
    if (!p) return 0;
    const next = p.start + p.length;
    return next >= this.end ? 0 : next;
  }

  /** jsfGetSpaceLeftInPage: to the end of addr's page, or of flash when the next page is empty. */
  private spaceLeftInPage(addr: number): number {
    const p = this.flash.page(addr);
    if (!p) return 0;
    let nextPageStart = p.start + p.length;
    if (nextPageStart < this.end && !this.readHeader(nextPageStart, new Header(), false)) nextPageStart = this.end;
    return nextPageStart - addr;
  }

  /** jsfGetNextFileHeader: move `c` to the header after `h` (loaded into `h`); true if valid. */
  next(c: Cursor, h: Header, type: number): boolean {
    const oldAddr = c.addr;
    c.addr = 0;
    const newAddr = alignAddress(oldAddr + fileSize(h) + HEADER_BYTES);
    if (newAddr + HEADER_BYTES > this.end) return false; // not enough space
    c.addr = newAddr;
    const full = !(type & NAME_START_ONLY);
    let valid = this.readHeader(newAddr, h, full);
    if (type & GET_ALL && !valid) {
      // no other header in this page: the next page may hold one
      c.addr = this.nextPage(newAddr);
      if (!c.addr) return false;
      valid = this.readHeader(c.addr, h, full);
    }
    return valid;
  }

  /** jsfGetStorageStats */
  stats(addr: number, allPages: boolean): StorageStats {
    if (!addr) addr = this.start;
    const startAddr = addr;
    const stats: StorageStats = {
      fileBytes: 0,
      fileCount: 0,
      trashBytes: 0,
      trashCount: 0,
      total: 0,
      free: 0,
      firstPageWithErasedFiles: 0,
    };
    const h = new Header();
    let lastAddr = addr;
    let lastUnbrokenPageStart = addr;
    const c = { addr };
    if (this.readHeader(c.addr, h, false)) {
      do {
        const p = this.flash.page(c.addr);
        if (p && p.start === c.addr) lastUnbrokenPageStart = p.start;
        const size = alignAddress(fileSize(h)) + HEADER_BYTES;
        lastAddr = c.addr + size;
        if (h.firstChars !== 0) {
          stats.fileBytes += size;
          stats.fileCount++;
        } else {
          stats.trashBytes += size;
          stats.trashCount++;
          if (!stats.firstPageWithErasedFiles) stats.firstPageWithErasedFiles = lastUnbrokenPageStart;
        }
      } while (this.next(c, h, (allPages ? GET_ALL : GET_EMPTY) | NAME_START_ONLY));
    }
    const pageEndAddr = allPages ? this.end : this.nextPage(startAddr);
    stats.total = pageEndAddr - startAddr;
    stats.free = pageEndAddr - lastAddr;
    return stats;
  }

  /** jsfEraseAll */
  eraseAll(): boolean {
    this.tableAddr = 0;
    this.tableSize = 0;
    return this.flash.erasePages(this.start, this.end - this.start);
  }

  /** jsfEraseFileInternal: mark as trash (zero the name's first 4 bytes). `addr` is the data's. */
  eraseFileAt(addr: number, h: Header, createFilenameTable: boolean): void {
    const markAddr = addr - HEADER_BYTES + 4;
    h.clearFirstChars();
    this.flash.write(markAddr, new Uint8Array(4));
    if (this.opts.filenameTable && createFilenameTable && markAddr >= this.start && markAddr < this.end) {
      // more than 200 files added/deleted since the last table: make a new one
      const scanAddr = this.tableAddr ? this.tableAddr + this.tableSize : 0;
      const s = this.stats(scanAddr, true);
      if (s.trashCount + s.fileCount > 200) this.createFileTable();
    }
  }

  /** jsfEraseFile */
  eraseFile(name: Uint8Array): boolean {
    const h = new Header();
    const addr = this.findFile(name, h);
    if (!addr) return false;
    this.eraseFileAt(addr, h, true);
    return true;
  }

  /** jsfCompact: true if some space was freed. Forgets the filename table until the next boot. */
  compact(): boolean {
    this.tableAddr = 0;
    this.tableSize = 0;
    return compactBank(this, this.start);
  }

  /** _jsfCreateFile: write a header in the first hole big enough; the data's address, or 0. */
  createFile(nameArg: Uint8Array, size: number, flags: number, returned: Header): number {
    const name = stripDrive(nameArg);
    const requiredSize = alignAddress(size) + HEADER_BYTES;
    let compacted = false;
    const h = new Header();
    let freeAddr = 0;
    while (!freeAddr) {
      const c = { addr: this.start };
      let freeSpace = 0;
      let trashSpace = 0;
      do {
        if (this.readHeader(c.addr, h, false)) {
          do {
            if (h.firstChars === 0) trashSpace += fileSize(h);
          } while (this.next(c, h, GET_EMPTY));
        }
        const spaceInPage = this.spaceLeftInPage(c.addr);
        freeSpace += spaceInPage;
        if (spaceInPage < requiredSize) c.addr = this.nextPage(c.addr);
        else freeAddr = c.addr;
      } while (c.addr && !freeAddr);
      if (!freeAddr) {
        // only compact when that would surely make room: better to fail fast
        if (!compacted && requiredSize < freeSpace + trashSpace) {
          compacted = true;
          if (!this.compact()) return 0;
        } else {
          return 0;
        }
      }
    }
    h.size = (size | (flags << 24)) >>> 0;
    h.name.set(name);
    this.flash.write(freeAddr, h.bytes());
    returned.size = h.size;
    returned.name.set(h.name);
    return freeAddr + HEADER_BYTES;
  }

  /** jsfFindFile (jsfBankFindFile): the data's address and header, or 0. */
  findFile(nameArg: Uint8Array, returned: Header): number {
    const name = stripDrive(nameArg);
    const h = new Header();
    const c = { addr: this.start };
    if (this.opts.filenameTable && this.tableAddr) {
      const entries = this.tableSize / HEADER_BYTES;
      for (let i = 0; i < entries; i++) {
        const entry = new Header();
        this.readHeader(this.tableAddr + i * HEADER_BYTES, entry, true);
        if (!namesEqual(entry.name, name)) continue;
        const fileAddr = this.start + entry.size;
        if (this.readHeader(fileAddr, entry, true) && entry.firstChars !== 0) {
          copyHeader(entry, returned);
          return fileAddr + HEADER_BYTES;
        }
      }
      // not in the table: scan the files after it (the table itself is skipped)
      c.addr = this.tableAddr - HEADER_BYTES;
      h.clearFirstChars();
      h.size = this.tableSize;
    } else if (!this.readHeader(c.addr, h, false)) {
      return 0;
    }
    const first = new Header();
    first.name.set(name);
    do {
      if (h.firstChars === first.firstChars) {
        if (this.readHeader(c.addr, h, true) && namesEqual(h.name, name)) {
          copyHeader(h, returned);
          return c.addr + HEADER_BYTES;
        }
      }
    } while (this.next(c, h, GET_ALL | NAME_START_ONLY));
    return 0;
  }

  /** jsfReadFile: the bytes, or undefined when there is no such file. */
  readFile(name: Uint8Array, offset: number, length: number): Uint8Array | undefined {
    const h = new Header();
    const addr = this.findFile(name, h);
    if (!addr) return undefined;
    if (offset < 0) offset = 0;
    const fileLen = fileSize(h);
    if (length <= 0) length = fileLen;
    if (offset > fileLen) offset = fileLen;
    if (offset + length > fileLen) length = fileLen - offset;
    if (length <= 0) return new Uint8Array(0);
    return this.flash.read(addr + offset, new Uint8Array(length));
  }

  /** jsfWriteFile. `data` undefined: no pointer to the data (Storage.write(name)). */
  writeFile(name: Uint8Array, data: Uint8Array | undefined, flags: number, offset: number, sizeArg: number): boolean {
    if (offset < 0 || sizeArg < 0) return false;
    if (!data) throw new StorageError("Can't get pointer to data to write");
    const size = sizeArg === 0 ? data.length : sizeArg;
    if (!size) throw new StorageError("Can't create zero length file");
    const h = new Header();
    let addr = this.findFile(name, h);
    if (
      (!addr && offset === 0) ||
      // a file, but the wrong one: replace it
      (addr && offset === 0 && (flags !== fileFlags(h) || size !== fileSize(h) || !this.isErased(addr, size)))
    ) {
      if (
        addr &&
        offset === 0 &&
        size === fileSize(h) &&
        flags === fileFlags(h) &&
        data.length === size &&
        this.isEqual(addr, data)
      ) {
        return true; // the same contents: nothing written
      }
      if (addr) this.eraseFileAt(addr, h, true);
      addr = this.createFile(name, size, flags, h);
    }
    if (!addr) throw new StorageError("Unable to find or create file");
    if (offset + data.length > fileSize(h)) throw new StorageError("Too much data for file size");
    addr += offset;
    if (!this.isErased(addr, data.length)) throw new StorageError("File already written with different data");
    this.flash.writeAligned(addr, data);
    return true;
  }

  /** jsfListFiles: names in flash order (the table's files first when there is one). */
  listFiles(match: (name: string) => boolean, containing: number, notContaining: number): string[] {
    const files: string[] = [];
    const handle = (h: Header): void => {
      const flags = fileFlags(h);
      if (notContaining & flags) return;
      if (containing && !(containing & flags)) return;
      if (flags & FLAG_STORAGEFILE) {
        let i = 0;
        while (i + 1 < NAME_BYTES && h.name[i + 1]) i++;
        if (h.name[i] !== 1) return; // only the first chunk ("name\1") of a StorageFile
        if (containing & FLAG_STORAGEFILE) h.name[i] = 0;
      }
      const name = nameToString(h.name);
      if (match(name)) files.push(name);
    };
    const h = new Header();
    const c = { addr: this.start };
    if (this.opts.filenameTable && this.tableAddr) {
      for (let t = this.tableAddr; t < this.tableAddr + this.tableSize; t += HEADER_BYTES) {
        const size = this.flash.read(t, new Uint8Array(4));
        h.size = new DataView(size.buffer).getUint32(0, true);
        const fileAddr = this.start + h.size;
        if (this.readHeader(fileAddr, h, true) && isRealFile(h)) handle(h);
      }
      c.addr = this.tableAddr - HEADER_BYTES;
      h.clearFirstChars();
      h.size = this.tableSize;
    } else if (!this.readHeader(c.addr, h, true)) {
      return files;
    }
    do {
      if (isRealFile(h)) handle(h);
    } while (this.next(c, h, GET_ALL));
    return files;
  }

  /** jsfBankCreateFileTable: a file listing every file's header with its offset as size. */
  createFileTable(): number {
    const startAddr = this.start;
    const h = new Header();
    let fileCount = 0;
    let c = { addr: startAddr };
    if (this.readHeader(c.addr, h, false)) {
      do {
        if (isRealFile(h)) fileCount++;
      } while (this.next(c, h, GET_ALL));
    }
    let tableAddr = this.findFile(TABLE_NAME, h);
    if (tableAddr) this.eraseFileAt(tableAddr, h, false);
    const tableSize = fileCount * HEADER_BYTES;
    if (tableSize === 0) return 0;
    tableAddr = this.createFile(TABLE_NAME, tableSize, FLAG_FILENAME_TABLE, h);
    if (!tableAddr) return 0;
    c = { addr: startAddr };
    let writeAddr = tableAddr;
    if (this.readHeader(c.addr, h, true)) {
      do {
        if (isRealFile(h)) {
          const entry = h.copy();
          entry.size = c.addr - startAddr;
          this.flash.writeAligned(writeAddr, entry.bytes());
          writeAddr += HEADER_BYTES;
        }
      } while (this.next(c, h, GET_ALL));
    }
    this.tableAddr = tableAddr;
    this.tableSize = tableSize;
    return tableAddr;
  }

  /**
   * jsfIsStorageValid(JSFSTT_NORMAL | JSFSTT_FIND_FILENAME_TABLE), run at first boot: false when
   * a header chain ends in something that is not erased (the interpreter then erases all).
   */
  checkAtBoot(): boolean {
    const startAddr = this.start;
    const c = { addr: startAddr };
    let oldAddr = c.addr;
    const h = new Header();
    if (this.readHeader(c.addr, h, true)) {
      while (this.next(c, h, GET_ALL)) {
        if (this.opts.filenameTable && fileFlags(h) & FLAG_FILENAME_TABLE) {
          this.readHeader(c.addr, h, true);
          if (namesEqual(h.name, TABLE_NAME) && fileSize(h) < MAX_FILES) {
            this.tableAddr = c.addr + HEADER_BYTES;
            this.tableSize = fileSize(h);
          }
        }
        oldAddr = c.addr;
      }
      if (!c.addr) {
        // may be 0 just because storage is full
        const newAddr = alignAddress(oldAddr + fileSize(h) + HEADER_BYTES);
        if (newAddr <= this.end && newAddr + HEADER_BYTES > this.end) return true;
      }
    }
    const allFF = h.bytes().every((b) => b === 0xff);
    if (allFF && c.addr === startAddr) return this.isErased(c.addr, this.end - c.addr); // no files: all must be erased
    return allFF;
  }
}

function copyHeader(from: Header, to: Header): void {
  to.size = from.size;
  to.name.set(from.name);
}
