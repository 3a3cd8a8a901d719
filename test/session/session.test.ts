/** The session's MQTT duties on a fake clock: QoS 1 out, QoS 0/1/2 in, keepalive, subscriptions. */
import { describe, expect, it } from "vitest";
import { SessionState } from "../../src/session/state";
import { createSubscriptions } from "../../src/session/subscriptions";
import type { QoS } from "../../src/mqtt/packets";
import { byEvent, connect, puback, rig, type Rig } from "./harness";

/** Connects and acknowledges the `online` status, leaving a quiet connection. */
function ready(r: Rig, sessionPresent = false) {
  const c = connect(r, sessionPresent);
  const online = c.take().filter((p) => p.cmd === "publish");
  expect(online).toHaveLength(1);
  expect(online[0]).toMatchObject({ cmd: "publish", topic: "sensors/dev-1/status", qos: 1, retain: true });
  expect(online[0].payload.toString()).toBe("online");
  puback(c, online[0].messageId);
  return c;
}

describe("QoS 1 publish", () => {
  it("sends the online status first, then queued messages one at a time (window 1), each completed by its PUBACK", () => {
    const r = rig();
    const acked: number[] = [];
    r.session.listen(byEvent({ delivered: (ref) => ref !== undefined && acked.push(ref) }));
    r.session.publish("t/a", "1", 1, false, 1);
    r.session.publish("t/a", "2", 1, false, 2);
    const c = connect(r);
    const [online] = c.take();
    expect(online.payload.toString()).toBe("online");
    puback(c, online.messageId);
    const [first] = c.take();
    expect(first).toMatchObject({ cmd: "publish", topic: "t/a", qos: 1, dup: false, retain: false });
    expect(first.payload.toString()).toBe("1");
    expect(c.take()).toHaveLength(0); // window of 1: the second waits
    puback(c, first.messageId);
    expect(acked).toEqual([1]);
    const [second] = c.take();
    expect(second.payload.toString()).toBe("2");
    expect(second.messageId).not.toBe(first.messageId);
    puback(c, second.messageId);
    expect(acked).toEqual([1, 2]);
    expect(r.session.queued()).toBe(0);
  });

  it("fills a larger in-flight window with small PUBLISHes at once", () => {
    const r = rig({ inflightWindow: 3 });
    const c = ready(r);
    for (let i = 0; i < 5; i++) r.session.publish("t", String(i), 1, false);
    const sent = c.take();
    expect(sent.map((p) => p.payload.toString())).toEqual(["0", "1", "2"]);
    c.events.drain();
    expect(c.take()).toHaveLength(0); // the window is full
    puback(c, sent[0].messageId);
    expect(c.take().map((p) => p.payload.toString())).toEqual(["3"]);
  });

  it("holds further PUBLISHes for a drain once one socket pass (536 bytes) is written", () => {
    const r = rig({ inflightWindow: 3 });
    const c = ready(r);
    for (let i = 0; i < 3; i++) r.session.publish("t", String(i).repeat(300), 1, false);
    // 307 bytes each: the second takes the buffer past 536, the third waits.
    expect(c.take()).toHaveLength(2);
    c.events.drain();
    expect(c.take().map((p) => p.payload.toString()[0])).toEqual(["2"]);
  });

  it("resends an unacknowledged PUBLISH with DUP and the same id after the retry timeout", () => {
    const r = rig({ retryMs: 5000 });
    const c = ready(r);
    r.session.publish("t", "x", 1, false);
    const [sent] = c.take();
    r.clock.advance(4000);
    expect(c.take().filter((p) => p.cmd === "publish")).toHaveLength(0);
    r.clock.advance(1000);
    const [again] = c.take().filter((p) => p.cmd === "publish");
    expect(again).toMatchObject({ dup: true, messageId: sent.messageId });
    expect(r.logs).toContain(`[mqtt] no PUBACK #${sent.messageId} after 5000 ms`);
  });

  it("resends what was unacknowledged after a reconnect, with DUP and the same id, behind the online status", () => {
    const r = rig();
    let c = ready(r);
    r.session.publish("t", "kept", 1, false);
    const [sent] = c.take();
    c.events.closed("reset");
    r.clock.advance(1000);
    c = connect(r, true);
    const [online, resent] = [c.take()[0], undefined];
    expect(online.payload.toString()).toBe("online");
    puback(c, online.messageId);
    const [again] = c.take();
    expect(again).toMatchObject({ cmd: "publish", dup: true, messageId: sent.messageId });
    expect(again.payload.toString()).toBe("kept");
    expect(resent).toBeUndefined();
  });

  it("keeps messages published while offline and sends them in order after connecting", () => {
    const r = rig({ queueSize: 10 });
    for (let i = 1; i <= 4; i++) r.session.publish("t", String(i), 1, false);
    const c = ready(r);
    const order: string[] = [];
    for (let i = 0; i < 4; i++) {
      const [p] = c.take();
      order.push(p.payload.toString());
      puback(c, p.messageId);
    }
    expect(order).toEqual(["1", "2", "3", "4"]);
  });

  it("drops the oldest message when the queue is full, and says which", () => {
    const r = rig({ queueSize: 3 });
    const dropped: (string | undefined)[] = [];
    const refs: (number | undefined)[] = [];
    r.session.listen(byEvent({ dropped: (ref) => refs.push(ref) }));
    for (let i = 1; i <= 5; i++)
      dropped.push(r.session.publish("t", String(i), 1, false, i)?.payload as string | undefined);
    expect(dropped).toEqual([undefined, undefined, undefined, "1", "2"]);
    expect(refs).toEqual([1, 2]);
    expect(r.session.queued()).toBe(3);
  });

  it("never drops the message in flight to make room: the window stays at one PUBLISH before its PUBACK", () => {
    const r = rig({ queueSize: 3 });
    const c = ready(r);
    r.session.publish("t", "1", 1, false);
    const [first] = c.take();
    const dropped: (string | undefined)[] = [];
    for (let i = 2; i <= 5; i++)
      dropped.push(r.session.publish("t", String(i), 1, false)?.payload as string | undefined);
    expect(dropped).toEqual([undefined, undefined, "2", "3"]); // the waiting ones go, oldest first
    expect(c.take()).toHaveLength(0); // nothing more on the wire before the PUBACK
    puback(c, first.messageId);
    expect(r.logs).not.toContain(`[mqtt] PUBACK #${first.messageId} for no message in flight (ignored)`);
    expect(c.take().map((p) => p.payload.toString())).toEqual(["4"]);
  });

  it("wraps packet ids at 65535 and never reuses one still in flight", () => {
    const r = rig({ queueSize: 10, inflightWindow: 2 });
    const c = ready(r);
    r.session.publish("t", "held", 1, false); // stays unacknowledged
    const [held] = c.take();
    const seen: number[] = [];
    for (let i = 0; i < 70000; i++) {
      r.session.publish("t", "x", 1, false);
      c.events.drain();
      const [p] = c.take();
      seen.push(p.messageId!);
      puback(c, p.messageId);
    }
    expect(Math.max(...seen)).toBe(65535);
    expect(Math.min(...seen)).toBe(1);
    expect(seen).not.toContain(held.messageId);
  });

  it("ignores a PUBACK for an id not in flight", () => {
    const r = rig();
    const c = ready(r);
    puback(c, 4242);
    expect(r.logs).toContain("[mqtt] PUBACK #4242 for no message in flight (ignored)");
    expect(r.session.state()).toBe(SessionState.CONNECTED);
  });

  it("refuses topics that can never be published", () => {
    const r = rig();
    expect(() => r.session.publish("a/+/b", "x", 1, false)).toThrow(/wildcard/);
    expect(() => r.session.publish("", "x", 1, false)).toThrow(/empty/);
  });
});

