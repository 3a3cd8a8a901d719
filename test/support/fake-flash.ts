/**
 * A flash for the store's unit tests, with the rules of Espruino's Storage that the store relies
 * on (src/jsflash.c jsfWriteFile): a file is created erased (0xFF) at its size; a write at offset 0
 * to a file of another size, or not erased there, replaces it; a write at another offset goes into
 * the existing file and only into bytes that are still 0xFF; names are cut to 28 chars, and a file that does not fit throws. It can also cut the power in the middle of a write.
 */
import { crc32 } from "node:zlib";
import type { FlashStorage } from "../../src/store/ports";

/** The store's checksum on Node, equal to Espruino's E.CRC32 (unsigned CRC-32 of the bytes). */
export const nodeCrc = (data: string): number => crc32(Buffer.from(data, "latin1"));

export class PowerCut extends Error {}

export class FakeFlash implements FlashStorage {
  readonly files = new Map<string, Uint8Array>();
  bytesWritten = 0;
  filesErased = 0;
  /** When set, the write that would bring bytesWritten past it stops there and throws PowerCut. */
  cutAfterBytes: number | undefined;

  constructor(readonly sizeBytes = 256 * 1024) {}

  read(name: string, offset = 0, length = 0): string | undefined {
    const file = this.files.get(name.slice(0, 28));
    if (!file) return undefined;
    return Buffer.from(file.subarray(offset, length > 0 ? offset + length : undefined)).toString("latin1");
  }

  write(name: string, data: string, offset = 0, size = 0): boolean {
    const key = name.slice(0, 28);
    const bytes = Buffer.from(data, "latin1");
    let file = this.files.get(key);
    const length = size || bytes.length;
    // jsfWriteFile: at offset 0, a file of another size, or not erased where written, is replaced
    // (unless it already holds exactly this data).
    if (file && offset === 0 && (length !== file.length || file.subarray(0, bytes.length).some((b) => b !== 0xff))) {
      if (bytes.length === file.length && Buffer.from(file).equals(bytes)) return true;
      size = length;
    }
    if (size || !file) {
      if (!length) throw new Error("Can't create zero length file");
      if (this.used() - (file ? 32 + file.length : 0) + 32 + length > this.sizeBytes)
        throw new Error("Unable to find or create file");
      file = new Uint8Array(length).fill(0xff);
      this.files.set(key, file);
    }
    if (offset + bytes.length > file.length) throw new Error("Too much data for file size");
    for (let i = 0; i < bytes.length; i++)
      if (file[offset + i] !== 0xff) throw new Error("File already written with different data");
    for (let i = 0; i < bytes.length; i++) {
      if (this.cutAfterBytes !== undefined && this.bytesWritten >= this.cutAfterBytes) throw new PowerCut("power cut");
      file[offset + i] = bytes[i];
      this.bytesWritten++;
    }
    return true;
  }

  erase(name: string): void {
    if (this.files.delete(name.slice(0, 28))) this.filesErased++;
  }

  list(pattern?: RegExp): string[] {
    return [...this.files.keys()].filter((n) => !pattern || pattern.test(n));
  }

  used(): number {
    let total = 0;
    for (const f of this.files.values()) total += 32 + f.length;
    return total;
  }
}
