/**
 * Malformed input: the decoder returns a MALFORMED value (never throws), the encoder throws on
 * bad arguments; UTF-8, topic rules and binary-string helpers.
 */
import { describe, expect, it } from "vitest";
import {
  bufferedBytes,
  createPacketStream,
  pushBytes,
  type PacketStream,
  PacketType,
  binaryStringToBytes,
  bytesToBinaryString,
  decodePacket,
  encodeAck,
  encodeConnect,
  encodePublish,
  encodeSubscribe,
  encodeUnsubscribe,
  isUtf8,
  topicFilterError,
  topicMatches,
  topicNameError,
  utf8Decode,
  utf8Encode,
  type ConnectOptions,
  type IncomingPacket,
  type PublishOptions,
  type QoS,
} from "../../src/mqtt/index.ts";

/** Bytes of a packet body the stream holds right now. */
const bufferedBody = (stream: PacketStream): number => bufferedBytes(stream);

/** Decodes `bytes` as one packet; asserts it neither throws nor succeeds, and returns the error. */
function decodeError(bytes: number[]): string {
  let result: ReturnType<typeof decodePacket> | undefined;
  expect(() => (result = decodePacket(new Uint8Array(bytes)))).not.toThrow();
  expect(result).toEqual({ type: PacketType.MALFORMED, error: expect.any(String) });
  return (result as { error: string }).error;
}

