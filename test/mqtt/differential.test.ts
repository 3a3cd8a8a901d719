/**
 * Differential property tests against mqtt-packet (fast-check, fixed seeds).
 *
 * Random valid packets are described as plain data (`Spec`), then turned into our encoder's
 * arguments, our decoder's expected output and mqtt-packet's packet objects:
 * - client to server (and PUBLISH, acks): our bytes equal mqtt-packet's, and it parses ours back;
 * - server to client: we decode mqtt-packet's bytes to the same fields;
 * - streams: many packets cut into random chunks (1-byte chunks too) decode the same, in order.
 */
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import mqtt from "mqtt-packet";
import {
  createPacketStream,
  pushBytes,
  streamIdle,
  PacketType,
  decodePacket,
  encodeAck,
  encodeConnect,
  encodeEmpty,
  encodePublish,
  encodeSubscribe,
  encodeUnsubscribe,
  utf8Encode,
  type IncomingPacket,
  type MalformedPacket,
  type QoS,
} from "../../src/mqtt/index.ts";
import { theirParse, theirParseOne } from "./their-parse";

const SEED = 0x4d515454; // "MQTT"

// ---------------------------------------------------------------------------------------------
// Arbitraries

const isSurrogate = (c: number): boolean => c >= 0xd800 && c <= 0xdfff;

/** Any Unicode scalar value but U+0000, weighted towards each UTF-8 length (1 to 4 bytes). */
const anyChar = fc
  .oneof(
    { weight: 4, arbitrary: fc.integer({ min: 0x20, max: 0x7e }) },
    { weight: 1, arbitrary: fc.integer({ min: 0x01, max: 0x7f }) },
    { weight: 2, arbitrary: fc.integer({ min: 0x80, max: 0x7ff }) },
    { weight: 2, arbitrary: fc.integer({ min: 0x800, max: 0xffff }).filter((c) => !isSurrogate(c)) },
    { weight: 2, arbitrary: fc.integer({ min: 0x10000, max: 0x10ffff }) },
  )
  .map((c) => String.fromCodePoint(c));

/** A character allowed inside a topic level: no '/', '#' or '+'. */
const levelChar = anyChar.filter((c) => c !== "/" && c !== "#" && c !== "+");

const text = (maxLength: number): fc.Arbitrary<string> => fc.array(anyChar, { maxLength }).map((cs) => cs.join(""));
const level = fc.array(levelChar, { maxLength: 6 }).map((cs) => cs.join(""));

/** A topic name: levels of random Unicode (possibly empty levels), never empty as a whole. */
const topicName = fc
  .array(level, { minLength: 1, maxLength: 5 })
  .map((levels) => levels.join("/"))
  .filter((t) => t.length > 0);

/** A topic filter: levels, '+' levels, and perhaps '#' as the last level. */
const topicFilter = fc
  .tuple(
    fc.array(fc.oneof({ weight: 3, arbitrary: level }, { weight: 1, arbitrary: fc.constant("+") }), { maxLength: 5 }),
    fc.boolean(),
  )
  .map(([levels, hash]) => (hash ? [...levels, "#"] : levels).join("/"))
  .filter((f) => f.length > 0);

const payload = fc.oneof(
  { weight: 4, arbitrary: fc.uint8Array({ maxLength: 64 }) },
  // size "max": fast-check otherwise keeps lengths near the small end of the range.
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 4096, size: "max" }) },
);
const qos = fc.constantFrom<QoS>(0, 1, 2);
const id = fc.integer({ min: 1, max: 65535 });

type AckCmd = "puback" | "pubrec" | "pubrel" | "pubcomp";

/** A packet as plain data, in mqtt-packet's vocabulary but with our id and field names. */
type Spec =
  | {
      cmd: "connect";
      clientId: string;
      clean: boolean;
      keepalive: number;
      will?: { topic: string; payload: Uint8Array; qos: QoS; retain: boolean };
      username?: string;
      password?: Uint8Array;
    }
  | { cmd: "publish"; topic: string; payload: Uint8Array; qos: QoS; dup: boolean; retain: boolean; id: number }
  | { cmd: AckCmd; id: number }
  | { cmd: "subscribe"; id: number; subscriptions: Array<{ filter: string; qos: QoS }> }
  | { cmd: "unsubscribe"; id: number; filters: string[] }
  | { cmd: "pingreq" | "disconnect" | "pingresp" }
  | { cmd: "connack"; sessionPresent: boolean; returnCode: number }
  | { cmd: "suback"; id: number; granted: number[] }
  | { cmd: "unsuback"; id: number };

