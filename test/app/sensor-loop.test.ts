/** The sensor loop on a fake clock with the scripted transport: seq, bad readings, the offline queue. */
import { describe, expect, it } from "vitest";
import { createSensorLoop } from "../../src/app/sensor-loop";
import type { ReadCallback, TemperatureSensor } from "../../src/app/sensor";
import { SimulatedSensor } from "../../src/app/simulated-sensor";
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

function loop(r: Rig, sensor: TemperatureSensor) {
  return createSensorLoop(r.session, sensor, r.clock, { intervalMs: 1000, topic: "s/d/temperature", payloadPrefix: '{"device":"d","seq":' }, (l) => r.logs.push(l));
}

describe("sensor loop", () => {
  it("publishes good readings with seq 1, 2, 3 and skips bad ones without using a seq", () => {
    const r = rig({ queueSize: 10 });
    const l = loop(r, scripted([20, NaN, 21.25, "CRC mismatch", 200, undefined, 22]));
    l.start();
    r.clock.advance(6000);
    expect(l.counts().seq).toBe(3);
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
      { device: "d", seq: 1, temperature: 20, uptime: 0 },
      { device: "d", seq: 2, temperature: 21.25, uptime: 2 },
      { device: "d", seq: 3, temperature: 22, uptime: 6 },
    ]);
    expect(l.counts().delivered).toBe(3);
  });

  it("gives every reading the same acknowledgement callback, and names each reading's seq when delivered", () => {
    // A closure per reading would stay alive, with its scopes, while the reading waits: on
    // Espruino that was 54-87 JsVars a queued reading instead of 10 (npm run bench).
    const r = rig({ queueSize: 10 });
    const callbacks = new Set<unknown>();
    const publish = r.session.publish;
    r.session.publish = (topic, payload, qos, retain, onAck) => {
      callbacks.add(onAck);
      return publish(topic, payload, qos, retain, onAck);
    };
    const l = loop(r, scripted([20, 21, 22]));
    l.start();
    r.clock.advance(2000);
    expect(callbacks.size).toBe(1);
    const c = connect(r);
    for (let i = 0; i < 4; i++) puback(c, c.take()[0].messageId);
    expect(r.logs.filter((x) => x.endsWith(" delivered"))).toEqual(["[app] reading #1 delivered", "[app] reading #2 delivered", "[app] reading #3 delivered"]);
  });

  it("keeps readings taken offline in order, dropping the oldest when the queue is full", () => {
    const r = rig({ queueSize: 3 });
    const l = loop(r, scripted([20]));
    l.start();
    r.clock.advance(4000); // five readings, room for three
    expect(l.counts().dropped).toBe(2);
    expect(r.logs).toContain('[app] queue full: dropped the oldest reading {"device":"d","seq":2,"temperature":20,"uptime":1} (2 dropped so far)');
    const c = connect(r);
    const seqs: number[] = [];
    puback(c, c.take()[0].messageId); // online
    for (let i = 0; i < 3; i++) {
      const [p] = c.take();
      seqs.push(JSON.parse(p.payload.toString()).seq);
      puback(c, p.messageId);
    }
    expect(seqs).toEqual([3, 4, 5]);
  });

  it("survives a driver that throws or answers twice", () => {
    const r = rig();
    let calls = 0;
    const l = loop(r, {
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
    expect(l.counts().seq).toBe(1);
    expect(r.session.queued()).toBe(1);
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
