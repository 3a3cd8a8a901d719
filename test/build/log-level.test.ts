/** LOG_LEVEL decides at build time which console lines exist: the text of those left out is not in the bundle. */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { buildBundle } from "../../tools/build/build-bundle";

const build = (level: string) => buildBundle("linux", { LOG_LEVEL: level }, join(mkdtempSync(join(tmpdir(), "log-level-")), "linux.js"));

describe("LOG_LEVEL", () => {
  it("info leaves out the per-packet and per-delivery lines; debug has them", async () => {
    const info = await build("info");
    const debug = await build("debug");
    for (const text of ['"[mqtt] PUBLISH"', '" delivered"']) {
      expect(info).not.toContain(text);
      expect(debug).toContain(text);
    }
    // "PUBACK #n" is debug; "PUBACK #n for no message in flight (ignored)" is kept.
    const count = (code: string) => code.split('"[mqtt] PUBACK #"').length - 1;
    expect([count(info), count(debug)]).toEqual([1, 2]);
    expect(info.length).toBeLessThan(debug.length);
    // What every level keeps: state changes and errors; error drops the per-reading and summary lines.
    expect(info).toContain("bad reading skipped");
    const error = await build("error");
    expect(error).toContain("bad reading skipped");
    expect(error).toContain(" -> ");
    for (const text of ['" C stored ("', '"[app] summary: "']) {
      expect(info).toContain(text);
      expect(error).not.toContain(text);
    }
  }, 30000);
});
