/**
 * Diagnostics (src/app/diagnostics.ts) over a real session on the scripted transport and fake
 * clock: retained QoS 1 JSON at each CONNACK and every `everyMs` while connected, nothing queued
 * while not, a new period with every(), and a set message's answer kept in every later message.
 */
import { describe, expect, it } from "vitest";
import { createDiagnostics, type DiagnosticsSample } from "../../src/app/diagnostics";
import {
  ackPublishes,
  connect,
  connectAfterBackoff,
  puback,
  rig,
  type FakeConnection,
  type Rig,
  type Sent,
} from "../session/harness";

const TOPIC = "sensors/dev-1/diagnostics";

function setup(everyMs = 60000, topic = TOPIC) {
  // Keepalive off: no PINGREQs to answer while time runs.
  const r = rig({ keepalive: 0, queueSize: 8 });
  let samples = 0;
  const sample = (): DiagnosticsSample => ({
    fw: "1.2.3",
    boot: 7,
    uptime: Math.round(r.clock.now() / 1000),
    free: 1500 - samples++,
    reset: "power-on",
    rssi: undefined,
  });
  // The diagnostics' clock: a timer of 0 ms would fire forever on the fake clock, so it fails instead.
  const clock = {
    now: () => r.clock.now(),
    setTimeout(callback: () => void, ms: number) {
      if (!(ms > 0)) throw new Error("diagnostics armed a timer of " + ms + " ms");
      return r.clock.setTimeout(callback, ms);
    },
    clearTimeout: (id: number) => r.clock.clearTimeout(id),
  };
  const diagnostics = createDiagnostics(r.session, topic, clock, sample, everyMs, (l) => r.logs.push(l));
  return { r, diagnostics, samples: () => samples };
}

/** Acknowledges every PUBLISH as it comes; returns the diagnostics ones. */
function published(c: FakeConnection): Sent[] {
  // A resend (acknowledged late, after the clock ran) is not a new message.
  return ackPublishes(c).filter((p) => p.topic === TOPIC && !p.dup);
}

const body = (p: Sent) => JSON.parse(p.payload.toString());

/** Connects (again, once the backoff has opened a new connection) and returns it with what it sent at the CONNACK. */
function connected(r: Rig): { c: FakeConnection; sent: Sent[] } {
  const c = connectAfterBackoff(r);
  return { c, sent: published(c) };
}

