/** The DS18B20's 85.0 C: its power-on value, told apart from a real 85.0 C by the scratchpad's byte 6. */
import { describe, expect, it } from "vitest";
import { dallasCrc8, decodeScratchpad } from "../../src/app/ds18b20";

/** A scratchpad with a valid CRC: temperature LSB, MSB, and byte 6. */
const pad = (lsb: number, msb: number, byte6: number) => {
  const bytes = [lsb, msb, 0x4b, 0x46, 0x7f, 0xff, byte6, 0x10];
  return [...bytes, dallasCrc8(bytes, 8)];
};

describe("DS18B20 85.0 C", () => {
  it("drops the power-on scratchpad (datasheet's power-up state, byte 6 = 0x0C)", () => {
    // A Maxim DS18B20 read before any conversion: 50 05 4B 46 7F FF 0C 10 1C.
    const powerOn = [0x50, 0x05, 0x4b, 0x46, 0x7f, 0xff, 0x0c, 0x10, 0x1c];
    expect(dallasCrc8(powerOn, 8)).toBe(0x1c);
    expect(decodeScratchpad(powerOn)).toBe("power-on value 85 C (no conversion)");
  });

  it("keeps a real 85.0 C: a conversion at 85.0 leaves byte 6 at 0x10 ((byte 0 + byte 6) & 0x0F = 0)", () => {
    expect(decodeScratchpad(pad(0x50, 0x05, 0x10))).toBe(85);
  });

  it("drops 85.0 C with any other byte 6: a clone whose byte 6 stays 0x0C cannot be told apart", () => {
    for (const byte6 of [0x0c, 0x00, 0x01, 0x0f, 0xff])
      expect(decodeScratchpad(pad(0x50, 0x05, byte6))).toMatch(/power-on/);
  });

  it("byte 6 does not matter for other temperatures", () => {
    // +25.0625 C (0x0191): a Maxim part reads byte 6 = 0x0F, a clone 0x0C.
    expect(decodeScratchpad(pad(0x91, 0x01, 0x0f))).toBe(25.0625);
    expect(decodeScratchpad(pad(0x91, 0x01, 0x0c))).toBe(25.0625);
    // 85.0625 C and 84.9375 C are not the power-on value.
    expect(decodeScratchpad(pad(0x51, 0x05, 0x0c))).toBe(85.0625);
    expect(decodeScratchpad(pad(0x4f, 0x05, 0x0c))).toBe(84.9375);
  });
});
