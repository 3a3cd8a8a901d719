/**
 * MQTT 3.1.1 spec vectors, written out byte by byte, for every packet type in both directions.
 *
 * Client to server: our encoder produces exactly the bytes, and mqtt-packet parses them to the
 * same fields. Server to client: our decoder turns the bytes into the fields, and mqtt-packet
 * generates exactly the bytes from the same fields. PUBLISH and the acks go both ways.
 */
import { describe, expect, it } from "vitest";
import mqtt from "mqtt-packet";
import {
  CONNACK_CODE_NAMES,
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
} from "../../src/mqtt/index.ts";
import { theirParseOne } from "./their-parse";

const ascii = (text: string): number[] => Array.from(text, (c) => c.charCodeAt(0));
const bytesOf = (text: string): Uint8Array => new Uint8Array(ascii(text));

interface OutVector {
  name: string;
  encode: () => Uint8Array;
  bytes: number[];
  /** What mqtt-packet parses from `bytes` (compared with toMatchObject). */
  theirs: Record<string, unknown>;
}

interface InVector {
  name: string;
  bytes: number[];
  ours: IncomingPacket;
  /** mqtt-packet's fields for the same packet; generate() must give `bytes`. */
  theirs: mqtt.Packet;
}

// "MQTT" protocol name and level 4, the start of every CONNECT variable header.
const MQTT_4 = [0x00, 0x04, 0x4d, 0x51, 0x54, 0x54, 0x04];

