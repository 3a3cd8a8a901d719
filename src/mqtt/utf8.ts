/**
 * UTF-8 by our own code: Espruino has no TextEncoder, and its ESP32 build no Unicode strings.
 * MQTT strings must be well-formed UTF-8 without U+0000 or surrogates (MQTT-1.5.3-1, -2).
 */
import type { WireString } from "./packets";

/**
 * JavaScript text (UTF-16) to a WireString of UTF-8 bytes.
 * Throws on U+0000 and lone surrogates, which MQTT forbids.
 */
export function utf8Encode(text: string): WireString {
  let out = "";
  for (let i = 0; i < text.length; i++) {
    let c = text.charCodeAt(i);
    if (c === 0) throw new Error("utf8: U+0000 not allowed");
    if (c >= 0xd800 && c <= 0xdfff) {
      const low = text.charCodeAt(i + 1);
      if (c > 0xdbff || !(low >= 0xdc00 && low <= 0xdfff)) throw new Error("utf8: lone surrogate at " + i);
      c = 0x10000 + ((c - 0xd800) << 10) + (low - 0xdc00);
      i++;
    }
    if (c < 0x80) out += String.fromCharCode(c);
    else if (c < 0x800) out += String.fromCharCode(0xc0 | (c >> 6), 0x80 | (c & 63));
    else if (c < 0x10000) out += String.fromCharCode(0xe0 | (c >> 12), 0x80 | ((c >> 6) & 63), 0x80 | (c & 63));
    else out += String.fromCharCode(0xf0 | (c >> 18), 0x80 | ((c >> 12) & 63), 0x80 | ((c >> 6) & 63), 0x80 | (c & 63));
  }
  return out;
}

/** A module-level function, not a closure: one would be allocated per call (slow on Espruino). */
function byteAt(bytes: Uint8Array | WireString, k: number): number {
  return typeof bytes === "string" ? bytes.charCodeAt(k) : bytes[k];
}

/**
 * Length of the well-formed MQTT UTF-8 sequence starting at bytes[i], or 0 when it is not one
 * (overlong, surrogate, above U+10FFFF, truncated, U+0000).
 */
function sequenceLength(bytes: Uint8Array | WireString, i: number, end: number): number {
  const b = byteAt(bytes, i);
  if (b === 0) return 0;
  if (b < 0x80) return 1;
  // Allowed range of the second byte per lead byte (RFC 3629 table), which rules out
  // overlongs, surrogates (ED A0..BF) and code points above U+10FFFF in one check.
  const n = b < 0xc2 ? 0 : b < 0xe0 ? 2 : b < 0xf0 ? 3 : b < 0xf5 ? 4 : 0;
  if (n === 0 || i + n > end) return 0;
  const second = byteAt(bytes, i + 1);
  const low = b === 0xe0 ? 0xa0 : b === 0xf0 ? 0x90 : 0x80;
  const high = b === 0xed ? 0x9f : b === 0xf4 ? 0x8f : 0xbf;
  if (second < low || second > high) return 0;
  for (let k = 2; k < n; k++) if ((byteAt(bytes, i + k) & 0xc0) !== 0x80) return 0;
  return n;
}

/** True when bytes[start..end) (an array, or a WireString's char codes) are well-formed MQTT UTF-8. */
export function isUtf8(bytes: Uint8Array | WireString, start: number, end: number): boolean {
  for (let i = start; i < end;) {
    const n = sequenceLength(bytes, i, end);
    if (n === 0) return false;
    i += n;
  }
  return true;
}

/** A WireString of UTF-8 bytes back to JavaScript text. Throws on malformed bytes. */
export function utf8Decode(wire: WireString): string {
  let out = "";
  for (let i = 0; i < wire.length;) {
    const n = sequenceLength(wire, i, wire.length);
    if (n === 0) throw new Error("utf8: malformed byte at " + i);
    let c = n === 1 ? wire.charCodeAt(i) : wire.charCodeAt(i) & (0xff >> (n + 1));
    for (let k = 1; k < n; k++) c = (c << 6) | (wire.charCodeAt(i + k) & 63);
    if (c >= 0x10000) {
      c -= 0x10000;
      out += String.fromCharCode(0xd800 + (c >> 10), 0xdc00 + (c & 1023));
    } else out += String.fromCharCode(c);
    i += n;
  }
  return out;
}
