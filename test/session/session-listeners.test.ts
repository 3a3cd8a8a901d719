/**
 * The session's listeners and large payloads (src/session/session.ts): several listeners, each told every
 * event in the order they were added; a string payload over 256 bytes written apart from its
 * header, the bytes on the wire unchanged.
 */
import mqttPacket from "mqtt-packet";
import { describe, expect, it } from "vitest";
import type { Payload } from "../../src/mqtt/packets";
import { byEvent, connect, puback, rig, type FakeConnection } from "./harness";

describe("several listeners", () => {
  it("are all told every event, in the order listen() added them", () => {
    const r = rig({ queueSize: 2, keepalive: 0 });
    const heard: string[] = [];
    for (const name of ["a", "b", "c"]) {
      r.session.listen(
        byEvent({
          connected: (present) => heard.push(`${name}:connected:${present}`),
          sent: (ref) => heard.push(`${name}:sent:${ref}`),
          delivered: (ref) => heard.push(`${name}:delivered:${ref}`),
          dropped: (ref) => heard.push(`${name}:dropped:${ref}`),
        }),
      );
    }
    const c = connect(r, true);
    expect(heard).toEqual([
      "a:connected:true",
      "b:connected:true",
      "c:connected:true",
      "a:sent:undefined",
      "b:sent:undefined",
      "c:sent:undefined",
    ]);
    heard.length = 0;
    puback(c, c.take()[0].messageId);
    expect(heard).toEqual(["a:delivered:undefined", "b:delivered:undefined", "c:delivered:undefined"]);
    heard.length = 0;
    r.session.publish("t", "1", 1, false, 1);
    r.session.publish("t", "2", 1, false, 2);
    r.session.publish("t", "3", 1, false, 3); // the queue holds 2: the oldest waiting goes
    expect(heard).toEqual(["a:sent:1", "b:sent:1", "c:sent:1", "a:dropped:2", "b:dropped:2", "c:dropped:2"]);
    heard.length = 0;
    puback(c, c.take()[0].messageId);
    expect(heard).toEqual(["a:delivered:1", "b:delivered:1", "c:delivered:1", "a:sent:3", "b:sent:3", "c:sent:3"]);
  });

  it("a listener without a handler for an event is skipped, the others still told", () => {
    const r = rig({ keepalive: 0 });
    const heard: string[] = [];
    r.session.listen(byEvent({ delivered: (ref) => heard.push("first:" + ref) }));
    r.session.listen(byEvent({}));
    r.session.listen(
      byEvent({
        connected: () => heard.push("third:connected"),
        delivered: (ref) => heard.push("third:" + ref),
      }),
    );
    const c = connect(r);
    const [online] = c.take();
    puback(c, online.messageId);
    expect(heard).toEqual(["third:connected", "first:undefined", "third:undefined"]);
  });

  it("eager sessions tell every listener `connecting`, in order", () => {
    const r = rig({ eager: true, keepalive: 0 });
    const heard: string[] = [];
    r.session.listen(byEvent({ connecting: () => heard.push("a") }));
    r.session.listen(byEvent({ connecting: () => heard.push("b") }));
    r.session.start();
    r.transport.last.events.open();
    expect(heard).toEqual(["a", "b"]);
  });

  it("what a listener queues at the CONNACK goes in listener order, behind the online status", () => {
    const r = rig({ keepalive: 0, inflightWindow: 4 });
    r.session.listen(byEvent({ connected: () => r.session.publish("first", "1", 1, true) }));
    r.session.listen(byEvent({ connected: () => r.session.publish("second", "2", 1, false) }));
    const c = connect(r);
    expect(c.take().map((p) => p.topic)).toEqual(["sensors/dev-1/status", "first", "second"]);
  });
});

describe("long string payloads", () => {
  /** Records the bytes of every write on `c` from now on. */
  function record(c: FakeConnection): Buffer[] {
    const raw: Buffer[] = [];
    const write = c.write.bind(c);
    c.write = (bytes: Payload) => {
      raw.push(typeof bytes === "string" ? Buffer.from(bytes, "latin1") : Buffer.from(bytes));
      write(bytes);
    };
    return raw;
  }

  /** A quiet connection: connected, the online status acknowledged. */
  function ready() {
    const r = rig({ keepalive: 0 });
    const c = connect(r);
    puback(c, c.take()[0].messageId);
    return { r, c, raw: record(c) };
  }

  const generated = (topic: string, payload: string, messageId: number, retain: boolean, dup = false) =>
    Buffer.from(
      mqttPacket.generate({
        cmd: "publish",
        topic,
        payload: Buffer.from(payload, "latin1"),
        qos: 1,
        messageId,
        retain,
        dup,
      } as mqttPacket.IPublishPacket),
    );

  it.each([
    [1, 0],
    [256, 1],
    [257, 2],
    [300, 2],
    [4000, 2],
    [20000, 2],
  ])("a %i-byte string payload goes in 1 write, or 2 (header, payload) over 256 bytes", (length, _splits) => {
    const { r, c, raw } = ready();
    const payload = Array.from({ length }, (_, i) => String.fromCharCode(i % 256)).join("");
    const writes = c.writes;
    r.session.publish("homeassistant/device/dev-1/config", payload, 1, true);
    expect(c.writes - writes).toBe(length > 256 ? 2 : 1);
    expect(raw).toHaveLength(length > 256 ? 2 : 1);
    if (length > 256) expect(raw[1].toString("latin1")).toBe(payload); // the payload as it is
    const [p] = c.take();
    expect(p).toMatchObject({
      cmd: "publish",
      topic: "homeassistant/device/dev-1/config",
      qos: 1,
      retain: true,
      dup: false,
    });
    expect(p.payload.toString("latin1")).toBe(payload);
    expect(Buffer.concat(raw)).toEqual(
      generated("homeassistant/device/dev-1/config", payload, p.messageId as number, true),
    );
  });

  it("a DUP resend of a long payload is split too, and the same bytes with DUP set", () => {
    const r = rig({ keepalive: 0, retryMs: 5000 });
    const c = connect(r);
    puback(c, c.take()[0].messageId);
    const raw = record(c);
    const payload = "x".repeat(600);
    r.session.publish("t/long", payload, 1, false);
    const [first] = c.take();
    raw.length = 0;
    const writes = c.writes;
    r.clock.advance(5000);
    expect(c.writes - writes).toBe(2);
    const [again] = c.take();
    expect(again).toMatchObject({ dup: true, messageId: first.messageId });
    expect(Buffer.concat(raw)).toEqual(generated("t/long", payload, first.messageId as number, false, true));
  });

  it("a byte-array payload of any length goes after its header, in a second write, as it is", () => {
    for (const size of [1, 1000]) {
      const { r, c } = ready();
      const writes = c.writes;
      r.session.publish("t/bytes", new Uint8Array(size).fill(7), 1, false);
      expect(c.writes - writes).toBe(2);
      expect(c.take()[0].payload).toEqual(Buffer.alloc(size, 7));
    }
  });

  it("counts the payload toward the socket pass: a long PUBLISH holds the next until a drain", () => {
    const r = rig({ keepalive: 0, inflightWindow: 3 });
    const c = connect(r);
    puback(c, c.take()[0].messageId);
    r.session.publish("t", "a".repeat(600), 1, false);
    r.session.publish("t", "b", 1, false);
    expect(c.take().map((p) => p.payload.toString()[0])).toEqual(["a"]);
    c.events.drain();
    expect(c.take().map((p) => p.payload.toString())).toEqual(["b"]);
  });
});