const clientToServer: OutVector[] = [
  {
    name: "CONNECT: client id, clean session, keepalive 60",
    encode: () => encodeConnect({ clientId: "dev1", cleanSession: true, keepalive: 60 }),
    bytes: [
      0x10,
      0x10, // CONNECT, remaining length 16
      ...MQTT_4,
      0x02, // flags: clean session
      0x00,
      0x3c, // keepalive 60 s
      0x00,
      0x04,
      0x64,
      0x65,
      0x76,
      0x31, // client id "dev1"
    ],
    theirs: { cmd: "connect", protocolId: "MQTT", protocolVersion: 4, clean: true, keepalive: 60, clientId: "dev1" },
  },
  {
    name: "CONNECT: persistent session, keepalive off",
    encode: () => encodeConnect({ clientId: "a", cleanSession: false, keepalive: 0 }),
    bytes: [
      0x10,
      0x0d, // CONNECT, remaining length 13
      ...MQTT_4,
      0x00, // flags: none
      0x00,
      0x00, // keepalive 0
      0x00,
      0x01,
      0x61, // client id "a"
    ],
    theirs: { cmd: "connect", clean: false, keepalive: 0, clientId: "a" },
  },
  {
    name: "CONNECT: Will QoS 1 retained, user name and password",
    encode: () =>
      encodeConnect({
        clientId: "s1",
        cleanSession: false,
        keepalive: 0,
        will: { topic: "s/st", payload: "off", qos: 1, retain: true },
        username: "u",
        password: new Uint8Array([0x70, 0x77]),
      }),
    bytes: [
      0x10,
      0x20, // CONNECT, remaining length 32
      ...MQTT_4,
      0xec, // flags: user name 80, password 40, will retain 20, will QoS 1 08, will 04
      0x00,
      0x00, // keepalive 0
      0x00,
      0x02,
      0x73,
      0x31, // client id "s1"
      0x00,
      0x04,
      0x73,
      0x2f,
      0x73,
      0x74, // will topic "s/st"
      0x00,
      0x03,
      0x6f,
      0x66,
      0x66, // will payload "off"
      0x00,
      0x01,
      0x75, // user name "u"
      0x00,
      0x02,
      0x70,
      0x77, // password "pw"
    ],
    theirs: {
      cmd: "connect",
      clean: false,
      keepalive: 0,
      clientId: "s1",
      will: { topic: "s/st", payload: Buffer.from("off"), qos: 1, retain: true },
      username: "u",
      password: Buffer.from("pw"),
    },
  },
  {
    name: "CONNECT: empty client id, Will QoS 2 with empty payload, non-ASCII user name, keepalive 65535",
    encode: () =>
      encodeConnect({
        clientId: "",
        cleanSession: true,
        keepalive: 65535,
        will: { topic: "w", payload: new Uint8Array(0), qos: 2, retain: false },
        username: utf8Encode("é"),
      }),
    bytes: [
      0x10,
      0x15, // CONNECT, remaining length 21
      ...MQTT_4,
      0x96, // flags: user name 80, will QoS 2 10, will 04, clean session 02
      0xff,
      0xff, // keepalive 65535
      0x00,
      0x00, // client id ""
      0x00,
      0x01,
      0x77, // will topic "w"
      0x00,
      0x00, // will payload, empty
      0x00,
      0x02,
      0xc3,
      0xa9, // user name "é"
    ],
    theirs: {
      cmd: "connect",
      clean: true,
      keepalive: 65535,
      clientId: "",
      will: { topic: "w", payload: Buffer.alloc(0), qos: 2, retain: false },
      username: "é",
    },
  },
  {
    name: "CONNECT: Will QoS 0 not retained, user name and empty password",
    encode: () =>
      encodeConnect({
        clientId: "c",
        cleanSession: true,
        keepalive: 300,
        will: { topic: "x", payload: "!", qos: 0, retain: false },
        username: "",
        password: "",
      }),
    bytes: [
      0x10,
      0x17, // CONNECT, remaining length 23
      ...MQTT_4,
      0xc6, // flags: user name 80, password 40, will 04, clean session 02
      0x01,
      0x2c, // keepalive 300
      0x00,
      0x01,
      0x63, // client id "c"
      0x00,
      0x01,
      0x78, // will topic "x"
      0x00,
      0x01,
      0x21, // will payload "!"
      0x00,
      0x00, // user name ""
      0x00,
      0x00, // password, empty
    ],
    theirs: {
      cmd: "connect",
      clean: true,
      keepalive: 300,
      clientId: "c",
      will: { topic: "x", payload: Buffer.from("!"), qos: 0, retain: false },
      username: "",
      password: Buffer.alloc(0),
    },
  },
  {
    name: "PUBLISH QoS 0",
    encode: () => encodePublish({ topic: "a/b", payload: "hi", qos: 0, dup: false, retain: false, id: 0 }),
    bytes: [
      0x30,
      0x07, // PUBLISH QoS 0, remaining length 7
      0x00,
      0x03,
      0x61,
      0x2f,
      0x62, // topic "a/b"
      0x68,
      0x69, // payload "hi"
    ],
    theirs: { cmd: "publish", topic: "a/b", payload: Buffer.from("hi"), qos: 0, dup: false, retain: false },
  },
  {
    name: "PUBLISH QoS 0, RETAIN, empty payload (the id is not sent)",
    encode: () => encodePublish({ topic: "a/b", payload: new Uint8Array(0), qos: 0, dup: false, retain: true, id: 99 }),
    bytes: [
      0x31,
      0x05, // PUBLISH QoS 0 RETAIN, remaining length 5
      0x00,
      0x03,
      0x61,
      0x2f,
      0x62, // topic "a/b"
    ],
    theirs: { cmd: "publish", topic: "a/b", payload: Buffer.alloc(0), qos: 0, retain: true },
  },
  {
    name: "PUBLISH QoS 1, RETAIN",
    encode: () => encodePublish({ topic: "a/b", payload: bytesOf("hi"), qos: 1, dup: false, retain: true, id: 0x1234 }),
    bytes: [
      0x33,
      0x09, // PUBLISH QoS 1 RETAIN, remaining length 9
      0x00,
      0x03,
      0x61,
      0x2f,
      0x62, // topic "a/b"
      0x12,
      0x34, // packet id 0x1234
      0x68,
      0x69, // payload "hi"
    ],
    theirs: {
      cmd: "publish",
      topic: "a/b",
      payload: Buffer.from("hi"),
      qos: 1,
      dup: false,
      retain: true,
      messageId: 0x1234,
    },
  },
  {
    name: "PUBLISH QoS 2, DUP",
    encode: () => encodePublish({ topic: "a/b", payload: "hi", qos: 2, dup: true, retain: false, id: 65535 }),
    bytes: [
      0x3c,
      0x09, // PUBLISH DUP QoS 2, remaining length 9
      0x00,
      0x03,
      0x61,
      0x2f,
      0x62, // topic "a/b"
      0xff,
      0xff, // packet id 65535
      0x68,
      0x69, // payload "hi"
    ],
    theirs: { cmd: "publish", topic: "a/b", qos: 2, dup: true, retain: false, messageId: 65535 },
  },
  {
    name: "PUBLISH QoS 1, DUP, RETAIN",
    encode: () =>
      encodePublish({ topic: "t", payload: new Uint8Array([0, 255]), qos: 1, dup: true, retain: true, id: 1 }),
    bytes: [
      0x3b,
      0x07, // PUBLISH DUP QoS 1 RETAIN, remaining length 7
      0x00,
      0x01,
      0x74, // topic "t"
      0x00,
      0x01, // packet id 1
      0x00,
      0xff, // payload
    ],
    theirs: {
      cmd: "publish",
      topic: "t",
      payload: Buffer.from([0, 255]),
      qos: 1,
      dup: true,
      retain: true,
      messageId: 1,
    },
  },
  {
    name: "PUBLISH QoS 1 to a non-ASCII topic (2, 3 and 4 byte UTF-8)",
    encode: () =>
      encodePublish({
        topic: utf8Encode("données/é/€/😀"),
        payload: new Uint8Array([0, 255]),
        qos: 1,
        dup: false,
        retain: false,
        id: 1,
      }),
    bytes: [
      0x32,
      0x1a, // PUBLISH QoS 1, remaining length 26
      0x00,
      0x14, // topic length 20
      0x64,
      0x6f,
      0x6e,
      0x6e,
      0xc3,
      0xa9,
      0x65,
      0x73,
      0x2f, // "données/"
      0xc3,
      0xa9,
      0x2f, // "é/"
      0xe2,
      0x82,
      0xac,
      0x2f, // "€/"
      0xf0,
      0x9f,
      0x98,
      0x80, // "😀"
      0x00,
      0x01, // packet id 1
      0x00,
      0xff, // payload
    ],
    theirs: { cmd: "publish", topic: "données/é/€/😀", payload: Buffer.from([0, 255]), qos: 1, messageId: 1 },
  },
  {
    name: "PUBACK",
    encode: () => encodeAck(PacketType.PUBACK, 1),
    bytes: [0x40, 0x02, 0x00, 0x01], // PUBACK, length 2, id 1
    theirs: { cmd: "puback", messageId: 1 },
  },
  {
    name: "PUBREC",
    encode: () => encodeAck(PacketType.PUBREC, 0x1234),
    bytes: [0x50, 0x02, 0x12, 0x34], // PUBREC, length 2, id 0x1234
    theirs: { cmd: "pubrec", messageId: 0x1234 },
  },
  {
    name: "PUBREL (flags 0010)",
    encode: () => encodeAck(PacketType.PUBREL, 65535),
    bytes: [0x62, 0x02, 0xff, 0xff], // PUBREL with flags 0010, length 2, id 65535
    theirs: { cmd: "pubrel", messageId: 65535 },
  },
  {
    name: "PUBCOMP",
    encode: () => encodeAck(PacketType.PUBCOMP, 7),
    bytes: [0x70, 0x02, 0x00, 0x07], // PUBCOMP, length 2, id 7
    theirs: { cmd: "pubcomp", messageId: 7 },
  },
  {
    name: "SUBSCRIBE, three filters at QoS 0, 1, 2",
    encode: () =>
      encodeSubscribe(10, [
        { filter: "a/+", qos: 0 },
        { filter: "b/#", qos: 1 },
        { filter: "c", qos: 2 },
      ]),
    bytes: [
      0x82,
      0x12, // SUBSCRIBE with flags 0010, remaining length 18
      0x00,
      0x0a, // packet id 10
      0x00,
      0x03,
      0x61,
      0x2f,
      0x2b,
      0x00, // "a/+" QoS 0
      0x00,
      0x03,
      0x62,
      0x2f,
      0x23,
      0x01, // "b/#" QoS 1
      0x00,
      0x01,
      0x63,
      0x02, // "c" QoS 2
    ],
    theirs: {
      cmd: "subscribe",
      messageId: 10,
      subscriptions: [
        { topic: "a/+", qos: 0 },
        { topic: "b/#", qos: 1 },
        { topic: "c", qos: 2 },
      ],
    },
  },
  {
    name: "SUBSCRIBE, one non-ASCII filter",
    encode: () => encodeSubscribe(65535, [{ filter: utf8Encode("€/#"), qos: 1 }]),
    bytes: [
      0x82,
      0x0a, // SUBSCRIBE, remaining length 10
      0xff,
      0xff, // packet id 65535
      0x00,
      0x05,
      0xe2,
      0x82,
      0xac,
      0x2f,
      0x23,
      0x01, // "€/#" QoS 1
    ],
    theirs: { cmd: "subscribe", messageId: 65535, subscriptions: [{ topic: "€/#", qos: 1 }] },
  },
  {
    name: "UNSUBSCRIBE, two filters",
    encode: () => encodeUnsubscribe(11, ["a/+", "#"]),
    bytes: [
      0xa2,
      0x0a, // UNSUBSCRIBE with flags 0010, remaining length 10
      0x00,
      0x0b, // packet id 11
      0x00,
      0x03,
      0x61,
      0x2f,
      0x2b, // "a/+"
      0x00,
      0x01,
      0x23, // "#"
    ],
    theirs: { cmd: "unsubscribe", messageId: 11, unsubscriptions: ["a/+", "#"] },
  },
  {
    name: "PINGREQ",
    encode: () => encodeEmpty(PacketType.PINGREQ),
    bytes: [0xc0, 0x00],
    theirs: { cmd: "pingreq" },
  },
  {
    name: "DISCONNECT",
    encode: () => encodeEmpty(PacketType.DISCONNECT),
    bytes: [0xe0, 0x00],
    theirs: { cmd: "disconnect" },
  },
];

