/**
 * tools/firmware-runner.ts as the benchmarks use it (tools/bench/device.ts): console lines with
 * the time they arrived, waitFor from an index, the run's start time, kill as a power cut, and,
 * on Espruino's Linux interpreter (ESPRUINO), booting a flash directory and the memory probes.
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { afterEach, describe, expect, it } from "vitest";
import {
  bootFromFlash,
  recordConsole,
  runFirmware,
  storeBootCode,
  type RecordedFirmware,
} from "../../tools/firmware-runner";

const ESPRUINO = process.env.ESPRUINO;
/** Ticks every 20 ms and keeps running; "tock" once, after the third tick. */
const SCRIPT =
  'var n=0;setInterval(function(){n++;console.log("tick "+n);if(n===3)console.log("tock")},20);console.log("ready");\n';

function scriptFile(): string {
  const file = join(mkdtempSync(join(tmpdir(), "runner-test-")), "ticks.js");
  writeFileSync(file, SCRIPT);
  return file;
}

let run: RecordedFirmware | undefined;
afterEach(async () => {
  run?.firmware.kill();
  await run?.firmware.exited;
  run = undefined;
});

describe("firmware runner, host runtime", () => {
  it("keeps every line with its arrival time and waits from an index", async () => {
    const before = performance.now();
    run = recordConsole("host", (console) => runFirmware(scriptFile(), { espruino: "", wake: false, console }));
    const ready = await run.waitFor(/^ready$/, 5000);
    expect(run.firmware.startedAt).toBeGreaterThanOrEqual(before);
    expect(ready.at).toBeGreaterThanOrEqual(run.firmware.startedAt);
    const second = await run.waitFor(/^tick \d+$/, 5000, ready.index + 2);
    expect(second.index).toBeGreaterThanOrEqual(ready.index + 2);
    const ats = run.lines.map((l) => l.at);
    expect([...ats].sort((a, b) => a - b)).toEqual(ats);
    expect(run.firmware.flashStats?.().bytesWritten).toBe(0);
  });

  it("a wait ends when the run does", async () => {
    run = recordConsole("host", (console) => runFirmware(scriptFile(), { espruino: "", wake: false, console }));
    await run.waitFor(/^ready$/, 5000);
    const waiting = run.waitFor(/never printed/, 60000);
    run.firmware.kill();
    await expect(waiting).rejects.toThrow(/the firmware exited/);
  });

  it("cannot boot from a flash file", () => {
    expect(() =>
      bootFromFlash(mkdtempSync(join(tmpdir(), "runner-test-")), { espruino: "", console: () => {} }),
    ).toThrow(/host runtime needs the bundle/);
  });
});

describe.skipIf(!ESPRUINO)("firmware runner, Espruino's Linux interpreter (ESPRUINO)", () => {
  it("runs a file from RAM: lines timed from the spawn, the memory probes answer", async () => {
    run = recordConsole("ram", (console) =>
      runFirmware(scriptFile(), { espruino: ESPRUINO, fromFlash: false, wake: false, console }),
    );
    const ready = await run.waitFor(/^ready$/, 5000);
    expect(ready.at).toBeGreaterThan(run.firmware.startedAt);
    await run.waitFor(/^tock$/, 5000, ready.index);
    const fromConsole = await run.firmware.memory();
    const fromTimer = await run.firmware.memory({ fromTimer: true });
    for (const m of [fromConsole, fromTimer]) expect(m.usage).toBeGreaterThan(0);
    // The probes' echoes and answers are not console lines.
    expect(run.lines.some((l) => /memory>>|process\.memory/.test(l.text))).toBe(false);
  });

  it("boots what a flash directory holds, and kill() ends it at once", async () => {
    const dir = mkdtempSync(join(tmpdir(), "runner-test-flash-"));
    await storeBootCode(ESPRUINO!, SCRIPT, dir);
    run = recordConsole("flash", (console) => bootFromFlash(dir, { espruino: ESPRUINO, wake: false, console }));
    await run.waitFor(/^tock$/, 5000);
    const t0 = performance.now();
    run.firmware.kill();
    await run.firmware.exited;
    expect(performance.now() - t0).toBeLessThan(1000);
  });

  it("boots the interpreter alone from an empty directory", async () => {
    const dir = mkdtempSync(join(tmpdir(), "runner-test-empty-"));
    run = recordConsole("alone", (console) => bootFromFlash(dir, { espruino: ESPRUINO, wake: false, console }));
    await run.waitFor(/espruino\.com/, 5000);
    expect((await run.firmware.memory({ fromTimer: true })).usage).toBeGreaterThan(0);
  });
});
