// How Storage's JS arguments become bytes, integers and name filters on Espruino 2v29
// (jswrap_storage.c, JSV_GET_AS_CHAR_ARRAY, jsvGetInteger, jswrap_string_match).
import { binaryToBytes, isArrayBuffer, isView, iterateBytes } from "./bytes";
import { NAME_BYTES, nameFromBytes } from "./jsflash-header";
import type { Realm } from "./realm";

const toString = Object.prototype.toString;

/**
 * The bytes written for `data` (not an object: those are JSON first), or undefined when there
 * is no pointer to them (`undefined`: "Can't get pointer to data to write"). A typed array gives
 * `length` bytes from its byteOffset, so a Uint16Array of 2 elements writes 2 bytes, not 4
 * (jsvGetDataPointer uses the element count). Numbers and booleans are one byte, arrays are
 * walked like E.toUint8Array, a function is no bytes, null throws a TypeError.
 */
export function dataBytes(data: unknown, realm: Realm): Uint8Array | undefined {
  if (data === undefined) return undefined;
  if (typeof data === "string") return binaryToBytes(data);
  if (isArrayBuffer(data)) return new Uint8Array(data).slice();
  if (isView(data) && toString.call(data) !== "[object DataView]") {
    const count = (data as unknown as ArrayLike<number>).length;
    const length = Math.min(count, data.buffer.byteLength - data.byteOffset);
    return new Uint8Array(data.buffer as ArrayBuffer, data.byteOffset, length).slice();
  }
  if (typeof data === "function") return new Uint8Array(0);
  return Uint8Array.from(iterateBytes(data, realm));
}

/** jsfNameFromVar: the name's text, one byte per char, cut to 28 bytes. */
export function storageName(name: unknown): Uint8Array {
  return nameFromBytes(binaryToBytes(String(name).slice(0, NAME_BYTES)));
}

/** jsvGetInteger for an "int" parameter. */
export function toInt(v: unknown): number {
  const n = typeof v === "boolean" ? Number(v) : Number(v ?? 0);
  return Number.isFinite(n) ? Math.trunc(n) : 0;
}

/**
 * list()'s filter: a RegExp is exec'd (a global one always "matches": it yields an array, even
 * empty); anything else is its text, found with Espruino's indexOf, where a prefix of the text
 * at the very end of the name counts (list("12") lists "xyz01"). undefined lists all.
 */
export function nameFilter(regex: unknown): (name: string) => boolean {
  if (regex === undefined) return () => true;
  if (typeof regex === "object" && regex !== null && toString.call(regex) === "[object RegExp]") {
    const re = regex as RegExp;
    if (re.global) return () => true;
    return (name) => {
      re.lastIndex = 0;
      return RegExp.prototype.exec.call(re, name) !== null;
    };
  }
  const text = String(regex);
  return (name) => espruinoIndexOf(name, text) >= 0;
}

/** jswrap_string_indexOf from 0: compares until either string ends. */
function espruinoIndexOf(s: string, sub: string): number {
  if (sub.length > s.length) return -1;
  for (let idx = 0; idx < s.length; idx++) {
    let k = 0;
    while (k < sub.length && idx + k < s.length && s[idx + k] === sub[k]) k++;
    if (k === sub.length || idx + k === s.length) return idx;
  }
  return -1;
}

/**
 * Storage.write(name, object) stores jswrap_json_stringify's text: V8's JSON.stringify output
 * with chars 0x7F and up as \u00XX and control chars' escapes in upper case, as Espruino's
 * escapeCharacter (JSON style) writes them ({"b":"\u00FF"}).
 */
export function espruinoJsonText(json: string): string {
  let out = "";
  for (let i = 0; i < json.length; i++) {
    const ch = json[i]!;
    const code = json.charCodeAt(i);
    if (ch === "\\") {
      const esc = json.slice(i, i + 6);
      if (/^\\u[0-9a-fA-F]{4}$/.test(esc)) {
        out += "\\u" + esc.slice(2).toUpperCase();
        i += 5;
      } else {
        out += json.slice(i, i + 2);
        i++;
      }
    } else if (code >= 0x7f && code <= 0xff) {
      out += "\\u00" + code.toString(16).toUpperCase();
    } else {
      out += ch;
    }
  }
  return out;
}