const connectSpec: fc.Arbitrary<Spec> = fc
  .record(
    {
      clientId: text(23),
      clean: fc.boolean(),
      keepalive: fc.integer({ min: 0, max: 65535 }),
      will: fc.record({ topic: topicName, payload, qos, retain: fc.boolean() }),
      username: text(12),
      password: fc.uint8Array({ maxLength: 32 }),
    },
    { requiredKeys: ["clientId", "clean", "keepalive"] },
  )
  // MQTT-3.1.3-7: an empty client id needs a clean session; MQTT-3.1.2-22: no password without a user name.
  .map((c) => ({
    cmd: "connect" as const,
    ...c,
    clean: c.clean || c.clientId === "",
    password: c.username === undefined ? undefined : c.password,
  }))
  .map(({ password, ...c }) => (password === undefined ? c : { ...c, password }));

const publishSpec: fc.Arbitrary<Spec> = fc.record({
  cmd: fc.constant("publish" as const),
  topic: topicName,
  payload,
  qos,
  dup: fc.boolean(),
  retain: fc.boolean(),
  id,
});

const ackSpec: fc.Arbitrary<Spec> = fc.record({
  cmd: fc.constantFrom<AckCmd>("puback", "pubrec", "pubrel", "pubcomp"),
  id,
});

const clientOnlySpec: fc.Arbitrary<Spec> = fc.oneof(
  connectSpec,
  fc.record({
    cmd: fc.constant("subscribe" as const),
    id,
    subscriptions: fc.array(fc.record({ filter: topicFilter, qos }), { minLength: 1, maxLength: 5 }),
  }),
  fc.record({
    cmd: fc.constant("unsubscribe" as const),
    id,
    filters: fc.array(topicFilter, { minLength: 1, maxLength: 5 }),
  }),
  fc.record({ cmd: fc.constantFrom("pingreq" as const, "disconnect" as const) }),
);

const serverOnlySpec: fc.Arbitrary<Spec> = fc.oneof(
  fc
    .record({ sessionPresent: fc.boolean(), returnCode: fc.integer({ min: 0, max: 5 }) })
    // MQTT-3.2.2-4: session present only with return code 0.
    .map((c) => ({
      cmd: "connack" as const,
      returnCode: c.returnCode,
      sessionPresent: c.sessionPresent && c.returnCode === 0,
    })),
  fc.record({
    cmd: fc.constant("suback" as const),
    id,
    granted: fc.array(fc.constantFrom(0, 1, 2, 0x80), { minLength: 1, maxLength: 10 }),
  }),
  fc.record({ cmd: fc.constant("unsuback" as const), id }),
  fc.record({ cmd: fc.constant("pingresp" as const) }),
);

/** A PUBLISH a client may send: DUP only at QoS 1 and 2 (MQTT-3.3.1-2; the encoder refuses the rest). */
const clientPublishSpec = publishSpec.map((s) => (s.cmd === "publish" && s.qos === 0 ? { ...s, dup: false } : s));
/** Packets a client sends: our encoder's domain. */
const clientSpec = fc.oneof(
  { weight: 3, arbitrary: clientOnlySpec },
  { weight: 3, arbitrary: clientPublishSpec },
  { weight: 1, arbitrary: ackSpec },
);
/** Packets a server sends: our decoder's domain. */
const serverSpec = fc.oneof(
  { weight: 2, arbitrary: serverOnlySpec },
  { weight: 3, arbitrary: publishSpec },
  { weight: 1, arbitrary: ackSpec },
);

// ---------------------------------------------------------------------------------------------
// Spec -> our encoder, our decoder's output, mqtt-packet

const ACK_TYPES = {
  puback: PacketType.PUBACK,
  pubrec: PacketType.PUBREC,
  pubrel: PacketType.PUBREL,
  pubcomp: PacketType.PUBCOMP,
} as const;

function ourEncode(s: Spec): Uint8Array {
  switch (s.cmd) {
    case "connect":
      return encodeConnect({
        clientId: utf8Encode(s.clientId),
        cleanSession: s.clean,
        keepalive: s.keepalive,
        will: s.will && { ...s.will, topic: utf8Encode(s.will.topic) },
        username: s.username === undefined ? undefined : utf8Encode(s.username),
        password: s.password,
      });
    case "publish":
      return encodePublish({ ...s, topic: utf8Encode(s.topic) });
    case "puback":
    case "pubrec":
    case "pubrel":
    case "pubcomp":
      return encodeAck(ACK_TYPES[s.cmd], s.id);
    case "subscribe":
      return encodeSubscribe(
        s.id,
        s.subscriptions.map((x) => ({ filter: utf8Encode(x.filter), qos: x.qos })),
      );
    case "unsubscribe":
      return encodeUnsubscribe(s.id, s.filters.map(utf8Encode));
    case "pingreq":
      return encodeEmpty(PacketType.PINGREQ);
    case "disconnect":
      return encodeEmpty(PacketType.DISCONNECT);
  }
  throw new Error("not a client packet: " + s.cmd);
}