describe("decoder: malformed packets are error values", () => {
  const cases: Array<[name: string, bytes: number[], error: RegExp]> = [
    // Fixed header flags (MQTT-2.2.2).
    ["CONNACK with flags 0001", [0x21, 0x02, 0x00, 0x00], /flags/],
    ["PUBACK with flags 0010", [0x42, 0x02, 0x00, 0x01], /flags/],
    ["PUBREC with flags 1000", [0x58, 0x02, 0x00, 0x01], /flags/],
    ["PUBREL with flags 0000", [0x60, 0x02, 0x00, 0x01], /bad flags for type 6/],
    ["PUBREL with flags 0011", [0x63, 0x02, 0x00, 0x01], /bad flags for type 6/],
    ["PUBCOMP with flags 0100", [0x74, 0x02, 0x00, 0x01], /flags/],
    ["SUBACK with flags 0010", [0x92, 0x03, 0x00, 0x01, 0x00], /flags/],
    ["UNSUBACK with flags 0001", [0xb1, 0x02, 0x00, 0x01], /flags/],
    ["PINGRESP with flags 1111", [0xdf, 0x00], /flags/],
    ["PUBLISH with QoS 3", [0x36, 0x05, 0x00, 0x01, 0x74, 0x00, 0x01], /QoS 3/],
    ["PUBLISH with QoS 3, DUP and RETAIN", [0x3f, 0x05, 0x00, 0x01, 0x74, 0x00, 0x01], /QoS 3/],
    // Reserved types and types only a client sends.
    ["reserved type 0", [0x00, 0x00], /type 0\b/],
    ["reserved type 15", [0xf0, 0x00], /type 15/],
    ["CONNECT from a server", [0x10, 0x00], /type 1\b/],
    ["SUBSCRIBE from a server", [0x82, 0x00], /type 8/],
    ["UNSUBSCRIBE from a server", [0xa2, 0x00], /type 10/],
    ["PINGREQ from a server", [0xc0, 0x00], /type 12/],
    ["DISCONNECT from a server", [0xe0, 0x00], /type 14/],
    // Truncation.
    ["no bytes at all", [], /truncated/],
    ["a first byte alone", [0x30], /truncated/],
    ["a Remaining Length cut after a continuation byte", [0x30, 0x80], /truncated/],
    ["a Remaining Length of 3 bytes cut short", [0x30, 0xff, 0xff], /truncated/],
    ["a body shorter than its Remaining Length", [0x40, 0x02, 0x00], /truncated/],
    ["a PUBLISH with a 1-byte body", [0x30, 0x01, 0x00], /PUBLISH truncated/],
    // Remaining Length: a fifth byte (MQTT-2.2.3).
    ["a 5-byte Remaining Length", [0x30, 0x80, 0x80, 0x80, 0x80, 0x01], /remaining length/],
    ["a Remaining Length of FF FF FF FF", [0x30, 0xff, 0xff, 0xff, 0xff, 0x7f], /remaining length/],
    // Strings running past the end of the packet.
    ["a topic length past the packet end", [0x30, 0x03, 0x00, 0x05, 0x61], /past packet end/],
    ["a topic length of 65535 in a tiny packet", [0x30, 0x04, 0xff, 0xff, 0x61, 0x62], /past packet end/],
    ["a QoS 1 PUBLISH with no room for its id", [0x32, 0x05, 0x00, 0x03, 0x61, 0x2f, 0x62], /past packet end/],
    ["a QoS 2 PUBLISH with half an id", [0x34, 0x06, 0x00, 0x03, 0x61, 0x2f, 0x62, 0x00], /past packet end/],
    // Bad topics from the server.
    ["an empty PUBLISH topic", [0x30, 0x02, 0x00, 0x00], /empty topic/],
    ["a wildcard in a PUBLISH topic", [0x30, 0x05, 0x00, 0x03, 0x61, 0x2f, 0x23], /wildcard/],
    ["a '+' in a PUBLISH topic", [0x30, 0x03, 0x00, 0x01, 0x2b], /wildcard/],
    ["an overlong UTF-8 '/' (C0 AF) in a topic", [0x30, 0x04, 0x00, 0x02, 0xc0, 0xaf], /UTF-8/],
    ["a surrogate (ED A0 80) in a topic", [0x30, 0x05, 0x00, 0x03, 0xed, 0xa0, 0x80], /UTF-8/],
    ["U+0000 in a topic", [0x30, 0x04, 0x00, 0x02, 0x61, 0x00], /UTF-8/],
    ["a truncated UTF-8 sequence ending a topic", [0x30, 0x04, 0x00, 0x02, 0x61, 0xe2], /UTF-8/],
    // Packet identifier 0 (MQTT-2.3.1-1).
    ["a QoS 1 PUBLISH with id 0", [0x32, 0x05, 0x00, 0x01, 0x74, 0x00, 0x00], /id 0/],
    ["a QoS 2 PUBLISH with id 0", [0x34, 0x05, 0x00, 0x01, 0x74, 0x00, 0x00], /id 0/],
    ["PUBACK with id 0", [0x40, 0x02, 0x00, 0x00], /id 0/],
    ["PUBREC with id 0", [0x50, 0x02, 0x00, 0x00], /id 0/],
    ["PUBREL with id 0", [0x62, 0x02, 0x00, 0x00], /id 0/],
    ["PUBCOMP with id 0", [0x70, 0x02, 0x00, 0x00], /id 0/],
    ["SUBACK with id 0", [0x90, 0x03, 0x00, 0x00, 0x00], /id 0/],
    ["UNSUBACK with id 0", [0xb0, 0x02, 0x00, 0x00], /id 0/],
    // Wrong lengths.
    ["PUBACK with a 3-byte body", [0x40, 0x03, 0x00, 0x01, 0x00], /length 3/],
    ["PUBACK with an empty body", [0x40, 0x00], /length 0/],
    ["UNSUBACK with a 1-byte body", [0xb0, 0x01, 0x00], /length 1/],
    ["SUBACK with no return code", [0x90, 0x02, 0x00, 0x01], /SUBACK truncated/],
    ["PINGRESP with a body", [0xd0, 0x01, 0x00], /PINGRESP/],
    ["CONNACK with a 3-byte body", [0x20, 0x03, 0x00, 0x00, 0x00], /CONNACK length 3/],
    ["CONNACK with a 1-byte body", [0x20, 0x01, 0x00], /CONNACK length 1/],
    // CONNACK and SUBACK contents.
    ["CONNACK with reserved flag bits set", [0x20, 0x02, 0x02, 0x00], /reserved bits/],
    ["CONNACK with all flag bits set", [0x20, 0x02, 0xff, 0x00], /reserved bits/],
    ["CONNACK with return code 6", [0x20, 0x02, 0x00, 0x06], /return code 6/],
    ["CONNACK with session present and a refusal", [0x20, 0x02, 0x01, 0x05], /session present/],
    ["SUBACK with return code 3", [0x90, 0x03, 0x00, 0x01, 0x03], /return code 3/],
    ["SUBACK with return code 0x81", [0x90, 0x04, 0x00, 0x01, 0x00, 0x81], /return code 129/],
    // decodePacket wants exactly one packet.
    ["two packets", [0xd0, 0x00, 0xd0, 0x00], /more than one/],
  ];

  it.each(cases)("%s", (_name, bytes, error) => {
    expect(decodeError(bytes)).toMatch(error);
  });

  it("stays failed after an error, and passes on no packet", () => {
    const stream = createPacketStream(4096);
    const got: IncomingPacket[] = [];
    const first = pushBytes(stream, new Uint8Array([0xd0, 0x00, 0x00, 0x00, 0xd0, 0x00]), (p) => got.push(p));
    expect(first).toEqual({ type: PacketType.MALFORMED, error: "unexpected packet type 0" });
    expect(got).toEqual([{ type: PacketType.PINGRESP }]);
    expect(pushBytes(stream, new Uint8Array([0xd0, 0x00]), (p) => got.push(p))).toEqual(first);
    expect(pushBytes(stream, new Uint8Array(0), (p) => got.push(p))).toEqual(first);
    expect(got).toHaveLength(1);
  });

  describe("maximum packet size", () => {
    it("refuses a 10 MB packet from its header alone, before buffering the body", () => {
      const stream = createPacketStream(4096);
      // PUBLISH, Remaining Length 10,485,760 = 80 80 80 05.
      const error = pushBytes(stream, new Uint8Array([0x30, 0x80, 0x80, 0x80, 0x05]), () => expect.unreachable());
      expect(error).toEqual({ type: PacketType.MALFORMED, error: expect.stringMatching(/10485765 .*4096/) });
      expect(bufferedBody(stream)).toBe(0);
      // Feeding the body afterwards changes nothing and buffers nothing.
      expect(pushBytes(stream, new Uint8Array(65536), () => expect.unreachable())).toEqual(error);
      expect(bufferedBody(stream)).toBe(0);
    });

    it("counts the whole packet, fixed header included", () => {
      // A PUBACK is 4 bytes in all: allowed at a maximum of 4, refused at 3.
      expect(decodePacket(new Uint8Array([0x40, 0x02, 0x00, 0x01]), 4)).toEqual({ type: PacketType.PUBACK, id: 1 });
      expect(decodePacket(new Uint8Array([0x40, 0x02, 0x00, 0x01]), 3)).toMatchObject({
        type: PacketType.MALFORMED,
        error: expect.stringMatching(/over the limit 3/),
      });
      // 2-byte Remaining Length: 1 + 2 + 200 = 203 bytes.
      const stream = createPacketStream(202);
      expect(pushBytes(stream, new Uint8Array([0x30, 0xc8, 0x01]), () => expect.unreachable())?.error).toMatch(
        /203 bytes/,
      );
    });
  });
});