describe("eager (battery mode): PUBLISHes right after CONNECT", () => {
  it("sends CONNECT, online and the queued message before the CONNACK, and nothing twice after it", () => {
    const r = rig({ eager: true, inflightWindow: 2 });
    r.session.publish("t/r", "1", 1, false);
    r.session.start();
    const c = r.transport.last;
    c.events.open();
    const early = c.take();
    expect(early.map((p) => p.cmd)).toEqual(["connect", "publish", "publish"]);
    expect(String(early[1].payload)).toBe("online");
    const reading = early[2];
    expect(String(reading.payload)).toBe("1");
    c.receive({ cmd: "connack", returnCode: 0, sessionPresent: false });
    expect(c.take()).toEqual([]);
    puback(c, early[1].messageId);
    puback(c, reading.messageId);
    expect(r.session.queued()).toBe(0);
  });

  it("sends them again on the next connection when the CONNACK refuses", () => {
    const r = rig({ eager: true, inflightWindow: 2 });
    r.session.publish("t/r", "1", 1, false);
    r.session.start();
    const c = r.transport.last;
    c.events.open();
    expect(c.take()).toHaveLength(3);
    c.receive({ cmd: "connack", returnCode: 3, sessionPresent: false });
    expect(r.session.state()).toBe(SessionState.BACKOFF);
    r.clock.advance(70000);
    const again = r.transport.last;
    expect(again).not.toBe(c);
    again.events.open();
    const sent = again.take();
    expect(sent.map((p) => p.cmd)).toEqual(["connect", "publish", "publish"]);
    expect(sent.map((p) => String(p.payload ?? ""))).toEqual(["", "online", "1"]);
    expect(sent[2].dup).toBe(true); // it was on the wire before
  });
});

