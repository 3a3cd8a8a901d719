// require("Storage"): flash key/value files, persisted in one JSON file in the runtime's cwd
// (the Linux build keeps its flash image in ./espruino.flash). Values are bytes (base64).
// Mirrors jsflash.c: names truncated to 28 chars, a write at an offset only fills erased
// (0xFF) bytes of an existing file, an empty write throws, and rewriting a file is a no-op
// when the content is unchanged.
import { readFileSync, renameSync, writeFileSync } from "node:fs";
import path from "node:path";
import { bytesToBinary, storageBytes } from "./bytes";
import { parseLiberalJson, toEspruinoJson } from "./espruino-json";
import type { Realm } from "./realm";

export interface StorageOptions {
  /** Directory holding the flash file. */
  cwd: string;
  /** File name inside cwd. */
  fileName: string;
  /** Flash size in bytes (the Linux build fakes 256 KB). */
  sizeBytes: number;
}

const NAME_MAX = 28; // JsfFileName
const HEADER = 32; // size + name, per file

export class Storage {
  private files = new Map<string, Uint8Array>();
  private readonly file: string;

  constructor(private readonly realm: Realm, private readonly opts: StorageOptions) {
    this.file = path.join(opts.cwd, opts.fileName);
    this.load();
  }

  /** The object require("Storage") returns. */
  module(): object {
    const st = this;
    const realm = this.realm;
    return realm.object({
      read(name: unknown, offset?: unknown, length?: unknown): string | undefined {
        const data = st.files.get(fileName(name));
        if (!data) return undefined;
        const start = Math.max(0, Number(offset) | 0);
        const len = Number(length) | 0;
        return bytesToBinary(data.subarray(start, len > 0 ? start + len : undefined));
      },
      readJSON(name: unknown, noExceptions?: unknown): unknown {
        const data = st.files.get(fileName(name));
        if (!data) return undefined;
        try {
          return st.toRealm(parseLiberalJson(bytesToBinary(data), (m) => realm.error("SyntaxError", m)));
        } catch (e) {
          if (noExceptions) return undefined;
          throw e;
        }
      },
      readArrayBuffer(name: unknown): ArrayBuffer | undefined {
        const data = st.files.get(fileName(name));
        return data ? realm.arrayBuffer(data) : undefined;
      },
      write(name: unknown, data: unknown, offset?: unknown, size?: unknown): boolean {
        const isObject = typeof data === "object" && data !== null && !Array.isArray(data) && !ArrayBuffer.isView(data) &&
          Object.prototype.toString.call(data) !== "[object ArrayBuffer]";
        if (isObject) {
          const json = toEspruinoJson(data, { dropQuotes: false, unicodeEscape: true });
          return st.write(fileName(name), storageBytes(json, realm), 0, 0);
        }
        return st.write(fileName(name), storageBytes(data, realm), Number(offset) | 0, Number(size) | 0);
      },
      writeJSON(name: unknown, data: unknown): boolean {
        const json = toEspruinoJson(data, { dropQuotes: true, unicodeEscape: false });
        return st.write(fileName(name), storageBytes(json, realm), 0, 0);
      },
      erase(name: unknown): void {
        if (st.files.delete(fileName(name))) st.save();
      },
      eraseAll(): void {
        st.files.clear();
        st.save();
      },
      list(regex?: unknown): string[] {
        let names = [...st.files.keys()];
        if (regex !== undefined && regex !== null) names = names.filter((n) => n.match(regex as RegExp) !== null);
        return realm.array(names);
      },
      getFree(): number {
        return st.free();
      },
      getStats(): object {
        return realm.object({
          totalBytes: st.opts.sizeBytes,
          fileBytes: st.used(),
          fileCount: st.files.size,
          freeBytes: st.free(),
          trashBytes: 0,
          trashCount: 0,
        });
      },
      compact(): void {},
    });
  }

  /** jsfWriteFile: create/replace at offset 0, or fill erased bytes of an existing file. */
  private write(name: string, data: Uint8Array, offset: number, sizeArg: number): boolean {
    if (offset < 0 || sizeArg < 0) return false;
    const size = sizeArg === 0 ? data.length : sizeArg;
    if (size === 0) throw this.realm.error("Error", "Can't create zero length file");
    let file = this.files.get(name);
    const replace = !file && offset === 0 ||
      (file !== undefined && offset === 0 && (file.length !== size || !isErased(file, 0, size)));
    if (replace) {
      if (file && file.length === size && data.length === size && equal(file, data)) return true;
      const others = this.used() - (file ? HEADER + align(file.length) : 0);
      if (others + HEADER + align(size) > this.opts.sizeBytes) throw this.realm.error("Error", "Unable to find or create file");
      file = new Uint8Array(size).fill(0xff);
      this.files.set(name, file);
    }
    if (!file) throw this.realm.error("Error", "Unable to find or create file");
    if (offset + data.length > file.length) throw this.realm.error("Error", "Too much data for file size");
    if (!isErased(file, offset, data.length)) throw this.realm.error("Error", "File already written with different data");
    file.set(data, offset);
    this.save();
    return true;
  }

  private used(): number {
    let total = 0;
    for (const f of this.files.values()) total += HEADER + align(f.length);
    return total;
  }

  private free(): number {
    return Math.max(0, this.opts.sizeBytes - this.used());
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

  private load(): void {
    let text: string;
    try {
      text = readFileSync(this.file, "utf8");
    } catch {
      return; // no flash file yet: everything erased
    }
    const stored = JSON.parse(text) as Record<string, string>;
    for (const [name, b64] of Object.entries(stored)) this.files.set(name, new Uint8Array(Buffer.from(b64, "base64")));
  }

  /** Written synchronously, like a flash write; rename keeps the file whole if we crash. */
  private save(): void {
    const out: Record<string, string> = {};
    for (const [name, data] of this.files) out[name] = Buffer.from(data).toString("base64");
    const tmp = this.file + ".tmp";
    writeFileSync(tmp, JSON.stringify(out, null, 1));
    renameSync(tmp, this.file);
  }
}

function fileName(name: unknown): string {
  return String(name).slice(0, NAME_MAX);
}

function align(n: number): number {
  return (n + 3) & ~3;
}

function isErased(data: Uint8Array, offset: number, length: number): boolean {
  for (let i = offset; i < offset + length && i < data.length; i++) if (data[i] !== 0xff) return false;
  return true;
}

function equal(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