/** What our decoder should return, with payloads as hex (quick to compare). */
function ourDecoded(s: Spec): unknown {
  switch (s.cmd) {
    case "publish":
      return {
        type: PacketType.PUBLISH,
        topic: utf8Encode(s.topic),
        payload: hex(s.payload),
        qos: s.qos,
        dup: s.dup,
        retain: s.retain,
        id: s.qos ? s.id : 0,
      };
    case "puback":
    case "pubrec":
    case "pubrel":
    case "pubcomp":
      return { type: ACK_TYPES[s.cmd], id: s.id };
    case "connack":
      return { type: PacketType.CONNACK, sessionPresent: s.sessionPresent, returnCode: s.returnCode };
    case "suback":
      return { type: PacketType.SUBACK, id: s.id, granted: s.granted };
    case "unsuback":
      return { type: PacketType.UNSUBACK, id: s.id };
    case "pingresp":
      return { type: PacketType.PINGRESP };
  }
  throw new Error("not a server packet: " + s.cmd);
}

function theirPacket(s: Spec): mqtt.Packet {
  switch (s.cmd) {
    case "connect":
      return {
        cmd: "connect",
        protocolId: "MQTT",
        protocolVersion: 4,
        clientId: s.clientId,
        clean: s.clean,
        keepalive: s.keepalive,
        ...(s.will && { will: { ...s.will, payload: Buffer.from(s.will.payload) } }),
        ...(s.username !== undefined && { username: s.username }),
        ...(s.password && { password: Buffer.from(s.password) }),
      };
    case "publish":
      return {
        cmd: "publish",
        topic: s.topic,
        payload: Buffer.from(s.payload),
        qos: s.qos,
        dup: s.dup,
        retain: s.retain,
        ...(s.qos > 0 && { messageId: s.id }),
      };
    case "puback":
    case "pubrec":
    case "pubrel":
    case "pubcomp":
      return { cmd: s.cmd, messageId: s.id };
    case "unsuback":
      return { cmd: s.cmd, messageId: s.id, granted: [] }; // granted: MQTT 5 only, but mqtt-packet's type wants it
    case "subscribe":
      return {
        cmd: "subscribe",
        messageId: s.id,
        subscriptions: s.subscriptions.map((x) => ({ topic: x.filter, qos: x.qos })),
      };
    case "unsubscribe":
      return { cmd: "unsubscribe", messageId: s.id, unsubscriptions: s.filters };
    case "pingreq":
    case "pingresp":
    case "disconnect":
      return { cmd: s.cmd };
    case "connack":
      return { cmd: "connack", sessionPresent: s.sessionPresent, returnCode: s.returnCode };
    case "suback":
      return { cmd: "suback", messageId: s.id, granted: s.granted };
  }
}

const hex = (bytes: Uint8Array): string => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString("hex");

/** The fields of an mqtt-packet packet that MQTT 3.1.1 defines, with Buffers as hex. */
function theirFields(p: mqtt.Packet): unknown {
  const m = p as mqtt.Packet & Record<string, unknown>;
  switch (p.cmd) {
    case "connect":
      return {
        cmd: p.cmd,
        protocolId: p.protocolId,
        protocolVersion: p.protocolVersion,
        clientId: p.clientId,
        clean: p.clean,
        keepalive: p.keepalive,
        will: p.will && {
          topic: p.will.topic,
          payload: hex(Buffer.from(p.will.payload)),
          qos: p.will.qos,
          retain: p.will.retain,
        },
        username: p.username,
        password: p.password && hex(p.password),
      };
    case "publish":
      return {
        cmd: p.cmd,
        topic: p.topic,
        payload: hex(Buffer.from(p.payload)),
        qos: p.qos,
        dup: p.dup,
        retain: p.retain,
        messageId: p.qos ? p.messageId : undefined,
      };
    case "subscribe":
      return {
        cmd: p.cmd,
        messageId: p.messageId,
        subscriptions: p.subscriptions.map((x) => ({ topic: x.topic, qos: x.qos })),
      };
    case "unsubscribe":
      return { cmd: p.cmd, messageId: p.messageId, unsubscriptions: p.unsubscriptions };
    case "connack":
      return { cmd: p.cmd, sessionPresent: p.sessionPresent, returnCode: p.returnCode };
    case "suback":
      return { cmd: p.cmd, messageId: p.messageId, granted: p.granted };
    default:
      return { cmd: p.cmd, messageId: m.messageId };
  }
}

