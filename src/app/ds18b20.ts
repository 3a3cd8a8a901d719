/** Decoding a DS18B20's 9-byte scratchpad (portable, so Node tests it; the OneWire driver is in firmware/). */

/** Dallas/Maxim CRC-8 (polynomial x^8 + x^5 + x^4 + 1, reflected) over bytes[0..length). */
/** boards/<name>.json `sensor` for `"type": "ds18b20"`. */
export interface Ds18b20Options {
  /** The OneWire data pin, like "D4". */
  pin: string;
}

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

/**
 * 85.0 C (0x0550) is also the temperature register's power-on value, read when the sensor lost
 * power or reset between CONVERT T and the read; the reserved byte 6 then holds its power-on
 * state, 0x0C (the datasheet's scratchpad figure). A Maxim DS18B20 sets byte 6 at every
 * conversion so that (byte 0 + byte 6) & 0x0F is 0 with 0 < byte 6 <= 0x10 (measured on
 * genuine parts, github.com/cpetrich/counterfeit_DS18B20): a real 85.0 C reads byte 6 = 0x10.
 * Only that is kept. Many clones leave byte 6 at 0x0C for ever: on them a real 85.0 C cannot be
 * told from the power-on value and is still dropped.
 */
const BYTE6_AT_REAL_85 = 0x10;

/** Degrees C from a scratchpad, or an error text: a CRC mismatch, a silent bus, the power-on value (see above). */
export function decodeScratchpad(pad: ArrayLike<number>): number | string {
  if (!pad || pad.length !== 9) return "scratchpad not 9 bytes";
  let zeros = 0;
  for (let i = 0; i < 9; i++) if (!pad[i]) zeros++;
  // A shorted bus reads all zeros, whose CRC is also zero.
  if (zeros === 9) return "bus reads all zeros";
  if (dallasCrc8(pad, 8) !== pad[8]) return "CRC mismatch";
  let raw = pad[0] | (pad[1] << 8);
  if (raw & 0x8000) raw -= 0x10000;
  if (raw === 0x550 && pad[6] !== BYTE6_AT_REAL_85) return "power-on value 85 C (no conversion)";
  return raw / 16;
}
