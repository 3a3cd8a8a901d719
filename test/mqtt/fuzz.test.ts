/**
 * Fuzzing the stream decoder with seeded random and mutated byte streams.
 *
 * For every case: PacketStream.push never throws and returns (no hang: the test has a time
 * limit), never holds a body larger than the maximum packet size, reports errors as MALFORMED
 * values and stays failed afterwards, and gives the same packets and error however the bytes
 * are chunked. Failures name the seed and case number, so any case can be replayed.
 */
import { describe, expect, it } from "vitest";
import {
  bufferedBytes,
  createPacketStream,
  pushBytes,
  type PacketStream,
  PacketType,
  decodeBody,
  encodeAck,
  encodePublish,
  type IncomingPacket,
  type MalformedPacket,
} from "../../src/mqtt/index.ts";
import { seededUint32 } from "../../tools/support/random";

const prng = seededUint32;

type Random = ReturnType<typeof prng>;

/** Bytes of a packet body the stream holds right now. */
const bufferedBody = (stream: PacketStream): number => bufferedBytes(stream);
const below = (rnd: Random, n: number): number => rnd() % n;
const pick = <T>(rnd: Random, items: readonly T[]): T => items[below(rnd, items.length)];
const randomBytes = (rnd: Random, n: number): Uint8Array => {
  const bytes = new Uint8Array(n);
  for (let i = 0; i < n; i++) bytes[i] = rnd() & 255;
  return bytes;
};

/** First bytes a client may receive: most random streams die at byte 0 otherwise. */
const VALID_FIRST_BYTES = [
  0x20, 0x30, 0x31, 0x32, 0x33, 0x34, 0x35, 0x38, 0x3a, 0x3d, 0x40, 0x50, 0x62, 0x70, 0x90, 0xb0, 0xd0,
];

const MAX_SIZES = [2, 4, 5, 16, 64, 300, 4096];

/** One valid server-to-client packet, chosen at random. */
function validPacket(rnd: Random): Uint8Array {
  const id = 1 + below(rnd, 65535);
  switch (below(rnd, 7)) {
    case 0: {
      const code = below(rnd, 6);
      return new Uint8Array([0x20, 0x02, code === 0 ? rnd() & 1 : 0, code]);
    }
    case 1:
    case 2: {
      const topic = pick(rnd, ["a", "a/b", "sensors/x/temp", "\xc3\xa9/\xe2\x82\xac", "/", "$SYS/x"]);
      const payload = randomBytes(rnd, below(rnd, 16) === 0 ? below(rnd, 300) : below(rnd, 20));
      const qos = below(rnd, 3) as 0 | 1 | 2;
      return encodePublish({ topic, payload, qos, dup: qos > 0 && (rnd() & 1) === 1, retain: (rnd() & 1) === 1, id });
    }
    case 3:
      return encodeAck(
        pick(rnd, [PacketType.PUBACK, PacketType.PUBREC, PacketType.PUBREL, PacketType.PUBCOMP] as const),
        id,
      );
    case 4: {
      const granted = Array.from({ length: 1 + below(rnd, 5) }, () => pick(rnd, [0, 1, 2, 0x80]));
      return new Uint8Array([0x90, 2 + granted.length, id >> 8, id & 255, ...granted]);
    }
    case 5:
      return new Uint8Array([0xb0, 0x02, id >> 8, id & 255]);
    default:
      return new Uint8Array([0xd0, 0x00]);
  }
}

/** A valid stream of 1..8 packets, and where each packet starts. */
function validStream(rnd: Random): { bytes: Uint8Array; starts: number[] } {
  const packets = Array.from({ length: 1 + below(rnd, 8) }, () => validPacket(rnd));
  const starts: number[] = [];
  let at = 0;
  for (const p of packets) {
    starts.push(at);
    at += p.length;
  }
  return { bytes: new Uint8Array(Buffer.concat(packets)), starts };
}