const serverToClient: InVector[] = [
  ...[0, 1, 2, 3, 4, 5].map((code): InVector => ({
    name: `CONNACK return code ${code} (${CONNACK_CODE_NAMES[code]})`,
    bytes: [0x20, 0x02, 0x00, code], // CONNACK, length 2, no session, return code
    ours: { type: PacketType.CONNACK, sessionPresent: false, returnCode: code },
    theirs: { cmd: "connack", sessionPresent: false, returnCode: code },
  })),
  {
    name: "CONNACK session present",
    bytes: [0x20, 0x02, 0x01, 0x00], // CONNACK, length 2, session present, accepted
    ours: { type: PacketType.CONNACK, sessionPresent: true, returnCode: 0 },
    theirs: { cmd: "connack", sessionPresent: true, returnCode: 0 },
  },
  {
    name: "PUBLISH QoS 0",
    bytes: [0x30, 0x07, 0x00, 0x03, 0x61, 0x2f, 0x62, 0x68, 0x69], // topic "a/b", payload "hi"
    ours: { type: PacketType.PUBLISH, topic: "a/b", payload: bytesOf("hi"), qos: 0, dup: false, retain: false, id: 0 },
    theirs: { cmd: "publish", topic: "a/b", payload: Buffer.from("hi"), qos: 0, dup: false, retain: false },
  },
  {
    name: "PUBLISH QoS 0 RETAIN, empty payload",
    bytes: [0x31, 0x05, 0x00, 0x03, 0x61, 0x2f, 0x62], // topic "a/b", no payload
    ours: {
      type: PacketType.PUBLISH,
      topic: "a/b",
      payload: new Uint8Array(0),
      qos: 0,
      dup: false,
      retain: true,
      id: 0,
    },
    theirs: { cmd: "publish", topic: "a/b", payload: Buffer.alloc(0), qos: 0, dup: false, retain: true },
  },
  {
    name: "PUBLISH QoS 1 RETAIN",
    bytes: [
      0x33,
      0x09, // PUBLISH QoS 1 RETAIN, remaining length 9
      0x00,
      0x03,
      0x61,
      0x2f,
      0x62, // topic "a/b"
      0x12,
      0x34, // packet id
      0x68,
      0x69, // payload "hi"
    ],
    ours: {
      type: PacketType.PUBLISH,
      topic: "a/b",
      payload: bytesOf("hi"),
      qos: 1,
      dup: false,
      retain: true,
      id: 0x1234,
    },
    theirs: {
      cmd: "publish",
      topic: "a/b",
      payload: Buffer.from("hi"),
      qos: 1,
      dup: false,
      retain: true,
      messageId: 0x1234,
    },
  },
  {
    name: "PUBLISH QoS 2 DUP",
    bytes: [
      0x3c,
      0x09, // PUBLISH DUP QoS 2, remaining length 9
      0x00,
      0x03,
      0x61,
      0x2f,
      0x62, // topic "a/b"
      0xff,
      0xff, // packet id 65535
      0x68,
      0x69, // payload "hi"
    ],
    ours: {
      type: PacketType.PUBLISH,
      topic: "a/b",
      payload: bytesOf("hi"),
      qos: 2,
      dup: true,
      retain: false,
      id: 65535,
    },
    theirs: {
      cmd: "publish",
      topic: "a/b",
      payload: Buffer.from("hi"),
      qos: 2,
      dup: true,
      retain: false,
      messageId: 65535,
    },
  },
  {
    name: "PUBLISH QoS 1 to a non-ASCII topic",
    bytes: [
      0x32,
      0x1a, // PUBLISH QoS 1, remaining length 26
      0x00,
      0x14, // topic length 20: "données/é/€/😀"
      0x64,
      0x6f,
      0x6e,
      0x6e,
      0xc3,
      0xa9,
      0x65,
      0x73,
      0x2f,
      0xc3,
      0xa9,
      0x2f,
      0xe2,
      0x82,
      0xac,
      0x2f,
      0xf0,
      0x9f,
      0x98,
      0x80,
      0x00,
      0x01, // packet id 1
      0x00,
      0xff, // payload
    ],
    ours: {
      type: PacketType.PUBLISH,
      topic: utf8Encode("données/é/€/😀"),
      payload: new Uint8Array([0, 255]),
      qos: 1,
      dup: false,
      retain: false,
      id: 1,
    },
    theirs: {
      cmd: "publish",
      topic: "données/é/€/😀",
      payload: Buffer.from([0, 255]),
      qos: 1,
      dup: false,
      retain: false,
      messageId: 1,
    },
  },
  {
    name: "PUBACK",
    bytes: [0x40, 0x02, 0x00, 0x01],
    ours: { type: PacketType.PUBACK, id: 1 },
    theirs: { cmd: "puback", messageId: 1 },
  },
  {
    name: "PUBREC",
    bytes: [0x50, 0x02, 0x12, 0x34],
    ours: { type: PacketType.PUBREC, id: 0x1234 },
    theirs: { cmd: "pubrec", messageId: 0x1234 },
  },
  {
    name: "PUBREL (flags 0010)",
    bytes: [0x62, 0x02, 0xff, 0xff],
    ours: { type: PacketType.PUBREL, id: 65535 },
    theirs: { cmd: "pubrel", messageId: 65535 },
  },
  {
    name: "PUBCOMP",
    bytes: [0x70, 0x02, 0x00, 0x07],
    ours: { type: PacketType.PUBCOMP, id: 7 },
    theirs: { cmd: "pubcomp", messageId: 7 },
  },
  {
    name: "SUBACK granting QoS 0 and 1, refusing one (0x80)",
    bytes: [
      0x90,
      0x05, // SUBACK, remaining length 5
      0x00,
      0x0a, // packet id 10
      0x00,
      0x01,
      0x80, // granted QoS 0, QoS 1, failure
    ],
    ours: { type: PacketType.SUBACK, id: 10, granted: [0, 1, 0x80] },
    theirs: { cmd: "suback", messageId: 10, granted: [0, 1, 0x80] },
  },
  {
    name: "SUBACK granting QoS 2",
    bytes: [0x90, 0x03, 0xff, 0xff, 0x02], // SUBACK, length 3, id 65535, QoS 2
    ours: { type: PacketType.SUBACK, id: 65535, granted: [2] },
    theirs: { cmd: "suback", messageId: 65535, granted: [2] },
  },
  {
    name: "UNSUBACK",
    bytes: [0xb0, 0x02, 0x00, 0x0b], // UNSUBACK, length 2, id 11
    ours: { type: PacketType.UNSUBACK, id: 11 },
    theirs: { cmd: "unsuback", messageId: 11, granted: [] }, // granted: MQTT 5 only, but mqtt-packet's type wants it
  },
  {
    name: "PINGRESP",
    bytes: [0xd0, 0x00],
    ours: { type: PacketType.PINGRESP },
    theirs: { cmd: "pingresp" },
  },
];

