/**
 * The session sends its packets as binary strings built by concatenation (publishText,
 * publishHeaderText, ackText, emptyText); the codec's tests check the binary serializers against
 * the spec and mqtt-packet. Each pair must give the same bytes.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { bytesToBinaryString } from "../../src/mqtt/binary-string";
import { createPacketStream, pushBytes } from "../../src/mqtt/stream-decoder";
import { PacketType } from "../../src/mqtt/packets";
import {
  ackText,
  emptyText,
  publishHeaderText,
  publishText,
  serializeAck,
  serializeEmpty,
  serializePublish,
} from "../../src/mqtt/serialize";

const binaryString = (max: number) =>
  fc.array(fc.integer({ min: 0, max: 255 }), { maxLength: max }).map((codes) => String.fromCharCode(...codes));

describe("publishText", () => {
  it("gives serializePublish's bytes for any topic, payload, QoS, DUP, retain and id", () => {
    fc.assert(
      fc.property(
        // Payloads across every Remaining Length width: 1, 2 and 3 bytes.
        binaryString(40),
        fc.oneof(
          binaryString(200),
          fc.integer({ min: 16380, max: 16400 }).map((n) => "x".repeat(n)),
        ),
        fc.constantFrom(0 as const, 1 as const),
        fc.boolean(),
        fc.boolean(),
        fc.integer({ min: 1, max: 65535 }),
        (topic, payload, qos, dup, retain, id) => {
          const o = { topic, payload, qos, dup: qos ? dup : false, retain, id };
          expect(publishText(o)).toBe(bytesToBinaryString(serializePublish(o)));
        },
      ),
      { numRuns: 300 },
    );
  });

  it("decodes back to what it was given", () => {
    const text = publishText({
      topic: "sensors/esp32-1/temperature",
      payload: '{"seq":7}',
      qos: 1,
      dup: true,
      retain: false,
      id: 513,
    });
    const bytes = Uint8Array.from(text, (c) => c.charCodeAt(0));
    const packets: unknown[] = [];
    expect(pushBytes(createPacketStream(4096), bytes, (p) => packets.push(p))).toBeUndefined();
    expect(packets).toHaveLength(1);
    expect(packets[0]).toMatchObject({
      topic: "sensors/esp32-1/temperature",
      qos: 1,
      dup: true,
      retain: false,
      id: 513,
    });
    expect(String.fromCharCode(...(packets[0] as { payload: Uint8Array }).payload)).toBe('{"seq":7}');
  });
});

describe("publishHeaderText", () => {
  it("is serializePublish's bytes up to the payload, for a bytes payload too", () => {
    fc.assert(
      fc.property(
        binaryString(40),
        fc.oneof(
          fc.uint8Array({ maxLength: 300 }),
          fc.integer({ min: 16380, max: 16400 }).map((n) => new Uint8Array(n).fill(7)),
        ),
        fc.constantFrom(0 as const, 1 as const),
        fc.integer({ min: 1, max: 65535 }),
        (topic, payload, qos, id) => {
          const o = { topic, payload, qos, dup: false, retain: true, id };
          expect(publishHeaderText(o) + bytesToBinaryString(payload)).toBe(bytesToBinaryString(serializePublish(o)));
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe("ackText and emptyText", () => {
  it("give serializeAck's and serializeEmpty's bytes", () => {
    const types = [PacketType.PUBACK, PacketType.PUBREC, PacketType.PUBREL, PacketType.PUBCOMP] as const;
    fc.assert(
      fc.property(fc.constantFrom(...types), fc.integer({ min: 1, max: 65535 }), (type, id) => {
        expect(ackText(type, id)).toBe(bytesToBinaryString(serializeAck(type, id)));
      }),
    );
    for (const type of [PacketType.PINGREQ, PacketType.DISCONNECT] as const)
      expect(emptyText(type)).toBe(bytesToBinaryString(serializeEmpty(type)));
  });
});