/** One mutation of a valid stream. */
function mutate(rnd: Random, stream: { bytes: Uint8Array; starts: number[] }): Uint8Array {
  const bytes = stream.bytes.slice();
  const n = bytes.length;
  switch (below(rnd, 6)) {
    case 0: // bit flips
      for (let k = 1 + below(rnd, 3); k > 0; k--) bytes[below(rnd, n)] ^= 1 << below(rnd, 8);
      return bytes;
    case 1: // truncation
      return bytes.subarray(0, below(rnd, n));
    case 2: {
      // insertion of random bytes
      const at = below(rnd, n + 1);
      return new Uint8Array(
        Buffer.concat([bytes.subarray(0, at), randomBytes(rnd, 1 + below(rnd, 8)), bytes.subarray(at)]),
      );
    }
    case 3: {
      // deletion
      const at = below(rnd, n);
      return new Uint8Array(Buffer.concat([bytes.subarray(0, at), bytes.subarray(at + 1 + below(rnd, 4))]));
    }
    case 4: {
      // Remaining Length corruption: a random value, a continuation bit, or a long run of 0xFF
      const at = pick(rnd, stream.starts) + 1;
      const how = below(rnd, 3);
      if (how === 0) bytes[at] = rnd() & 255;
      else if (how === 1) bytes[at] |= 0x80;
      else
        return new Uint8Array(
          Buffer.concat([bytes.subarray(0, at), new Uint8Array(1 + below(rnd, 6)).fill(0xff), bytes.subarray(at)]),
        );
      return bytes;
    }
    default: // the first byte of a packet replaced by any byte
      bytes[pick(rnd, stream.starts)] = rnd() & 255;
      return bytes;
  }
}

interface Outcome {
  packets: IncomingPacket[];
  error: string;
}

/**
 * Feeds `bytes` to a fresh PacketStream in chunks and checks the invariants after every push.
 * `chunkSizes` cycles; an empty list means one push of everything.
 */
function run(bytes: Uint8Array, max: number, chunkSizes: number[], where: string): Outcome {
  const stream = createPacketStream(max);
  const packets: IncomingPacket[] = [];
  let failed: MalformedPacket | undefined;
  const onPacket = (p: IncomingPacket): void => {
    if (failed) throw new Error(`${where}: a packet after the error`);
    packets.push(p);
  };
  for (let at = 0, k = 0; at < bytes.length || k === 0; k++) {
    const size = chunkSizes.length ? chunkSizes[k % chunkSizes.length] : bytes.length;
    let result: MalformedPacket | undefined;
    try {
      result = pushBytes(stream, bytes.subarray(at, at + size), onPacket);
    } catch (e) {
      throw new Error(`${where}: push threw ${String(e)}`, { cause: e });
    }
    at += size;
    // Two bytes at least precede a body: the first byte and one Remaining Length byte.
    const body = bufferedBody(stream);
    if (body > max - 2 && body > 0) {
      throw new Error(`${where}: buffers ${body} body bytes with a maximum of ${max}`);
    }
    if (result) {
      if (result.type !== PacketType.MALFORMED || typeof result.error !== "string" || result.error === "") {
        throw new Error(`${where}: bad error value ${JSON.stringify(result)}`);
      }
      if (failed && result.error !== failed.error) throw new Error(`${where}: the error changed`);
      failed = result;
    } else if (failed) throw new Error(`${where}: recovered after an error`);
  }
  const after = failed && pushBytes(stream, new Uint8Array(0), () => {});
  if (failed && (!after || after.error !== failed.error))
    throw new Error(`${where}: a failed stream answers ${JSON.stringify(after)}`);
  return { packets, error: failed ? failed.error : "" };
}

function randomChunks(rnd: Random): number[] {
  switch (below(rnd, 3)) {
    case 0:
      return [1];
    case 1:
      return Array.from({ length: 1 + below(rnd, 5) }, () => 1 + below(rnd, 7));
    default:
      return Array.from({ length: 1 + below(rnd, 3) }, () => 1 + below(rnd, 200));
  }
}

/** A packet as a short string, to compare outcomes quickly. */
function summary(p: IncomingPacket): string {
  const fields = p as Partial<{
    id: number;
    topic: string;
    payload: Uint8Array;
    granted: number[];
    returnCode: number;
  }>;
  const payload = fields.payload ? Buffer.from(fields.payload).toString("hex") : "";
  return [p.type, fields.id, fields.topic, payload, fields.granted, fields.returnCode].join(":");
}

/** Runs one case whole and chunked: same packets, same error. */
function check(bytes: Uint8Array, max: number, rnd: Random, where: string): Outcome {
  const whole = run(bytes, max, [], where + " (whole)");
  const chunked = run(bytes, max, randomChunks(rnd), where + " (chunked)");
  if (whole.error !== chunked.error || whole.packets.map(summary).join() !== chunked.packets.map(summary).join()) {
    throw new Error(
      `${where}: chunking changed the outcome: ${JSON.stringify(whole.error)} vs ${JSON.stringify(chunked.error)}`,
    );
  }
  return whole;
}