describe("encoder: bad arguments throw", () => {
  const publish = (o: Partial<PublishOptions>): Uint8Array =>
    encodePublish({ topic: "a/b", payload: "", qos: 1, dup: false, retain: false, id: 1, ...o });
  const connect = (o: Partial<ConnectOptions>): Uint8Array =>
    encodeConnect({ clientId: "c", cleanSession: true, keepalive: 60, ...o });
  const long = "x".repeat(65536);

  const cases: Array<[name: string, encode: () => unknown, error: RegExp]> = [
    ["'#' in a PUBLISH topic", () => publish({ topic: "a/#" }), /wildcard/],
    ["'+' in a PUBLISH topic", () => publish({ topic: "+/b" }), /wildcard/],
    ["a wildcard inside a PUBLISH topic level", () => publish({ topic: "a+b" }), /wildcard/],
    ["an empty PUBLISH topic", () => publish({ topic: "" }), /empty topic/],
    ["a PUBLISH topic over 65535 bytes", () => publish({ topic: long }), /65535/],
    ["a PUBLISH topic that is not a byte string", () => publish({ topic: "€" }), /not UTF-8 bytes/],
    ["a PUBLISH topic of invalid UTF-8", () => publish({ topic: "\xc3" }), /UTF-8/],
    ["an overlong UTF-8 PUBLISH topic", () => publish({ topic: "\xc0\xaf" }), /UTF-8/],
    ["U+0000 in a PUBLISH topic", () => publish({ topic: "a\x00" }), /UTF-8/],
    ["PUBLISH QoS 3", () => publish({ qos: 3 as QoS }), /QoS/],
    ["PUBLISH id 0 at QoS 1", () => publish({ qos: 1, id: 0 }), /packet id/],
    ["PUBLISH id 65536 at QoS 2", () => publish({ qos: 2, id: 65536 }), /packet id/],
    ["PUBLISH id 1.5", () => publish({ id: 1.5 }), /packet id/],
    ["PUBLISH with DUP at QoS 0 (MQTT-3.3.1-2)", () => publish({ qos: 0, dup: true, id: 0 }), /DUP set on a QoS 0/],
    ["PUBACK id 0", () => encodeAck(PacketType.PUBACK, 0), /packet id/],
    ["PUBREL id -1", () => encodeAck(PacketType.PUBREL, -1), /packet id/],
    ["SUBSCRIBE id 0", () => encodeSubscribe(0, [{ filter: "a", qos: 0 }]), /packet id/],
    ["SUBSCRIBE with no filter", () => encodeSubscribe(1, []), /filter/],
    ["SUBSCRIBE with '#' not last", () => encodeSubscribe(1, [{ filter: "a/#/b", qos: 0 }]), /not last/],
    ["SUBSCRIBE with '+' inside a level", () => encodeSubscribe(1, [{ filter: "a/b+/c", qos: 0 }]), /inside a level/],
    ["SUBSCRIBE with '#' inside a level", () => encodeSubscribe(1, [{ filter: "a/b#", qos: 0 }]), /inside a level/],
    ["SUBSCRIBE with an empty filter", () => encodeSubscribe(1, [{ filter: "", qos: 0 }]), /empty filter/],
    ["SUBSCRIBE with a filter over 65535 bytes", () => encodeSubscribe(1, [{ filter: long, qos: 0 }]), /65535/],
    ["SUBSCRIBE at QoS 3", () => encodeSubscribe(1, [{ filter: "a", qos: 3 as QoS }]), /QoS/],
    ["SUBSCRIBE with a non-byte filter", () => encodeSubscribe(1, [{ filter: "é", qos: 0 }]), /UTF-8/],
    ["UNSUBSCRIBE id 65536", () => encodeUnsubscribe(65536, ["a"]), /packet id/],
    ["UNSUBSCRIBE with no filter", () => encodeUnsubscribe(1, []), /filter/],
    ["UNSUBSCRIBE with '#' not last", () => encodeUnsubscribe(1, ["#/a"]), /not last/],
    ["CONNECT with a password and no user name", () => connect({ password: "p" }), /user name/],
    ["CONNECT with a client id over 65535 bytes", () => connect({ clientId: long }), /65535/],
    ["CONNECT with a non-byte client id", () => connect({ clientId: "😀" }), /not UTF-8 bytes/],
    ["CONNECT with an invalid UTF-8 user name", () => connect({ username: "\xff" }), /UTF-8/],
    ["CONNECT with a password over 65535 bytes", () => connect({ username: "u", password: long }), /65535/],
    [
      "CONNECT with an empty client id and no clean session",
      () => connect({ clientId: "", cleanSession: false }),
      /clean session/,
    ],
    ["CONNECT with keepalive 65536", () => connect({ keepalive: 65536 }), /keepalive/],
    ["CONNECT with keepalive -1", () => connect({ keepalive: -1 }), /keepalive/],
    [
      "CONNECT with a Will topic holding a wildcard",
      () => connect({ will: { topic: "a/#", payload: "", qos: 0, retain: false } }),
      /wildcard/,
    ],
    [
      "CONNECT with an empty Will topic",
      () => connect({ will: { topic: "", payload: "", qos: 0, retain: false } }),
      /empty topic/,
    ],
    [
      "CONNECT with a Will at QoS 3",
      () => connect({ will: { topic: "w", payload: "", qos: 3 as QoS, retain: false } }),
      /QoS/,
    ],
    [
      "CONNECT with a Will payload over 65535 bytes",
      () => connect({ will: { topic: "w", payload: long, qos: 0, retain: false } }),
      /65535/,
    ],
  ];

  it.each(cases)("%s", (_name, encode, error) => {
    expect(encode).toThrow(error);
  });

  it("accepts the limits: 65535-byte strings, ids 1 and 65535", () => {
    const max = "x".repeat(65535);
    expect(publish({ topic: max, id: 65535 }).length).toBe(1 + 3 + 2 + 65535 + 2);
    expect(encodeAck(PacketType.PUBACK, 1)).toEqual(new Uint8Array([0x40, 2, 0, 1]));
    expect(connect({ clientId: max, username: max, password: max }).length).toBe(1 + 3 + 10 + 3 * (2 + 65535));
    expect(encodeSubscribe(65535, [{ filter: max, qos: 2 }]).length).toBe(1 + 3 + 2 + 2 + 65535 + 1);
  });
});

