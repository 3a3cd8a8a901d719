/** Decoding a DS18B20's 9-byte scratchpad (portable, so Node tests it; the OneWire driver is in firmware/). */

/** Dallas/Maxim CRC-8 (polynomial x^8 + x^5 + x^4 + 1, reflected) over bytes[0..length). */
export function dallasCrc8(bytes: ArrayLike<number>, length: number): number {
  let crc = 0;
  for (let i = 0; i < length; i++) {
    let b = bytes[i];
    for (let bit = 0; bit < 8; bit++) {
      const mix = (crc ^ b) & 1;
      crc >>= 1;
      if (mix) crc ^= 0x8c;
      b >>= 1;
    }
  }
  return crc;
}

/** Degrees C from a scratchpad, or an error text: a CRC mismatch, a silent bus, the power-on value. */
export function decodeScratchpad(pad: ArrayLike<number>): number | string {
  if (!pad || pad.length !== 9) return "scratchpad not 9 bytes";
  let zeros = 0;
  for (let i = 0; i < 9; i++) if (!pad[i]) zeros++;
  // A shorted bus reads all zeros, whose CRC is also zero.
  if (zeros === 9) return "bus reads all zeros";
  if (dallasCrc8(pad, 8) !== pad[8]) return "CRC mismatch";
  let raw = pad[0] | (pad[1] << 8);
  if (raw & 0x8000) raw -= 0x10000;
  // 85 C is the power-on reset value: the conversion did not happen.
  if (raw === 0x550) return "power-on value 85 C (no conversion)";
  return raw / 16;
}
