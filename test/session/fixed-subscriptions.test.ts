/**
 * Subscriptions baked at build time (src/session/fixed-subscriptions.ts): the SUBSCRIBE equals
 * mqtt-packet's once its id is put in, for any id and Remaining Length width; over a real session
 * it goes after every CONNACK with a fresh id, and messages on its topics reach the one handler.
 */
import mqttPacket from "mqtt-packet";
import { describe, expect, it } from "vitest";
import { fixedSubscribePacket, subscribeFixed, type FixedSubscribe } from "../../src/session/fixed-subscriptions";
import { connectAfterBackoff as connect, puback, rig, type Rig } from "./harness";

const SET = "sensors/dev-1/set";
const BIRTH = "homeassistant/status";

/** The baked packet with `id` put where it goes, as the session sends it. */
const withId = (s: FixedSubscribe, id: number) =>
  s.packet.substr(0, s.idAt) + String.fromCharCode(id >> 8, id & 255) + s.packet.substr(s.idAt + 2);

const expected = (topics: string[], id: number) =>
  Buffer.from(
    mqttPacket.generate({
      cmd: "subscribe",
      messageId: id,
      subscriptions: topics.map((topic) => ({ topic: Buffer.from(topic, "latin1").toString("utf8"), qos: 1 as const })),
    } as mqttPacket.ISubscribePacket),
  ).toString("latin1");

describe("fixedSubscribePacket", () => {
  const lists: [string, string[], number][] = [
    ["one topic (Remaining Length 1 byte)", [SET], 2],
    ["two topics", [SET, BIRTH], 2],
    ["a long list (Remaining Length 2 bytes)", Array.from({ length: 12 }, (_, i) => `sensors/device-${i}/set`), 3],
    [
      "a very long list (Remaining Length 3 bytes)",
      Array.from({ length: 200 }, (_, i) => `sensors/${"d".repeat(80)}-${i}/set`),
      4,
    ],
    ["non-ASCII UTF-8 bytes", ["sensors/caf\xc3\xa9/set"], 2],
  ];

  it.each(lists)("%s: equals mqtt-packet's SUBSCRIBE for ids 1, 255, 256, 65535", (_what, topics, idAt) => {
    const s = fixedSubscribePacket(topics);
    expect(s.topics).toEqual(topics);
    expect(s.idAt).toBe(idAt);
    expect(s.packet.charCodeAt(0)).toBe(0x82);
    expect(s.packet.substr(s.idAt, 2)).toBe("\0\0"); // baked with id 0
    for (const id of [1, 255, 256, 65535]) expect(withId(s, id), `id ${id}`).toBe(expected(topics, id));
  });

  it("the long list really needs the wider Remaining Length", () => {
    const [, long] = lists[2];
    const length = long.reduce((n, t) => n + 2 + t.length + 1, 2);
    expect(length).toBeGreaterThan(127);
    expect(length).toBeLessThan(16384);
  });
});

/** Takes ids until `id` comes out (at most one round). */
function walkTo(r: Rig, id: number): void {
  for (let i = 0; i < 65536; i++) if (r.session.nextId() === id) return;
  throw new Error("id " + id + " never came");
}

function setup(topics = [SET, BIRTH]) {
  const r = rig({ keepalive: 0, queueSize: 8 });
  const got: [string, string, boolean][] = [];
  subscribeFixed(
    r.session,
    fixedSubscribePacket(topics),
    (topic, payload, retained) => got.push([topic, payload, retained]),
    (l) => r.logs.push(l),
  );
  return { r, got };
}