describe("UTF-8", () => {
  it("round-trips 1, 2, 3 and 4 byte characters", () => {
    const samples: Array<[string, number[]]> = [
      ["A", [0x41]],
      ["\x7f", [0x7f]],
      ["\x80", [0xc2, 0x80]],
      ["é", [0xc3, 0xa9]],
      ["\u07ff", [0xdf, 0xbf]],
      ["\u0800", [0xe0, 0xa0, 0x80]],
      ["€", [0xe2, 0x82, 0xac]],
      ["\ud7ff", [0xed, 0x9f, 0xbf]],
      ["\ue000", [0xee, 0x80, 0x80]],
      ["\uffff", [0xef, 0xbf, 0xbf]],
      ["😀", [0xf0, 0x9f, 0x98, 0x80]],
      ["\u{10000}", [0xf0, 0x90, 0x80, 0x80]],
      ["\u{10ffff}", [0xf4, 0x8f, 0xbf, 0xbf]],
    ];
    for (const [text, bytes] of samples) {
      const wire = utf8Encode(text);
      expect(Array.from(binaryStringToBytes(wire))).toEqual(bytes);
      expect(wire).toBe(Buffer.from(text, "utf8").toString("latin1"));
      expect(isUtf8(wire, 0, wire.length)).toBe(true);
      expect(isUtf8(new Uint8Array(bytes), 0, bytes.length)).toBe(true);
      expect(utf8Decode(wire)).toBe(text);
    }
    const mixed = "données/é/€/😀 – ok";
    expect(utf8Decode(utf8Encode(mixed))).toBe(mixed);
    expect(utf8Encode("")).toBe("");
  });

  it("utf8Encode rejects U+0000 and lone surrogates", () => {
    expect(() => utf8Encode("a\u0000b")).toThrow(/U\+0000/);
    expect(() => utf8Encode("\ud800")).toThrow(/surrogate/);
    expect(() => utf8Encode("a\ud83d")).toThrow(/surrogate/); // high surrogate at the end
    expect(() => utf8Encode("\ud83dx")).toThrow(/surrogate/); // high surrogate, then not a low one
    expect(() => utf8Encode("\ude00")).toThrow(/surrogate/); // low surrogate alone
    expect(() => utf8Encode("\ude00\ud83d")).toThrow(/surrogate/); // the pair reversed
  });

  const bad: Array<[string, number[]]> = [
    ["U+0000", [0x00]],
    ["a lone continuation byte", [0x80]],
    ["C0 80, an overlong U+0000", [0xc0, 0x80]],
    ["C1 BF, an overlong U+007F", [0xc1, 0xbf]],
    ["E0 9F BF, an overlong U+07FF", [0xe0, 0x9f, 0xbf]],
    ["F0 8F BF BF, an overlong U+FFFF", [0xf0, 0x8f, 0xbf, 0xbf]],
    ["ED A0 80, surrogate U+D800", [0xed, 0xa0, 0x80]],
    ["ED BF BF, surrogate U+DFFF", [0xed, 0xbf, 0xbf]],
    ["F4 90 80 80, U+110000", [0xf4, 0x90, 0x80, 0x80]],
    ["F5 80 80 80, a lead byte past U+10FFFF", [0xf5, 0x80, 0x80, 0x80]],
    ["FF", [0xff]],
    ["a truncated 2-byte sequence", [0xc3]],
    ["a truncated 3-byte sequence", [0xe2, 0x82]],
    ["a truncated 4-byte sequence", [0xf0, 0x9f, 0x98]],
    ["a 3-byte lead followed by ASCII", [0xe2, 0x41, 0x41]],
    ["a 4-byte sequence with a bad last byte", [0xf0, 0x9f, 0x98, 0x41]],
  ];

  it.each(bad)("isUtf8 rejects %s", (_name, bytes) => {
    expect(isUtf8(new Uint8Array(bytes), 0, bytes.length)).toBe(false);
    const wire = String.fromCharCode(...bytes);
    expect(isUtf8(wire, 0, wire.length)).toBe(false);
    expect(() => utf8Decode(wire)).toThrow(/utf8/);
    // Also inside valid text.
    const padded = new Uint8Array([0x61, ...bytes, 0x62]);
    expect(isUtf8(padded, 0, padded.length)).toBe(false);
  });

  it("isUtf8 checks only [start, end): a sequence cut by `end` is truncated", () => {
    const bytes = new Uint8Array([0xff, 0xe2, 0x82, 0xac, 0xff]);
    expect(isUtf8(bytes, 1, 4)).toBe(true);
    expect(isUtf8(bytes, 1, 3)).toBe(false);
    expect(isUtf8(bytes, 0, 4)).toBe(false);
    expect(isUtf8(bytes, 2, 2)).toBe(true);
  });

  it("reads a WireString's chars as bytes, and rejects chars above 255", () => {
    expect(isUtf8("é", 0, 1)).toBe(false); // char E9 is the lead byte of a 3-byte sequence
    expect(isUtf8("\xc3\xa9", 0, 2)).toBe(true); // "é" as a WireString
    expect(isUtf8("€", 0, 1)).toBe(false);
    expect(isUtf8("\u0141", 0, 1)).toBe(false); // not read as its low byte 0x41
  });

  it("agrees with Node's decoder on every 1- and 2-byte input and on random 3- and 4-byte ones", () => {
    // Node replaces ill-formed sequences with U+FFFD, so ill-formed input does not survive a round trip.
    const nodeValid = (bytes: Uint8Array): boolean =>
      !bytes.includes(0) && Buffer.compare(Buffer.from(Buffer.from(bytes).toString("utf8"), "utf8"), bytes) === 0;
    const check = (bytes: Uint8Array): void => {
      if (isUtf8(bytes, 0, bytes.length) !== nodeValid(bytes))
        expect.fail(`disagree on ${Buffer.from(bytes).toString("hex")}`);
    };
    for (let a = 0; a < 256; a++) {
      check(new Uint8Array([a]));
      for (let b = 0; b < 256; b++) check(new Uint8Array([a, b]));
    }
    let seed = 12345;
    const next = (): number => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) >>> 24;
    for (let i = 0; i < 200000; i++) {
      // Bias the lead byte to E0..F4 and the rest to continuation bytes, where the edge cases are.
      const lead = 0xe0 + (next() % 21);
      const tail = (): number => (next() < 200 ? 0x80 | (next() & 0x3f) : next());
      check(new Uint8Array(i % 2 ? [lead, tail(), tail()] : [lead, tail(), tail(), tail()]));
    }
  });
});

