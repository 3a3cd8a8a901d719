/**
 * Resumable decoder for a byte stream: TCP splits and merges packets as it likes, so bytes are
 * fed in any chunks and whole packets come out in order. It walks named steps (fixed header,
 * remaining length, body) and keeps at most one packet's body, refused above `maxPacketSize`
 * before a byte of it is buffered. After an error it stays failed: the connection must close.
 */
import { decodeBody, fixedHeaderError, malformed } from "./decode";
import { PacketType, type IncomingPacket, type MalformedPacket } from "./packets";

const enum Step {
  HEADER,
  LENGTH,
  BODY,
  FAILED,
}

export interface PacketStream {
  /**
   * Feeds one chunk; calls `onPacket` for each complete packet, in order.
   * Returns a MalformedPacket when the stream breaks the spec (now or earlier), else undefined.
   */
  push(chunk: Uint8Array, onPacket: (packet: IncomingPacket) => void): MalformedPacket | undefined;
  /** True between packets: nothing half-read is buffered. */
  idle(): boolean;
  /** Bytes of a packet body held right now (never more than the maximum packet size). */
  buffered(): number;
}

/** @param maxPacketSize largest whole packet accepted, fixed header included */
export function createPacketStream(maxPacketSize: number): PacketStream {
  let step = Step.HEADER;
  let firstByte = 0;
  let remaining = 0;
  let multiplier = 1;
  let lengthBytes = 0;
  let body = new Uint8Array(0);
  let filled = 0;
  let failure = "";

  function fail(why: string): MalformedPacket {
    step = Step.FAILED;
    failure = why;
    body = new Uint8Array(0);
    return malformed(why);
  }

  return {
    push(chunk, onPacket) {
      for (let i = 0; i < chunk.length && step !== Step.FAILED;) {
        if (step === Step.HEADER) {
          const why = fixedHeaderError(chunk[i]);
          if (why) return fail(why);
          firstByte = chunk[i++];
          remaining = 0;
          multiplier = 1;
          lengthBytes = 0;
          step = Step.LENGTH;
        } else if (step === Step.LENGTH) {
          const digit = chunk[i++];
          remaining += (digit & 127) * multiplier;
          multiplier *= 128;
          if (++lengthBytes === 4 && digit & 128) return fail("remaining length over 4 bytes");
          if (digit & 128) continue;
          if (1 + lengthBytes + remaining > maxPacketSize) {
            return fail("packet of " + (1 + lengthBytes + remaining) + " bytes over the limit " + maxPacketSize);
          }
          // A new body for every packet, never reused: a decoded PUBLISH's payload is a view of it.
          body = new Uint8Array(remaining);
          filled = 0;
          step = Step.BODY;
        } else {
          const take = Math.min(remaining - filled, chunk.length - i);
          body.set(chunk.subarray(i, i + take), filled);
          filled += take;
          i += take;
        }
        if (step === Step.BODY && filled === remaining) {
          const packet = decodeBody(firstByte, body);
          step = Step.HEADER;
          body = new Uint8Array(0);
          if (packet.type === PacketType.MALFORMED) return fail(packet.error);
          onPacket(packet);
        }
      }
      return step === Step.FAILED ? malformed(failure) : undefined;
    },
    idle: () => step === Step.HEADER,
    buffered: () => body.length,
  };
}

/** Decodes exactly one whole packet from `bytes` (tests and tools; the session uses a PacketStream). */
export function decodePacket(bytes: Uint8Array, maxPacketSize = 268435460): IncomingPacket | MalformedPacket {
  const stream = createPacketStream(maxPacketSize);
  const packets: IncomingPacket[] = [];
  const error = stream.push(bytes, (p) => packets.push(p));
  if (error) return error;
  if (packets.length !== 1 || !stream.idle())
    return malformed(packets.length > 1 ? "more than one packet" : "truncated packet");
  return packets[0];
}