describe("client to server: encode gives the bytes, mqtt-packet parses them to the same fields", () => {
  it.each(clientToServer)("$name", ({ encode, bytes, theirs }) => {
    const encoded = encode();
    expect(encoded).toBeInstanceOf(Uint8Array);
    expect(Array.from(encoded)).toEqual(bytes);
    expect(theirParseOne(encoded)).toMatchObject(theirs);
  });
});

describe("server to client: decode gives the fields, mqtt-packet generates the bytes", () => {
  it.each(serverToClient)("$name", ({ bytes, ours, theirs }) => {
    expect(decodePacket(new Uint8Array(bytes))).toEqual(ours);
    expect(Array.from(mqtt.generate(theirs))).toEqual(bytes);
  });

  it("decodes the same vectors streamed one byte at a time, in order", () => {
    const all = serverToClient.flatMap((v) => v.bytes);
    const stream = createPacketStream(4096);
    const got: IncomingPacket[] = [];
    for (const byte of all) expect(pushBytes(stream, new Uint8Array([byte]), (p) => got.push(p))).toBeUndefined();
    expect(got).toEqual(serverToClient.map((v) => v.ours));
    expect(streamIdle(stream)).toBe(true);
  });

  it("names the CONNACK return codes", () => {
    expect(CONNACK_CODE_NAMES).toEqual([
      "accepted",
      "unacceptable protocol version",
      "identifier rejected",
      "server unavailable",
      "bad user name or password",
      "not authorized",
    ]);
  });
});