describe("fuzzing PacketStream", () => {
  it("random byte streams", () => {
    const seed = 0xc0ffee;
    const rnd = prng(seed);
    let errors = 0;
    const cases = 40_000;
    for (let i = 0; i < cases; i++) {
      const bytes = randomBytes(rnd, below(rnd, 48));
      // Half the cases start with a valid first byte, to get past the fixed header.
      if (bytes.length && i % 2) bytes[0] = pick(rnd, VALID_FIRST_BYTES);
      if (check(bytes, pick(rnd, MAX_SIZES), rnd, `seed ${seed} case ${i}`).error) errors++;
    }
    // Most random streams are malformed, but not all are rejected at the same place.
    expect(errors).toBeGreaterThan(cases / 2);
    expect(errors).toBeLessThan(cases);
  });

  it("mutations of valid streams (bit flips, truncation, insertion, deletion, length corruption)", () => {
    const seed = 0xbadc0de;
    const rnd = prng(seed);
    let decoded = 0;
    const cases = 50_000;
    for (let i = 0; i < cases; i++) {
      const stream = validStream(rnd);
      const bytes = mutate(rnd, stream);
      const max = below(rnd, 4) === 0 ? pick(rnd, MAX_SIZES) : 1 << 16;
      decoded += check(bytes, max, rnd, `seed ${seed} case ${i}`).packets.length;
    }
    expect(decoded).toBeGreaterThan(cases); // mutations keep many whole packets decodable
  });

  it("valid streams decode whole however they are chunked", () => {
    const seed = 7;
    const rnd = prng(seed);
    for (let i = 0; i < 5_000; i++) {
      const stream = validStream(rnd);
      const outcome = check(stream.bytes, 1 << 16, rnd, `seed ${seed} case ${i}`);
      if (outcome.error || outcome.packets.length !== stream.starts.length) {
        throw new Error(`seed ${seed} case ${i}: ${outcome.error || "packets lost"}`);
      }
    }
  });

  it("decodeBody never throws on random bodies, for every first byte", () => {
    const seed = 99;
    const rnd = prng(seed);
    for (let i = 0; i < 20_000; i++) {
      const first = i % 256;
      const body = randomBytes(rnd, below(rnd, 12));
      let result: ReturnType<typeof decodeBody>;
      try {
        result = decodeBody(first, body);
      } catch (e) {
        throw new Error(`seed ${seed} case ${i}: decodeBody threw ${String(e)}`, { cause: e });
      }
      if (typeof result !== "object" || typeof result.type !== "number") throw new Error(`case ${i}: bad result`);
    }
  });

  it("refuses a declared length over the maximum from the header alone", () => {
    const seed = 3;
    const rnd = prng(seed);
    for (let i = 0; i < 10_000; i++) {
      // Remaining Length: up to 268,435,455 across 1-4 bytes, skewed to small values near the limit.
      const remaining = below(rnd, 2) ? below(rnd, 600) : rnd() % 268435456;
      const header = [0x30];
      let r = remaining;
      do {
        header.push((r % 128) | (r >= 128 ? 128 : 0));
        r = Math.floor(r / 128);
      } while (r > 0);
      const max = 2 + below(rnd, 600);
      const total = header.length + remaining;
      const stream = createPacketStream(max);
      const result = pushBytes(stream, new Uint8Array(header), () => {
        throw new Error("no packet expected from a header alone");
      });
      const body = bufferedBody(stream);
      if (total > max) {
        if (!result || !/over the limit/.test(result.error) || body !== 0) {
          throw new Error(`case ${i}: ${total} bytes with a maximum of ${max} not refused: ${JSON.stringify(result)}`);
        }
      } else if (result && !/PUBLISH/.test(result.error)) {
        // A PUBLISH of 0 or 1 body bytes is malformed as a PUBLISH, not for its size.
        throw new Error(`case ${i}: ${total} bytes with a maximum of ${max} refused: ${result.error}`);
      } else if (!result && body !== remaining) {
        throw new Error(`case ${i}: body of ${body} for ${remaining}`);
      }
    }
  });
});
