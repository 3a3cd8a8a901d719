// require("Storage") (src/jswrap_storage.c of 2v29) over a byte-exact port of jsflash.c: the
// flash image lives in cwd in the Linux build's format (espruino.flash by default), saved after
// every call that changed it. Errors, return values, statistics, list() order and compaction
// (with its "Compacting... " console line) are the interpreter's.
import path from "node:path";
import { bytesToBinary } from "./bytes";
import { parseLiberalJson, toEspruinoJson } from "./espruino-json";
import { FlashFile } from "./flash-file";
import { FlashImage, type FlashWear } from "./flash-image";
import { JsFlash, StorageError } from "./jsflash";
import { FLAG_STORAGEFILE } from "./jsflash-header";
import type { Realm } from "./realm";
import { dataBytes, espruinoJsonText, nameFilter, storageName, toInt } from "./storage-data";

export interface StorageOptions {
  /** Directory holding the flash file. */
  cwd: string;
  /** File name inside cwd. */
  fileName: string;
  /** Flash size in bytes (the Linux build fakes 256 KB). */
  sizeBytes: number;
  /** Erase page size (1 KB on the Linux build, 4 KB on ESP32). */
  pageBytes: number;
  /** ESPR_STORAGE_FILENAME_TABLE (Linux builds: yes; ESP32: no). */
  filenameTable: boolean;
  /** Console lines (compaction, "Storage is corrupt."). */
  print: (line: string) => void;
}

/** FLASH_START of the Linux build: any nonzero base works, jsflash.c treats 0 as "no file". */
const FLASH_BASE = 0x10000000;

export interface FlashStats extends FlashWear {
  sizeBytes: number;
  pageBytes: number;
}

export class Storage {
  private readonly file: FlashFile;
  private readonly flash: FlashImage;
  private readonly fs: JsFlash;
  private pending = "";

  constructor(
    private readonly realm: Realm,
    private readonly opts: StorageOptions,
  ) {
    this.file = new FlashFile(path.join(opts.cwd, opts.fileName), opts.sizeBytes);
    this.flash = new FlashImage(FLASH_BASE, opts.sizeBytes, opts.pageBytes, this.file.load());
    this.fs = new JsFlash(this.flash, { filenameTable: opts.filenameTable, print: (text) => this.print(text) });
    // jsiInit at first boot: a broken header chain makes the interpreter erase everything
    if (!this.fs.checkAtBoot()) {
      this.call(() => {
        this.print("Storage is corrupt.\nErasing Storage Area...\n");
        this.fs.eraseAll();
        this.print("Erase complete.\n");
      });
    }
  }

  /** Flash wear since the runtime started. */
  wear(): FlashStats {
    return { ...this.flash.wear, sizeBytes: this.flash.size, pageBytes: this.flash.pageBytes };
  }

  /** The object require("Storage") returns. */
  module(): object {
    const st = this;
    const realm = this.realm;
    const fs = this.fs;
    const readBytes = (name: unknown): Uint8Array | undefined => fs.readFile(storageName(name), 0, 0);
    return realm.object({
      read(name: unknown, offset?: unknown, length?: unknown): string | undefined {
        const data = st.call(() => fs.readFile(storageName(name), toInt(offset), toInt(length)));
        return data && bytesToBinary(data);
      },
      readJSON(name: unknown, noExceptions?: unknown): unknown {
        const data = st.call(() => readBytes(name));
        if (!data) return undefined;
        try {
          return st.toRealm(parseLiberalJson(bytesToBinary(data), (m) => realm.error("SyntaxError", m)));
        } catch (e) {
          if (noExceptions) return undefined;
          throw e;
        }
      },
      readArrayBuffer(name: unknown): ArrayBuffer | undefined {
        const data = st.call(() => readBytes(name));
        return data ? realm.arrayBuffer(data) : undefined;
      },
      write(name: unknown, data: unknown, offset?: unknown, size?: unknown): boolean {
        return st.call(() => {
          if (isPlainObject(data)) {
            const json = espruinoJsonText(toEspruinoJson(data, { dropQuotes: false, unicodeEscape: true }));
            return fs.writeFile(storageName(name), dataBytes(json, realm), 0, 0, 0);
          }
          return fs.writeFile(storageName(name), dataBytes(data, realm), 0, toInt(offset), toInt(size));
        });
      },
      writeJSON(name: unknown, data: unknown): boolean {
        return st.call(() => {
          const json = toEspruinoJson(data, { dropQuotes: true, unicodeEscape: false });
          return fs.writeFile(storageName(name), dataBytes(json, realm), 0, 0, 0);
        });
      },
      erase(name: unknown): void {
        st.call(() => fs.eraseFile(storageName(name)));
      },
      eraseAll(): void {
        st.call(() => fs.eraseAll());
      },
      list(regex?: unknown, filter?: unknown): string[] {
        let containing = 0;
        let notContaining = 0;
        if (isPlainObject(filter) && (filter as { sf?: unknown }).sf !== undefined) {
          if ((filter as { sf?: unknown }).sf) containing |= FLAG_STORAGEFILE;
          else notContaining |= FLAG_STORAGEFILE;
        }
        return realm.array(st.call(() => fs.listFiles(nameFilter(regex), containing, notContaining)));
      },
      getFree(): number {
        return st.call(() => fs.stats(0, true).free);
      },
      getStats(): object {
        const s = st.call(() => fs.stats(0, true));
        return realm.object({
          totalBytes: s.total,
          freeBytes: s.free,
          fileBytes: s.fileBytes,
          fileCount: s.fileCount,
          trashBytes: s.trashBytes,
          trashCount: s.trashCount,
        });
      },
      compact(): void {
        st.call(() => fs.compact());
      },
      optimise(): void {
        if (st.opts.filenameTable) st.call(() => fs.createFileTable());
      },
    });
  }

  /**
   * Runs one Storage call: a StorageError becomes the sandbox's Error, a console line left
   * open (a compaction that gave up) is ended, and a changed image is saved.
   */
  private call<T>(fn: () => T): T {
    try {
      return fn();
    } catch (e) {
      if (e instanceof StorageError) throw this.realm.error("Error", e.message);
      throw e;
    } finally {
      if (this.pending) this.print("\n");
      if (this.flash.changed) this.file.save(this.flash.bytes, this.flash.takeChanges());
    }
  }

  /** jsiConsolePrintf: text is buffered into console lines. */
  private print(text: string): void {
    const parts = (this.pending + text).split("\n");
    this.pending = parts.pop() ?? "";
    for (const line of parts) this.opts.print(line);
  }

  /** Parsed JSON is made of host objects: rebuild it from the sandbox's constructors. */
  private toRealm(v: unknown): unknown {
    if (Array.isArray(v)) return this.realm.array(v.map((x) => this.toRealm(x)));
    if (typeof v === "object" && v !== null) {
      const out = this.realm.object();
      for (const [k, x] of Object.entries(v)) out[k] = this.toRealm(x);
      return out;
    }
    return v;
  }
}

/** jsvIsObject: a plain object (not an array, typed array, ArrayBuffer or function). */
function isPlainObject(v: unknown): v is object {
  return (
    typeof v === "object" &&
    v !== null &&
    !Array.isArray(v) &&
    !ArrayBuffer.isView(v) &&
    Object.prototype.toString.call(v) !== "[object ArrayBuffer]"
  );
}