describe("keepalive", () => {
  it("sends PINGREQ after a keepalive period with nothing sent", () => {
    const r = rig({ keepalive: 10 });
    const c = ready(r);
    r.clock.advance(9000);
    expect(c.take()).toHaveLength(0);
    r.clock.advance(1000);
    expect(c.take().map((p) => p.cmd)).toEqual(["pingreq"]);
  });

  it("declares a silent link dead after 1.5 x keepalive, even with TCP open", () => {
    const r = rig({ keepalive: 10 });
    const c = ready(r);
    r.clock.advance(15000);
    expect(r.session.state()).toBe(SessionState.CONNECTED);
    r.clock.advance(1000);
    expect(r.session.state()).toBe(SessionState.BACKOFF);
    expect(r.logs.some((l) => l.includes("CONNECTED -> BACKOFF (no packet from the broker for 16 s)"))).toBe(true);
    expect(c.closed).toBe(true);
  });

  it("stays up while the broker answers pings", () => {
    const r = rig({ keepalive: 10 });
    const c = ready(r);
    for (let i = 0; i < 10; i++) {
      r.clock.advance(10000);
      c.receive({ cmd: "pingresp" });
    }
    expect(r.session.state()).toBe(SessionState.CONNECTED);
  });

  it("a half-read packet does not count as traffic: the deadline still ends the connection", () => {
    const r = rig({ keepalive: 10 });
    const c = ready(r);
    r.clock.advance(8000);
    c.events.data(new Uint8Array([0x30, 0x7f, 0x00])); // a PUBLISH that never completes
    r.clock.advance(8000);
    expect(r.session.state()).toBe(SessionState.BACKOFF);
  });
});