/** Our decoded packet with its payload as hex, to compare with `ourDecoded`. */
function comparable(p: IncomingPacket | MalformedPacket): unknown {
  return p.type === PacketType.PUBLISH ? { ...p, payload: hex(p.payload) } : p;
}

/** Cuts `bytes` into chunks: all of length 1, or cycling through `sizes`. */
function cut(bytes: Uint8Array, sizes: number[] | "single bytes"): Uint8Array[] {
  const chunks: Uint8Array[] = [];
  for (let at = 0, k = 0; at < bytes.length; k++) {
    const size = sizes === "single bytes" ? 1 : sizes[k % sizes.length];
    chunks.push(bytes.subarray(at, at + size));
    at += size;
  }
  return chunks;
}

const concat = (parts: Uint8Array[]): Uint8Array => new Uint8Array(Buffer.concat(parts));

const chunking = fc.oneof(
  fc.constant("single bytes" as const),
  fc.array(fc.integer({ min: 1, max: 8 }), { minLength: 1, maxLength: 20 }),
  fc.array(
    fc.integer({ min: 0, max: 600 }).map((n) => n + 1),
    { minLength: 1, maxLength: 20 },
  ),
);

// ---------------------------------------------------------------------------------------------
// Properties

describe("differential against mqtt-packet", () => {
  it("client packets: our bytes are mqtt-packet's, and it parses ours back to the same fields", () => {
    fc.assert(
      fc.property(clientSpec, (s) => {
        const ours = ourEncode(s);
        const theirs = mqtt.generate(theirPacket(s));
        expect(hex(ours)).toBe(hex(theirs));
        expect(theirFields(theirParseOne(ours))).toEqual(theirFields(theirPacket(s)));
      }),
      { seed: SEED, numRuns: 3000 },
    );
  });

  it("server packets: we decode mqtt-packet's bytes to the same fields", () => {
    fc.assert(
      fc.property(serverSpec, (s) => {
        const theirs = mqtt.generate(theirPacket(s));
        expect(comparable(decodePacket(new Uint8Array(theirs)))).toEqual(ourDecoded(s));
      }),
      { seed: SEED + 1, numRuns: 3000 },
    );
  });

  it("streams of server packets in random chunks decode the same, in order", () => {
    fc.assert(
      fc.property(fc.array(serverSpec, { minLength: 1, maxLength: 40 }), chunking, (specs, sizes) => {
        const bytes = concat(specs.map((s) => mqtt.generate(theirPacket(s))));
        const stream = createPacketStream(65536);
        const got: unknown[] = [];
        for (const chunk of cut(bytes, sizes))
          expect(pushBytes(stream, chunk, (p) => got.push(comparable(p)))).toBeUndefined();
        expect(got).toEqual(specs.map(ourDecoded));
        expect(streamIdle(stream)).toBe(true);
      }),
      { seed: SEED + 2, numRuns: 300 },
    );
  });

  it("streams of our client packets in random chunks parse the same with mqtt-packet, in order", () => {
    fc.assert(
      fc.property(fc.array(clientSpec, { minLength: 1, maxLength: 40 }), chunking, (specs, sizes) => {
        const bytes = concat(specs.map(ourEncode));
        const parsed = theirParse(cut(bytes, sizes));
        expect(parsed.map(theirFields)).toEqual(specs.map((s) => theirFields(theirPacket(s))));
      }),
      { seed: SEED + 3, numRuns: 200 },
    );
  });

  it("the arbitraries reach astral characters, every QoS and large payloads", () => {
    // Guards the generators themselves: a property over too narrow inputs proves little.
    const samples = fc.sample(publishSpec, { seed: SEED, numRuns: 500 }) as Array<Extract<Spec, { cmd: "publish" }>>;
    expect(samples.some((s) => /[\u{10000}-\u{10ffff}]/u.test(s.topic))).toBe(true);
    expect(samples.some((s) => s.topic.includes("/"))).toBe(true);
    expect(new Set(samples.map((s) => s.qos)).size).toBe(3);
    expect(samples.some((s) => s.payload.length > 1024)).toBe(true);
    const filters = fc.sample(topicFilter, { seed: SEED, numRuns: 200 });
    expect(filters.some((f) => f.endsWith("#"))).toBe(true);
    expect(filters.some((f) => f.split("/").includes("+"))).toBe(true);
  });
});
