// Byte conversions with Espruino's rules: binary strings are one char per byte (low 8 bits),
// E.toString/E.toUint8Array walk their arguments like jsvIterateCallback, and anything that is
// not a string is written to a socket as its text (jsvAsString): Uint8Array [16,15] -> "16,15".
import type { Realm } from "./realm";

const toString = Object.prototype.toString;

export function isArrayBuffer(v: unknown): v is ArrayBuffer {
  return typeof v === "object" && v !== null && toString.call(v) === "[object ArrayBuffer]";
}

export function isView(v: unknown): v is ArrayBufferView {
  return typeof v === "object" && v !== null && ArrayBuffer.isView(v);
}

/** Binary string (chars 0-255) from bytes. */
export function bytesToBinary(bytes: ArrayLike<number>): string {
  let out = "";
  for (let i = 0; i < bytes.length; i += 8192) {
    out += String.fromCharCode.apply(null, Array.prototype.slice.call(bytes, i, i + 8192) as number[]);
  }
  return out;
}

/** Bytes of a string, keeping each char's low 8 bits (a binary string round-trips exactly). */
export function binaryToBytes(s: string): Uint8Array {
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i) & 255;
  return out;
}

/** True when a string has chars above 0xFF, whose bytes differ between Espruino builds. */
export function hasWideChars(s: string): boolean {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) > 255) return true;
  return false;
}

/** Keeps each char's low 8 bits: what a binary-only (ESP32) build makes of a wide char. */
export function lowBytes(s: string): string {
  let out = "";
  for (let i = 0; i < s.length; i++) out += String.fromCharCode(s.charCodeAt(i) & 255);
  return out;
}

/** jsvIterateCallback: the bytes E.toString / E.toUint8Array make of their arguments. */
export function iterateBytes(data: unknown, realm: Realm, out: number[] = []): number[] {
  if (typeof data === "number" || typeof data === "boolean") {
    out.push(Math.trunc(Number(data)) & 255);
  } else if (typeof data === "string") {
    for (let i = 0; i < data.length; i++) out.push(data.charCodeAt(i) & 255);
  } else if (isArrayBuffer(data)) {
    for (const b of new Uint8Array(data)) out.push(b);
  } else if (isView(data) && toString.call(data) !== "[object DataView]") {
    const view = data as unknown as ArrayLike<number>;
    for (let i = 0; i < view.length; i++) out.push(Math.trunc(Number(view[i])) & 255);
  } else if (Array.isArray(data)) {
    for (let i = 0; i < data.length; i++) iterateBytes(data[i], realm, out);
  } else if (typeof data === "object" && data !== null) {
    const o = data as { callback?: unknown; data?: unknown; count?: unknown };
    if (typeof o.callback === "function") {
      const result: unknown = o.callback();
      if (result !== undefined) iterateBytes(result, realm, out);
    } else if (o.data !== undefined && typeof o.count === "number") {
      for (let n = o.count | 0; n > 0; n--) iterateBytes(o.data, realm, out);
    } else {
      throw realm.error(
        "TypeError",
        "If specifying an object, it must be of the form {data : ..., count : N} or {callback : fn} - got " +
          safeJson(data),
      );
    }
  } else {
    throw realm.error("TypeError", "Expecting Number or iterable, got " + typeName(data));
  }
  return out;
}

/** The text Espruino sends for a non-string socket write (jsvAsString). */
export function asEspruinoString(data: unknown): string {
  if (typeof data === "string") return data;
  if (isArrayBuffer(data)) return Array.prototype.join.call(new Uint8Array(data), ",");
  if (isView(data) && toString.call(data) !== "[object DataView]") {
    return Array.prototype.join.call(data as unknown as ArrayLike<number>, ",");
  }
  return String(data);
}

/** Raw bytes Storage writes for a value (JSV_GET_AS_CHAR_ARRAY). */
export function storageBytes(data: unknown, realm: Realm): Uint8Array {
  if (typeof data === "string") return binaryToBytes(data);
  if (isArrayBuffer(data)) return new Uint8Array(data.slice(0));
  if (isView(data)) return new Uint8Array(data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength));
  if (Array.isArray(data)) return Uint8Array.from(iterateBytes(data, realm));
  return binaryToBytes(String(data));
}

/** Espruino's %t: the type name used in error messages. */
export function typeName(v: unknown): string {
  if (v === undefined) return "undefined";
  if (v === null) return "null";
  if (Array.isArray(v)) return "Array";
  if (typeof v === "object") return "Object";
  if (typeof v === "function") return "Function";
  if (typeof v === "number") return Number.isInteger(v) ? "Integer" : "Float";
  if (typeof v === "string") return "String";
  if (typeof v === "boolean") return "Boolean";
  return typeof v;
}

function safeJson(v: unknown): string {
  try {
    return JSON.stringify(v) ?? String(v);
  } catch {
    return String(v);
  }
}