describe("subscribeFixed over a session", () => {
  it("writes one SUBSCRIBE after each CONNACK, before the online status, each with a fresh id", () => {
    const { r } = setup();
    const ids: number[] = [];
    for (let i = 0; i < 3; i++) {
      const c = connect(r);
      const sent = c.take();
      const subscribes = sent.filter((p) => p.cmd === "subscribe");
      expect(subscribes).toHaveLength(1);
      expect(sent[0].cmd).toBe("subscribe");
      expect(subscribes[0].subscriptions).toEqual([
        { topic: SET, qos: 1 },
        { topic: BIRTH, qos: 1 },
      ]);
      const online = sent.find((p) => p.cmd === "publish")!;
      expect(online.messageId).not.toBe(subscribes[0].messageId);
      ids.push(subscribes[0].messageId as number);
      c.events.closed("cut");
    }
    expect(new Set(ids).size).toBe(3);
  });

  it("never takes the id of a PUBLISH still in flight, and the session never gives out the SUBSCRIBE's before its SUBACK", () => {
    const { r } = setup();
    let c = connect(r);
    let [subscribe, online] = c.take();
    c.receive({ cmd: "suback", messageId: subscribe.messageId, granted: [1, 1] });
    puback(c, online.messageId);
    r.session.publish("sensors/dev-1/temperature", "20", 1, false);
    const [reading] = c.take();
    const held = reading.messageId as number;
    c.events.closed("cut"); // the reading stays in flight, keeping its id for the DUP
    // Walk the ids round so that the next one free would be the reading's.
    walkTo(r, held - 1);
    c = connect(r);
    [subscribe, online] = c.take();
    expect(subscribe.cmd).toBe("subscribe");
    expect(subscribe.messageId).toBe(held + 1);
    expect(online.messageId).toBe(held + 2);
    puback(c, online.messageId);
    const [resent] = c.take(); // behind the status (window 1)
    expect(resent).toMatchObject({ cmd: "publish", dup: true, messageId: held });
    puback(c, held);
    // Before its SUBACK the SUBSCRIBE's id is held: a wrap past it skips it.
    walkTo(r, held);
    expect(r.session.nextId()).toBe(held + 2);
    // Once acknowledged it is free again.
    c.receive({ cmd: "suback", messageId: subscribe.messageId, granted: [1, 1] });
    walkTo(r, held);
    expect(r.session.nextId()).toBe(held + 1);
  });

  it("hands a PUBLISH on a subscribed topic to the handler as a binary string with its retain flag; the session PUBACKs QoS 1", () => {
    const { r, got } = setup();
    const c = connect(r);
    c.take();
    c.receive({
      cmd: "publish",
      topic: SET,
      payload: Buffer.from('{"PUBLISH_INTERVAL_MS":5000,"x":"café"}', "utf8"),
      qos: 1,
      messageId: 77,
      retain: true,
    });
    c.receive({ cmd: "publish", topic: BIRTH, payload: Buffer.from("online"), qos: 0, retain: false });
    c.receive({
      cmd: "publish",
      topic: SET,
      payload: Buffer.from([0, 0xff, 0x80, 0x41]),
      qos: 1,
      messageId: 78,
      retain: false,
    });
    expect(got).toEqual([
      [SET, '{"PUBLISH_INTERVAL_MS":5000,"x":"caf\xc3\xa9"}', true],
      [BIRTH, "online", false],
      [SET, "\x00\xff\x80A", false],
    ]);
    expect(c.take().map((p) => [p.cmd, p.messageId])).toEqual([
      ["puback", 77],
      ["puback", 78],
    ]);
  });

  it("logs a PUBLISH on any other topic, hands it to no one, and still PUBACKs it", () => {
    const { r, got } = setup();
    const c = connect(r);
    c.take();
    c.receive({
      cmd: "publish",
      topic: "sensors/dev-1/other",
      payload: Buffer.from("x"),
      qos: 1,
      messageId: 9,
      retain: false,
    });
    c.receive({ cmd: "publish", topic: "sensors/dev-1/set/more", payload: Buffer.from("x"), qos: 0, retain: false });
    expect(got).toEqual([]);
    expect(r.logs).toContain("[mqtt] message on sensors/dev-1/other matches no subscription");
    expect(r.logs).toContain("[mqtt] message on sensors/dev-1/set/more matches no subscription");
    expect(c.take().map((p) => [p.cmd, p.messageId])).toEqual([["puback", 9]]);
  });

  it("a SUBACK refusing a topic (0x80) is logged by the topic's name", () => {
    const { r } = setup();
    const c = connect(r);
    const [subscribe] = c.take();
    c.receive({ cmd: "suback", messageId: subscribe.messageId, granted: [1, 0x80] });
    expect(r.logs.filter((l) => l.includes("refused by the broker"))).toEqual([
      "[mqtt] subscription to " + BIRTH + " refused by the broker",
    ]);
  });

  it("a SUBACK granting everything logs nothing, and one for another id is ignored", () => {
    const { r } = setup();
    const c = connect(r);
    const [subscribe] = c.take();
    c.receive({ cmd: "suback", messageId: ((subscribe.messageId as number) % 65535) + 1, granted: [0x80, 0x80] });
    c.receive({ cmd: "suback", messageId: subscribe.messageId, granted: [0, 1] });
    expect(r.logs.filter((l) => l.includes("refused"))).toEqual([]);
  });
});