describe("topics", () => {
  const names: Array<[string, string]> = [
    ["a", ""],
    ["/", ""],
    ["a/b/c", ""],
    ["$SYS/x", ""],
    [" ", ""],
    ["", "empty topic"],
    ["#", "wildcard in topic name"],
    ["a/+", "wildcard in topic name"],
    ["a+b", "wildcard in topic name"],
    ["x".repeat(65535), ""],
    ["x".repeat(65536), "topic over 65535 bytes"],
  ];
  it.each(names)("topicNameError(%j) is %j", (topic, error) => {
    expect(topicNameError(topic)).toBe(error);
  });

  const filters: Array<[string, string]> = [
    ["#", ""],
    ["+", ""],
    ["+/+", ""],
    ["/+", ""],
    ["a/#", ""],
    ["a/+/c/#", ""],
    ["+/#", ""],
    ["$SYS/#", ""],
    ["a//b", ""],
    ["", "empty filter"],
    ["#/a", "'#' not last"],
    ["a/#/b", "'#' not last"],
    ["a#", "wildcard inside a level"],
    ["a/b#", "wildcard inside a level"],
    ["a+", "wildcard inside a level"],
    ["a/+b/c", "wildcard inside a level"],
    ["++", "wildcard inside a level"],
    ["##", "wildcard inside a level"],
    ["x".repeat(65536), "filter over 65535 bytes"],
  ];
  it.each(filters)("topicFilterError(%j) is %j", (filter, error) => {
    expect(topicFilterError(filter)).toBe(error);
  });

  // MQTT-4.7 examples, and the $ rule of MQTT-4.7.2-1.
  const matches: Array<[filter: string, topic: string, match: boolean]> = [
    ["sport/tennis/player1/#", "sport/tennis/player1", true],
    ["sport/tennis/player1/#", "sport/tennis/player1/ranking", true],
    ["sport/tennis/player1/#", "sport/tennis/player1/score/wimbledon", true],
    ["sport/tennis/player1/#", "sport/tennis/player2", false],
    ["sport/#", "sport", true],
    ["sport/#", "sports", false],
    ["#", "sport", true],
    ["#", "/", true],
    ["#", "a/b/c", true],
    ["sport/tennis/+", "sport/tennis/player1", true],
    ["sport/tennis/+", "sport/tennis/player1/ranking", false],
    ["sport/tennis/+", "sport/tennis", false],
    ["sport/+", "sport", false],
    ["sport/+", "sport/", true],
    ["+", "sport", true],
    ["+", "/finance", false],
    ["+/+", "/finance", true],
    ["/+", "/finance", true],
    ["+/tennis/#", "sport/tennis/player1", true],
    ["+/#", "a", true],
    ["a/b", "a/b", true],
    ["a/b", "a/b/c", false],
    ["a/b/c", "a/b", false],
    ["a/b", "a", false],
    ["ACCOUNTS", "Accounts", false],
    ["a//b", "a//b", true],
    ["a/+/b", "a//b", true],
    ["#", "$SYS/monitor/Clients", false],
    ["+/monitor/Clients", "$SYS/monitor/Clients", false],
    ["$SYS/#", "$SYS/monitor/Clients", true],
    ["$SYS/monitor/+", "$SYS/monitor/Clients", true],
    ["$SYS", "$SYS", true],
    ["a/$b", "a/$b", true],
    ["a/+", "a/$b", true],
  ];
  it.each(matches)("topicMatches(%j, %j) is %s", (filter, topic, match) => {
    expect(topicMatches(filter, topic)).toBe(match);
  });

  it("matches UTF-8 WireStrings level by level", () => {
    expect(topicMatches(utf8Encode("données/+/€"), utf8Encode("données/é/€"))).toBe(true);
    expect(topicMatches(utf8Encode("données/#"), utf8Encode("données"))).toBe(true);
    expect(topicMatches(utf8Encode("é"), utf8Encode("è"))).toBe(false);
  });
});

