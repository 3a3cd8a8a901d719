/**
 * The memory guard on a fake clock, run by the supervisor's checks as the firmware runs it: below its reserve the firmware sheds the read-ahead and the
 * line per reading, says so once, and takes them back above the recovery mark; nothing is lost.
 */
import { describe, expect, it } from "vitest";
import { guardMemory } from "../../src/app/memory-guard";
import { superviseSession, SUPERVISE_EVERY_MS } from "../../src/app/supervisor";
import { createDelivery } from "../../src/app/delivery";
import { createSensorLoop } from "../../src/app/sensor-loop";
import { SimulatedSensor } from "../../src/app/simulated-sensor";
import { handedOut, openReadingStore } from "../../src/store/reading-store";
import { FakeFlash, nodeCrc } from "../support/fake-flash";
import { connect, puback, rig } from "../session/harness";

const LIMITS = { reserve: 250, recovered: 500 };

describe("memory guard", () => {
  it("sheds below the reserve, says so once, and recovers only above the recovery mark", () => {
    const r = rig();
    let free = 1000;
    const guard = guardMemory(
      () => free,
      LIMITS,
      (l) => r.logs.push(l),
    );
    // As the firmware runs it: at every one of the supervisor's checks.
    superviseSession(r.session, r.clock, () => {}, undefined, guard.check);
    r.clock.advance(SUPERVISE_EVERY_MS);
    expect(guard.low()).toBe(false);
    free = 200;
    r.clock.advance(SUPERVISE_EVERY_MS * 3);
    expect(guard.low()).toBe(true);
    expect(r.logs.filter((l) => l.startsWith("[memory]"))).toEqual([
      "[memory] low: 200 JsVars free (reserve 250): shedding the read-ahead and the line per reading",
    ]);
    free = 400; // above the reserve, below the recovery mark: still shedding
    r.clock.advance(SUPERVISE_EVERY_MS);
    expect(guard.low()).toBe(true);
    free = 600;
    guard.check(); // as the errorFlag handler calls it: at once, not at the next tick
    expect(guard.low()).toBe(false);
    expect(r.logs.at(-1)).toBe("[memory] recovered: 600 JsVars free: read-ahead and reading lines back");
  });

  it("while low: one reading handed to the session at a time, no line per reading, every reading still delivered", () => {
    const r = rig({ queueSize: 10 });
    const log = (l: string) => r.logs.push(l);
    let free = 100;
    const guard = guardMemory(() => free, LIMITS, log);
    const store = openReadingStore(new FakeFlash(), nodeCrc, { segments: 4, log });
    const clock = { uptime: () => Math.floor(r.clock.now() / 1000), unixTime: () => 0 };
    const format = { prefix: '{"device":"d","seq":', valueKey: ',"temperature":' };
    const delivery = createDelivery(
      r.session,
      store,
      clock,
      { topic: "s/d/temperature", format, readAhead: 2, boot: 1, lowMemory: guard.low },
      log,
    );
    const loop = createSensorLoop(
      delivery,
      new SimulatedSensor({ failureRate: 0, seed: 1 }),
      r.clock,
      1000,
      log,
      guard.low,
    );
    guard.check();
    loop.start();
    r.clock.advance(9500); // 10 readings stored while offline
    expect(r.logs.filter((l) => l.startsWith("[app] reading #"))).toEqual([]);
    const c = connect(r);
    const seqs: number[] = [];
    for (let p = c.take(); p.length; p = c.take()) {
      expect(handedOut(store)).toBeLessThanOrEqual(1);
      for (const packet of p) {
        if (String(packet.topic) === "s/d/temperature") seqs.push(JSON.parse(packet.payload.toString()).seq);
        puback(c, packet.messageId);
      }
    }
    expect(seqs).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    free = 1000;
    guard.check();
    r.clock.advance(1000);
    expect(r.logs.some((l) => l.startsWith("[app] reading #11 "))).toBe(true);
  });
});