describe("diagnostics", () => {
  it("go retained at QoS 1 at the CONNACK, as JSON of the sample's fields (undefined ones left out)", () => {
    const { r } = setup();
    const { sent } = connected(r);
    expect(sent).toHaveLength(1);
    expect(sent[0]).toMatchObject({ topic: TOPIC, qos: 1, retain: true, dup: false });
    expect(body(sent[0])).toEqual({ fw: "1.2.3", boot: 7, uptime: 0, free: 1500, reset: "power-on" });
  });

  it("go every everyMs while connected, each with a fresh sample", () => {
    const { r } = setup(60000);
    const { c } = connected(r);
    r.clock.advance(59999);
    expect(published(c)).toHaveLength(0);
    r.clock.advance(1);
    const [first] = published(c);
    expect(body(first)).toMatchObject({ uptime: 60, free: 1499 });
    const uptimes: number[] = [];
    for (let i = 0; i < 3; i++) {
      r.clock.advance(60000);
      uptimes.push(...published(c).map((p) => body(p).uptime));
    }
    expect(uptimes).toEqual([120, 180, 240]);
  });

  it("queue no second periodic one while one waits for its PUBACK (a broker that stopped acknowledging cannot fill the queue)", () => {
    const { r, diagnostics } = setup(60000);
    const { c } = connected(r);
    r.clock.advance(60000 * 5); // no PUBACKs meanwhile
    const waiting = c.take().filter((p) => p.cmd === "publish" && p.topic === TOPIC && !p.dup);
    expect(waiting).toHaveLength(1);
    expect(r.session.queued()).toBe(1);
    // A set message's answer waits for that PUBACK too (a flood of them cannot fill the queue)...
    diagnostics.send("applied: PUBLISH_INTERVAL_MS=5000");
    diagnostics.send("refused: PUBLISH_INTERVAL_MS: from 100 to 86400000 (got 5)");
    expect(r.session.queued()).toBe(1);
    // ...and goes, once, the last answer in it, as soon as it comes.
    for (const p of waiting) puback(c, p.messageId);
    const answered = published(c);
    expect(answered.map((p) => body(p).set)).toEqual(["refused: PUBLISH_INTERVAL_MS: from 100 to 86400000 (got 5)"]);
    // Acknowledged: the next period sends again.
    r.clock.advance(60000);
    expect(published(c)).toHaveLength(1);
  });

  it("are neither sent nor queued while disconnected, and go again at the next CONNACK (one, not a backlog)", () => {
    const { r, diagnostics, samples } = setup(10000);
    const { c } = connected(r);
    c.events.closed("cut");
    const before = samples();
    r.clock.advance(10000 * 5);
    diagnostics.send(); // asked for while disconnected: nothing
    expect(samples()).toBe(before); // not even sampled
    expect(r.session.queued()).toBe(0);
    for (const old of r.transport.connections)
      expect(old.take().filter((p) => p.cmd === "publish" && p.topic === TOPIC)).toEqual([]);
    const { sent } = connected(r);
    expect(sent).toHaveLength(1);
    expect(body(sent[0]).uptime).toBe(Math.round(r.clock.now() / 1000));
  });

  it("at every CONNACK, reconnects included", () => {
    const { r } = setup(0);
    for (let i = 0; i < 3; i++) {
      const { c, sent } = connected(r);
      expect(sent).toHaveLength(1);
      c.events.closed("cut");
      r.clock.advance(70000);
    }
  });

  it("every(0) stops the period: then only at CONNACKs", () => {
    const { r, diagnostics } = setup(10000);
    const { c } = connected(r);
    r.clock.advance(10000);
    expect(published(c)).toHaveLength(1);
    diagnostics.every(0);
    r.clock.advance(10 * 60000);
    expect(published(c)).toHaveLength(0);
    expect(r.clock.pending()).toBe(1); // the session's tick only
    c.events.closed("cut");
    r.clock.advance(5000);
    expect(connected(r).sent).toHaveLength(1);
  });

  it("every(ms) starts a new period from now, replacing the old one", () => {
    const { r, diagnostics } = setup(60000);
    const { c } = connected(r);
    r.clock.advance(30000);
    diagnostics.every(20000);
    r.clock.advance(19999);
    expect(published(c)).toHaveLength(0);
    r.clock.advance(1);
    expect(published(c)).toHaveLength(1);
    r.clock.advance(20000);
    expect(published(c)).toHaveLength(1);
    r.clock.advance(20000);
    expect(published(c)).toHaveLength(1); // every 20 s, the old 60 s period gone (acknowledged in between)
  });

  it("starts a period given 0 at creation when every() is called", () => {
    const { r, diagnostics } = setup(0);
    const { c } = connected(r);
    r.clock.advance(120000);
    expect(published(c)).toHaveLength(0);
    diagnostics.every(30000);
    r.clock.advance(30000);
    expect(published(c)).toHaveLength(1);
    r.clock.advance(30000);
    expect(published(c)).toHaveLength(1);
  });

  it("send(result) sends one now with `set`, and it stays in later messages until the next answer", () => {
    const { r, diagnostics } = setup(10000);
    const { c } = connected(r);
    diagnostics.send("applied: PUBLISH_INTERVAL_MS=5000");
    const [now] = published(c);
    expect(now).toMatchObject({ topic: TOPIC, qos: 1, retain: true });
    expect(body(now)).toMatchObject({ fw: "1.2.3", set: "applied: PUBLISH_INTERVAL_MS=5000" });
    r.clock.advance(10000);
    expect(body(published(c)[0]).set).toBe("applied: PUBLISH_INTERVAL_MS=5000");
    diagnostics.send("refused: not JSON");
    expect(body(published(c)[0]).set).toBe("refused: not JSON");
    diagnostics.send(); // no answer: the last one stays
    expect(body(published(c)[0]).set).toBe("refused: not JSON");
    c.events.closed("cut");
    r.clock.advance(2000);
    expect(body(connected(r).sent[0]).set).toBe("refused: not JSON");
  });

  it("an answer given while disconnected is not sent then, but is in the message at the next CONNACK", () => {
    const { r, diagnostics } = setup(0);
    diagnostics.send("applied: restart");
    expect(r.session.queued()).toBe(0);
    const [sent] = connected(r).sent;
    expect(body(sent).set).toBe("applied: restart");
  });

  it("a publish that throws is logged, not thrown", () => {
    const { r, diagnostics } = setup(0, "sensors/+/diagnostics");
    connect(r);
    expect(r.logs).toContain("[diagnostics] not sent: publish: wildcard in topic name");
    expect(() => diagnostics.send("x")).not.toThrow();
  });
});