describe("binary strings", () => {
  it("round-trips all 256 byte values", () => {
    const bytes = new Uint8Array(256).map((_, i) => i);
    const text = bytesToBinaryString(bytes);
    expect(text.length).toBe(256);
    for (let i = 0; i < 256; i++) expect(text.charCodeAt(i)).toBe(i);
    expect(binaryStringToBytes(text)).toEqual(bytes);
  });

  it("round-trips a 100 kB array (more than one apply() chunk)", () => {
    const bytes = new Uint8Array(100 * 1024).map((_, i) => (i * 31 + (i >> 8)) & 255);
    const text = bytesToBinaryString(bytes);
    expect(text).toBe(Buffer.from(bytes).toString("latin1"));
    expect(Buffer.compare(binaryStringToBytes(text), bytes)).toBe(0);
  });

  it("handles empty input, and keeps the low 8 bits of wider chars", () => {
    expect(bytesToBinaryString(new Uint8Array(0))).toBe("");
    expect(binaryStringToBytes("")).toEqual(new Uint8Array(0));
    expect(binaryStringToBytes("\u0141\u00ff")).toEqual(new Uint8Array([0x41, 0xff]));
  });

  it("encodes string and Uint8Array payloads alike", () => {
    const bytes = new Uint8Array(256).map((_, i) => i);
    const a = encodePublish({ topic: "t", payload: bytes, qos: 0, dup: false, retain: false, id: 0 });
    const b = encodePublish({
      topic: "t",
      payload: bytesToBinaryString(bytes),
      qos: 0,
      dup: false,
      retain: false,
      id: 0,
    });
    expect(b).toEqual(a);
  });
});