describe("receiving", () => {
  const withSubscriptions = (r: Rig) => createSubscriptions(r.session, (l) => r.logs.push(l));

  it("subscribes with several filters after every CONNACK and routes messages by filter", () => {
    const r = rig();
    const got: string[] = [];
    const subs = withSubscriptions(r);
    subs.subscribe("cmd/+/set", 1, (m) => got.push("set:" + m.topic));
    subs.subscribe("cmd/#", 0, (m) => got.push("all:" + m.topic));
    let c = connect(r);
    const [subscribe] = c.take().filter((p) => p.cmd === "subscribe");
    expect(subscribe.subscriptions).toEqual([
      { topic: "cmd/+/set", qos: 1 },
      { topic: "cmd/#", qos: 0 },
    ]);
    c.receive({ cmd: "suback", messageId: subscribe.messageId, granted: [1, 0x80] });
    expect(r.logs).toContain(`[mqtt] subscription #${subscribe.messageId} filter 2 refused by the broker (0x80)`);
    c.receive({ cmd: "publish", topic: "cmd/led/set", payload: Buffer.from("on"), qos: 0 });
    expect(got).toEqual(["set:cmd/led/set", "all:cmd/led/set"]);
    c.events.closed("gone");
    r.clock.advance(1000);
    c = connect(r);
    expect(c.take().filter((p) => p.cmd === "subscribe")).toHaveLength(1);
  });

  it("acknowledges QoS 1 with PUBACK", () => {
    const r = rig();
    withSubscriptions(r).subscribe("a", 1, () => {});
    const c = ready(r);
    c.receive({ cmd: "publish", topic: "a", payload: Buffer.from("x"), qos: 1, messageId: 77 });
    expect(c.take()).toEqual([expect.objectContaining({ cmd: "puback", messageId: 77 })]);
  });

  it("handles QoS 2 with PUBREC/PUBREL/PUBCOMP and delivers a resent message once", () => {
    const r = rig();
    const got: string[] = [];
    withSubscriptions(r).subscribe("a", 2, (m) => got.push(String.fromCharCode(...m.payload)));
    const c = ready(r);
    c.receive({ cmd: "publish", topic: "a", payload: Buffer.from("once"), qos: 2, messageId: 9 });
    c.receive({ cmd: "publish", topic: "a", payload: Buffer.from("once"), qos: 2, messageId: 9, dup: true });
    expect(c.take().map((p) => `${p.cmd}:${p.messageId}`)).toEqual(["pubrec:9", "pubrec:9"]);
    c.receive({ cmd: "pubrel", messageId: 9 });
    expect(c.take().map((p) => `${p.cmd}:${p.messageId}`)).toEqual(["pubcomp:9"]);
    expect(got).toEqual(["once"]);
  });

  it("unsubscribes: UNSUBSCRIBE sent, no more deliveries", () => {
    const r = rig();
    const got: string[] = [];
    const subs = withSubscriptions(r);
    subs.subscribe("a", 0, (m) => got.push(m.topic));
    const c = ready(r);
    subs.unsubscribe("a");
    const [unsub] = c.take();
    expect(unsub).toMatchObject({ cmd: "unsubscribe", unsubscriptions: ["a"] });
    c.receive({ cmd: "unsuback", messageId: unsub.messageId });
    c.receive({ cmd: "publish", topic: "a", payload: Buffer.from("x"), qos: 0 });
    expect(got).toEqual([]);
  });

  it("survives a throwing message handler", () => {
    const r = rig();
    withSubscriptions(r).subscribe("a", 0, () => {
      throw new Error("boom");
    });
    const c = ready(r);
    c.receive({ cmd: "publish", topic: "a", payload: Buffer.from("x"), qos: 0 });
    expect(r.logs).toContain("[mqtt] message handler failed: boom");
    expect(r.session.state()).toBe(SessionState.CONNECTED);
  });

  it("treats a packet before CONNACK as a protocol error", () => {
    const r = rig();
    r.session.start();
    r.transport.last.events.open();
    r.transport.last.receive({ cmd: "pingresp" });
    expect(r.session.state()).toBe(SessionState.BACKOFF);
  });

  it("without subscriptions, still owes the broker its acknowledgements, and logs the message as dropped", () => {
    const r = rig();
    const c = ready(r);
    c.receive({ cmd: "publish", topic: "stale/cmd", payload: Buffer.from("x"), qos: 1, messageId: 5 });
    c.receive({ cmd: "publish", topic: "stale/cmd", payload: Buffer.from("y"), qos: 2, messageId: 6 });
    c.receive({ cmd: "pubrel", messageId: 6 });
    expect(c.take().map((p) => `${p.cmd}:${p.messageId}`)).toEqual(["puback:5", "pubrec:6", "pubcomp:6"]);
    expect(r.logs).toContain("[mqtt] message on stale/cmd dropped: nothing subscribes");
    expect(r.session.state()).toBe(SessionState.CONNECTED);
  });

  it("refuses a bad filter or QoS at subscribe(), by name", () => {
    const subs = withSubscriptions(rig());
    expect(() => subs.subscribe("a/#/b", 0, () => {})).toThrow("subscribe: '#' not last");
    expect(() => subs.subscribe("\xff", 0, () => {})).toThrow("subscribe: filter is not UTF-8 bytes");
    expect(() => subs.subscribe("a", 3 as QoS, () => {})).toThrow("subscribe: QoS must be 0, 1 or 2");
  });

  it("does not reuse the packet id of a SUBSCRIBE still waiting for its SUBACK", () => {
    const r = rig({ queueSize: 100 });
    const subs = withSubscriptions(r);
    const c = ready(r);
    subs.subscribe("a", 1, () => {});
    const [sub] = c.take();
    // Publish (and acknowledge) until the ids wrap round past the SUBSCRIBE's id.
    const ids = new Set<number>();
    for (let n = 0; n < 65540; n++) {
      r.session.publish("t", "x", 1, false);
      const [p] = c.take();
      ids.add(p.messageId as number);
      puback(c, p.messageId);
    }
    expect(ids.has(sub.messageId as number)).toBe(false);
    expect(ids.size).toBe(65534);
  });
});

describe("connect options", () => {
  it("sends user name, password and clean-session setting", () => {
    const r = rig({ username: "alice", password: "s3cret", cleanSession: false, keepalive: 45 });
    r.session.start();
    r.transport.last.events.open();
    const [p] = r.transport.last.take();
    expect(p).toMatchObject({ cmd: "connect", username: "alice", clean: false, keepalive: 45 });
    expect(p.password.toString()).toBe("s3cret");
  });
});
