/**
 * Bytes <-> Espruino binary strings. A socket's `data` event delivers one char per byte, and
 * `socket.write` must get such a string: a Uint8Array would be sent as its decimal text.
 */

/** Uint8Array to a binary string (one char per byte). */
export function bytesToBinaryString(bytes: Uint8Array): string {
  let out = "";
  // Chunks of 256: Espruino's `apply` takes at most 256 arguments (Node's stack has a limit too).
  for (let i = 0; i < bytes.length; i += 256) {
    out += String.fromCharCode.apply(null, bytes.subarray(i, Math.min(i + 256, bytes.length)) as unknown as number[]);
  }
  return out;
}

/** Binary string to bytes; each char code keeps its low 8 bits. */
export function binaryStringToBytes(text: string): Uint8Array {
  const bytes = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
  return bytes;
}
