import { describe, expect, it } from "vitest";
import { centiText, readingError, readingPayload } from "../../src/app/reading";
import { decodeScratchpad, dallasCrc8 } from "../../src/app/ds18b20";

describe("readings", () => {
  it.each([NaN, undefined, null, "21", Infinity, -Infinity, -55.01, 125.01, 1e21])("rejects %s", (value) => {
    expect(readingError(value)).not.toBe("");
  });

  it.each([-55, 0, 21.5, 125])("accepts %s", (value) => {
    expect(readingError(value)).toBe("");
  });

  it.each([
    [21.5, "21.5"],
    [21.567, "21.57"],
    [-3, "-3"],
    [-0.001, "0"],
    [0, "0"],
    [124.999, "125"],
    [-10.1, "-10.1"],
    [0.07, "0.07"],
    [-0.5, "-0.5"],
    [21.1, "21.1"],
  ])("writes %s with at most 2 decimals as %s", (value, text) => {
    expect(centiText(Math.round(value * 100))).toBe(text);
    expect(JSON.parse(text)).toBeCloseTo(value, 2);
  });

  it("builds exactly the contract's JSON, with time only when known", () => {
    const format = { prefix: '{"device":"dev-1","seq":', valueKey: ',"temperature":' };
    const r = { seq: 7, boot: 3, uptime: 360, time: 0, centi: 2146 };
    const payload = readingPayload(format, r, 1_800_000_000);
    expect(payload).toBe('{"device":"dev-1","seq":7,"temperature":21.46,"uptime":360,"boot":3,"time":1800000000}');
    expect(Object.keys(JSON.parse(payload))).toEqual(["device", "seq", "temperature", "uptime", "boot", "time"]);
    expect(readingPayload(format, r, 0)).toBe('{"device":"dev-1","seq":7,"temperature":21.46,"uptime":360,"boot":3}');
  });
});

describe("DS18B20 scratchpad", () => {
  // From the datasheet: +25.0625 C is 0x0191.
  const pad = (lsb: number, msb: number) => {
    const bytes = [lsb, msb, 0x4b, 0x46, 0x7f, 0xff, 0x0c, 0x10];
    return [...bytes, dallasCrc8(bytes, 8)];
  };

  it("checks the CRC against a known vector", () => {
    // ROM code example from Maxim's application note 27: 02 1C B8 01 00 00 00 -> CRC A2.
    expect(dallasCrc8([0x02, 0x1c, 0xb8, 0x01, 0x00, 0x00, 0x00], 7)).toBe(0xa2);
  });

  it("decodes positive and negative temperatures", () => {
    expect(decodeScratchpad(pad(0x91, 0x01))).toBe(25.0625);
    expect(decodeScratchpad(pad(0x5e, 0xff))).toBe(-10.125);
    expect(decodeScratchpad(pad(0x90, 0xfc))).toBe(-55);
  });

  it("rejects a CRC mismatch, an all-zero bus, the 85 C power-on value and a short read", () => {
    const bad = pad(0x91, 0x01);
    bad[8] ^= 1;
    expect(decodeScratchpad(bad)).toBe("CRC mismatch");
    expect(decodeScratchpad(new Array(9).fill(0))).toBe("bus reads all zeros");
    expect(decodeScratchpad(new Array(9).fill(0xff))).toBe("CRC mismatch");
    expect(decodeScratchpad(pad(0x50, 0x05))).toMatch(/power-on/);
    expect(decodeScratchpad([1, 2, 3])).toMatch(/9 bytes/);
  });
});