describe("Remaining Length boundaries (1 to 4 bytes)", () => {
  // A QoS 0 PUBLISH to topic "t": 3 bytes of topic field, then the payload fills the rest.
  const cases: Array<[remaining: number, header: number[]]> = [
    [0x7f, [0x7f]], // 127: the largest 1-byte length
    [0x80, [0x80, 0x01]], // 128: the smallest 2-byte length
    [16383, [0xff, 0x7f]], // the largest 2-byte length
    [16384, [0x80, 0x80, 0x01]], // the smallest 3-byte length
    [2097151, [0xff, 0xff, 0x7f]], // the largest 3-byte length
    [2097152, [0x80, 0x80, 0x80, 0x01]], // the smallest 4-byte length
  ];

  it.each(cases)("remaining length %i encodes as %j", (remaining, header) => {
    const payload = new Uint8Array(remaining - 3).map((_, i) => i * 7);
    const encoded = encodePublish({ topic: "t", payload, qos: 0, dup: false, retain: false, id: 0 });
    expect(encoded.length).toBe(1 + header.length + remaining);
    expect(Array.from(encoded.subarray(0, 1 + header.length + 3))).toEqual([0x30, ...header, 0x00, 0x01, 0x74]);
    // (Buffer.compare: expect's deep equality is slow on megabytes.)
    expect(Buffer.compare(encoded.subarray(1 + header.length + 3), payload)).toBe(0);

    // mqtt-packet agrees both ways: it generates the same bytes and parses ours back.
    const theirs = mqtt.generate({
      cmd: "publish",
      topic: "t",
      payload: Buffer.from(payload),
      qos: 0,
      dup: false,
      retain: false,
    });
    expect(Buffer.compare(theirs, encoded)).toBe(0);
    const parsed = theirParseOne(encoded) as mqtt.IPublishPacket;
    expect(parsed.length).toBe(remaining);
    expect(Buffer.compare(parsed.payload as Buffer, payload)).toBe(0);

    // And we decode it as a server's PUBLISH.
    const decoded = decodePacket(encoded);
    expect(decoded).toMatchObject({ type: PacketType.PUBLISH, topic: "t", qos: 0 });
    expect(Buffer.compare((decoded as { payload: Uint8Array }).payload, payload)).toBe(0);
  });

  it("reads the largest 4-byte length, 268,435,455 (FF FF FF 7F)", () => {
    // Checked against a small maximum so that nothing is allocated: the error reports the size read.
    const stream = createPacketStream(4096);
    const error = pushBytes(stream, new Uint8Array([0x30, 0xff, 0xff, 0xff, 0x7f]), () => expect.unreachable());
    expect(error).toEqual({ type: PacketType.MALFORMED, error: expect.stringContaining(String(1 + 4 + 268435455)) });
  });
});
