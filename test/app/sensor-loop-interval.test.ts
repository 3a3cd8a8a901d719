/**
 * The sensor loop's interval changed at run time (src/app/sensor-loop.ts interval / intervalMs,
 * which a set message's PUBLISH_INTERVAL_MS calls): the next reading comes that long from the
 * change; before start(), or after stop(), it only sets the value.
 */
import { describe, expect, it } from "vitest";
import { createSensorLoop } from "../../src/app/sensor-loop";
import type { Delivery } from "../../src/app/delivery";
import type { TemperatureSensor } from "../../src/app/sensor";
import { FakeClock } from "../session/harness";

/** A loop on a fake clock whose readings (the times they were taken) are recorded. */
function setup(intervalMs = 1000, fail = () => false) {
  const clock = new FakeClock();
  const at: number[] = [];
  let seq = 0;
  const delivery: Delivery = {
    add: () => (at.push(clock.now()), ++seq),
    counts: () => ({ delivered: 0, waiting: 0, dropped: 0, connects: 0 }),
  };
  const sensor: TemperatureSensor = {
    name: "fake",
    read: (done) => (fail() ? done(undefined, "bus error") : done(21.5)),
  };
  const logs: string[] = [];
  const loop = createSensorLoop(delivery, sensor, clock, intervalMs, (l) => logs.push(l));
  return { clock, loop, at, logs };
}

describe("sensor loop interval", () => {
  it("intervalMs() is the interval given, then the one set", () => {
    const { loop } = setup(2000);
    expect(loop.intervalMs()).toBe(2000);
    loop.interval(5000);
    expect(loop.intervalMs()).toBe(5000);
  });

  it("after interval(5000) the next reading comes 5000 ms later, then every 5000 ms", () => {
    const { clock, loop, at } = setup(1000);
    loop.start();
    clock.advance(1500); // readings at 0 and 1000
    expect(at).toEqual([0, 1000]);
    loop.interval(5000);
    clock.advance(4999); // to 6499: the old 1 s period is gone
    expect(at).toEqual([0, 1000]);
    clock.advance(1); // 6500
    expect(at).toEqual([0, 1000, 6500]);
    clock.advance(10000);
    expect(at).toEqual([0, 1000, 6500, 11500, 16500]);
  });

  it("a shorter interval takes effect from the change, not at the end of the longer one", () => {
    const { clock, loop, at } = setup(60000);
    loop.start();
    clock.advance(10000);
    loop.interval(2000);
    clock.advance(4000);
    expect(at).toEqual([0, 12000, 14000]);
  });

  it("before start() it only sets the value: no reading, no timer; start() then reads at the new interval", () => {
    const { clock, loop, at, logs } = setup(1000);
    loop.interval(5000);
    expect(clock.pending()).toBe(0);
    clock.advance(20000);
    expect(at).toEqual([]);
    loop.start();
    expect(logs).toContain("[app] reading fake every 5000 ms");
    clock.advance(10000);
    expect(at).toEqual([20000, 25000, 30000]);
  });

  it("after stop() it only sets the value too", () => {
    const { clock, loop, at } = setup(1000);
    loop.start();
    clock.advance(1000);
    loop.stop();
    loop.interval(3000);
    expect(clock.pending()).toBe(0);
    clock.advance(10000);
    expect(at).toEqual([0, 1000]);
  });

  it("the same interval again restarts the wait from now", () => {
    const { clock, loop, at } = setup(5000);
    loop.start();
    clock.advance(4000);
    loop.interval(5000);
    clock.advance(4000);
    expect(at).toEqual([0]);
    clock.advance(1000);
    expect(at).toEqual([0, 9000]);
  });

  // readOnce's retry must not leave `timer` holding a fired timer's id, or a later interval() on
  // a loop never started would start the periodic readings.
  it("after a battery-mode readOnce that retried, interval() still only sets the value", () => {
    let failures = 1;
    const { clock, loop, at } = setup(1000, () => failures-- > 0);
    let stored: boolean | undefined;
    loop.readOnce(3, (s) => (stored = s));
    clock.advance(1000);
    expect(stored).toBe(true);
    expect(at).toEqual([1000]);
    loop.interval(5000);
    clock.advance(20000);
    expect(at).toEqual([1000]);
  });
});
