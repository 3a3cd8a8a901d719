import { describe, expect, it } from "vitest";
import { parseDiagnostics, parseReading, parseStatus } from "../../tools/watch/payload";

describe("payloads", () => {
  it("reads the current payload", () => {
    const p = parseReading("d", '{"device":"d","seq":7,"temperature":21.5,"uptime":70,"boot":3,"time":1760000000}');
    expect(p).toEqual({
      ok: true,
      value: { device: "d", seq: 7, temperature: 21.5, uptime: 70, boot: 3, time: 1760000000 },
      warnings: [],
    });
  });

  it("reads the older payload: boot 0, no time", () => {
    const p = parseReading("d", '{"device":"d","seq":1,"temperature":-3,"uptime":4}');
    expect(p).toEqual({
      ok: true,
      value: { device: "d", seq: 1, temperature: -3, uptime: 4, boot: 0, time: undefined },
      warnings: [],
    });
  });

  it("accepts a reading with unknown keys, a foreign device or a bad time, and says so", () => {
    const p = parseReading(
      "d",
      '{"device":"e","seq":1,"temperature":20,"uptime":4,"time":1760000000000,"humidity":40}',
    );
    expect(p.ok && p.value.time).toBe(undefined);
    expect(p.ok && p.warnings).toEqual([
      expect.stringContaining("unknown keys humidity"),
      '"device":"e" differs from the topic\'s d',
      "time 1760000000000 is not Unix seconds: arrival time used",
    ]);
  });

  it("refuses what is not a reading", () => {
    expect(parseReading("d", "21.5")).toEqual({ ok: false, error: 'not a JSON object: "21.5"' });
    expect(parseReading("d", "\u0000\u0001garbage")).toEqual({ ok: false, error: 'not JSON: "??garbage"' });
    expect(parseReading("d", '{"seq":1.5,"temperature":1}')).toMatchObject({
      ok: false,
      error: expect.stringMatching(/^reading without a valid seq/),
    });
    expect(parseReading("d", '{"seq":1,"temperature":"hot"}')).toMatchObject({
      ok: false,
      error: expect.stringMatching(/^reading without a numeric temperature/),
    });
    expect(parseReading("d", "x".repeat(500))).toMatchObject({ ok: false, error: expect.stringMatching(/\.\.\.$/) });
  });

  it("reads statuses and diagnostics", () => {
    expect(parseStatus("offline")).toMatchObject({ ok: true, value: "offline" });
    expect(parseStatus("on")).toMatchObject({ ok: false });
    expect(parseDiagnostics('{"firmware":"1.0","freeJsVars":1200,"nested":{"a":1}}')).toMatchObject({
      ok: true,
      value: { nested: { a: 1 } },
    });
    expect(parseDiagnostics("oops")).toMatchObject({ ok: false, error: 'diagnostics not JSON: "oops"' });
  });
});
