/**
 * The sensor loop and delivery on a fake clock, a fake flash and the scripted transport: seq, bad
 * readings, the backlog in flash, restarts, RAM that does not grow with the backlog.
 */
import { describe, expect, it } from "vitest";
import { createSensorLoop } from "../../src/app/sensor-loop";
import { createDelivery, type Delivery } from "../../src/app/delivery";
import type { ReadCallback, TemperatureSensor } from "../../src/app/sensor";
import { SimulatedSensor } from "../../src/app/simulated-sensor";
import { lastSeq, openReadingStore, type ReadingStore } from "../../src/store/reading-store";
import { FakeFlash, nodeCrc } from "../support/fake-flash";
import { connect, puback, rig, type Rig } from "../session/harness";

/** A sensor that returns the scripted values in turn (a string is a read error). */
function scripted(values: (number | string | undefined)[]): TemperatureSensor {
  let i = 0;
  return {
    name: "scripted",
    read(done: ReadCallback) {
      const v = values[i++ % values.length];
      if (typeof v === "string") done(undefined, v);
      else done(v);
    },
  };
}

interface App {
  store: ReadingStore;
  delivery: Delivery;
  loop: ReturnType<typeof createSensorLoop>;
}

/** The firmware's wiring (firmware/main.ts) on the rig: `unixTime` 0 means the clock is not set. */
function app(r: Rig, sensor: TemperatureSensor, flash = new FakeFlash(), boot = 1, unixTime = () => 0): App {
  const log = (l: string) => r.logs.push(l);
  const store = openReadingStore(flash, nodeCrc, { segments: 4, log });
  const clock = { uptime: () => Math.floor(r.clock.now() / 1000), unixTime };
  const format = { prefix: '{"device":"d","seq":', valueKey: ',"temperature":' };
  const delivery = createDelivery(
    r.session,
    store,
    clock,
    { topic: "s/d/temperature", format, readAhead: 2, boot },
    log,
  );
  return { store, delivery, loop: createSensorLoop(delivery, sensor, r.clock, 1000, log) };
}

/** Acknowledges every PUBLISH as it comes, returning the payloads (status included). */
function acknowledgeAll(c: ReturnType<typeof connect>): string[] {
  const payloads: string[] = [];
  for (let p = c.take(); p.length; p = c.take()) {
    for (const packet of p) {
      payloads.push(packet.payload.toString());
      puback(c, packet.messageId);
    }
  }
  return payloads;
}

describe("sensor loop", () => {
  it("publishes good readings with seq 1, 2, 3 and skips bad ones without using a seq", () => {
    const r = rig({ queueSize: 10 });
    const { loop: l, store, delivery } = app(r, scripted([20, NaN, 21.25, "CRC mismatch", 200, undefined, 22]));
    l.start();
    r.clock.advance(6000);
    expect(lastSeq(store)).toBe(3);
    expect(l.counts().failed).toBe(4);
    expect(r.logs.filter((x) => x.startsWith("[app] bad reading skipped"))).toEqual([
      "[app] bad reading skipped (1 so far): not a number: NaN",
      "[app] bad reading skipped (2 so far): CRC mismatch",
      "[app] bad reading skipped (3 so far): outside -55..125 C: 200",
      "[app] bad reading skipped (4 so far): not a number: undefined",
    ]);
    const c = connect(r);
    const payloads: string[] = [];
    for (let i = 0; i < 4; i++) {
      const [p] = c.take();
      payloads.push(p.payload.toString());
      puback(c, p.messageId);
    }
    expect(payloads[0]).toBe("online");
    expect(payloads.slice(1).map((p) => JSON.parse(p))).toEqual([
      { device: "d", seq: 1, temperature: 20, uptime: 0, boot: 1 },
      { device: "d", seq: 2, temperature: 21.25, uptime: 2, boot: 1 },
      { device: "d", seq: 3, temperature: 22, uptime: 6, boot: 1 },
    ]);
    expect(delivery.counts().delivered).toBe(3);
  });

  it("names each reading's seq when delivered, from the session's event, not the payload", () => {
    const r = rig({ queueSize: 10 });
    const { loop: l } = app(r, scripted([20, 21, 22]));
    l.start();
    r.clock.advance(2000);
    acknowledgeAll(connect(r));
    expect(r.logs.filter((x) => x.endsWith(" delivered"))).toEqual([
      "[app] reading #1 delivered",
      "[app] reading #2 delivered",
      "[app] reading #3 delivered",
    ]);
  });

  it("keeps a long offline backlog in flash, not RAM, and sends it in order after connecting", () => {
    const r = rig({ queueSize: 4 });
    const { loop: l, store } = app(r, scripted([20]));
    l.start();
    r.clock.advance(499_000); // 500 readings while the broker is away
    expect(store.counts.stored).toBe(500);
    expect(store.counts.dropped).toBe(0);
    expect(r.session.queued()).toBe(0); // offline, readings wait in flash only
    const c = connect(r);
    expect(r.session.queued()).toBe(2); // connected: the read-ahead, whatever the backlog
    const payloads = acknowledgeAll(c);
    expect(payloads[0]).toBe("online");
    expect(payloads.slice(1).map((p) => JSON.parse(p).seq)).toEqual(Array.from({ length: 500 }, (_, i) => i + 1));
    expect(store.counts.stored).toBe(0);
  });

  it("after a restart sends what was stored and not delivered, first, and numbers on", () => {
    const flash = new FakeFlash();
    const r1 = rig();
    app(r1, scripted([20]), flash).loop.start();
    r1.clock.advance(4000); // five readings, never sent
    const r2 = rig();
    const second = app(r2, scripted([30]), flash, 2);
    expect(second.store.counts.stored).toBe(5);
    second.loop.start();
    const sent = acknowledgeAll(connect(r2))
      .slice(1)
      .map((p) => JSON.parse(p));
    expect(sent.map((p) => [p.seq, p.boot, p.temperature])).toEqual([
      [1, 1, 20],
      [2, 1, 20],
      [3, 1, 20],
      [4, 1, 20],
      [5, 1, 20],
      [6, 2, 30],
    ]);
  });

  it("adds the reading's Unix time when the clock is known, back-dated from uptime when it was set later", () => {
    const r = rig();
    let unix = 0;
    const { loop: l } = app(r, scripted([20]), new FakeFlash(), 1, () => unix);
    l.start();
    r.clock.advance(2000); // three readings at uptime 0, 1, 2 before the clock is set
    unix = 1_800_000_010; // set at uptime 2
    r.clock.advance(1000);
    const sent = acknowledgeAll(connect(r))
      .slice(1)
      .map((p) => JSON.parse(p));
    expect(sent.map((p) => [p.uptime, p.time])).toEqual([
      [0, 1_800_000_007],
      [1, 1_800_000_008],
      [2, 1_800_000_009],
      [3, 1_800_000_010],
    ]);
    expect(Object.keys(sent[0])).toEqual(["device", "seq", "temperature", "uptime", "boot", "time"]);
  });

  it("leaves time out for readings of an earlier start whose clock was never set", () => {
    const flash = new FakeFlash();
    const r1 = rig();
    app(r1, scripted([20]), flash).loop.start();
    const r2 = rig();
    app(r2, scripted([20]), flash, 2, () => 1_800_000_000);
    const [first] = acknowledgeAll(connect(r2))
      .slice(1)
      .map((p) => JSON.parse(p));
    expect(first).toEqual({ device: "d", seq: 1, temperature: 20, uptime: 0, boot: 1 });
  });

  it("publishes from RAM, and says so, when flash refuses a reading", () => {
    const r = rig();
    const flash = new FakeFlash(2000);
    const { loop: l } = app(r, scripted([20]), flash);
    l.start();
    expect(
      r.logs.some((x) => /reading #1 not stored \(Unable to find or create file\): kept in RAM only/.test(x)),
    ).toBe(true);
    const [, payload] = acknowledgeAll(connect(r));
    expect(JSON.parse(payload)).toMatchObject({ seq: 1, temperature: 20 });
  });

  it("survives a driver that throws or answers twice", () => {
    const r = rig();
    let calls = 0;
    const { loop: l, store } = app(r, {
      name: "flaky",
      read(done) {
        calls++;
        if (calls === 1) throw new Error("bus fault");
        done(20);
        done(21);
      },
    });
    l.start();
    r.clock.advance(1000);
    expect(r.logs).toContain("[app] bad reading skipped (1 so far): driver threw: bus fault");
    expect(lastSeq(store)).toBe(1);
    expect(store.counts.stored).toBe(1);
  });

  it("the simulated sensor is deterministic and fails at about its failure rate", () => {
    const values = (seed: number) => {
      const s = new SimulatedSensor({ failureRate: 0.2, seed });
      const out: (number | string | undefined)[] = [];
      for (let i = 0; i < 1000; i++) s.read((v, e) => out.push(e ?? v));
      return out;
    };
    const a = values(5);
    expect(values(5)).toEqual(a);
    const bad = a.filter((v) => typeof v !== "number" || !isFinite(v) || v > 125).length;
    expect(bad).toBeGreaterThan(150);
    expect(bad).toBeLessThan(250);
  });
});

describe("console summary", () => {
  it("says once a minute what was delivered, is waiting, was dropped or failed, and how often it reconnected", () => {
    const r = rig();
    const { loop: l } = app(r, scripted([20, "CRC mismatch"]));
    l.start();
    const c = connect(r);
    acknowledgeAll(c);
    r.clock.advance(9000);
    acknowledgeAll(c);
    c.events.closed("cut");
    r.clock.advance(2000);
    acknowledgeAll(connect(r));
    r.clock.advance(60000 - 11000);
    const at = r.logs.findIndex((x) => x.startsWith("[app] summary:"));
    const line = r.logs[at];
    const before = r.logs.slice(0, at);
    expect(line).toMatch(/^\[app\] summary: \d+ delivered, \d+ waiting, 0 dropped, \d+ failed reads, 1 reconnects$/);
    const [delivered, waiting, failed] = /(\d+) delivered, (\d+) waiting, 0 dropped, (\d+) failed/
      .exec(line!)!
      .slice(1)
      .map(Number);
    expect(delivered + waiting).toBe(before.filter((x) => / C stored /.test(x)).length);
    expect(delivered).toBeGreaterThan(0);
    expect(failed).toBe(before.filter((x) => x.includes("bad reading skipped")).length);
  });
});
