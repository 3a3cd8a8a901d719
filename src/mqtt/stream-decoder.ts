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

export class PacketStream {
  private step = Step.HEADER;
  private firstByte = 0;
  private remaining = 0;
  private multiplier = 1;
  private lengthBytes = 0;
  private body = new Uint8Array(0);
  private filled = 0;
  /** Why the stream failed, or "" while it is healthy. */
  error = "";

  /** @param maxPacketSize largest whole packet accepted, fixed header included */
  constructor(private readonly maxPacketSize: number) {}

  /**
   * Feeds one chunk; calls `onPacket` for each complete packet, in order.
   * Returns a MalformedPacket when the stream breaks the spec (now or earlier), else undefined.
   */
  push(chunk: Uint8Array, onPacket: (packet: IncomingPacket) => void): MalformedPacket | undefined {
    for (let i = 0; i < chunk.length; ) {
      if (this.step === Step.FAILED) break;
      if (this.step === Step.HEADER) {
        const why = fixedHeaderError(chunk[i]);
        if (why) return this.fail(why);
        this.firstByte = chunk[i++];
        this.remaining = 0;
        this.multiplier = 1;
        this.lengthBytes = 0;
        this.step = Step.LENGTH;
      } else if (this.step === Step.LENGTH) {
        const digit = chunk[i++];
        this.remaining += (digit & 127) * this.multiplier;
        this.multiplier *= 128;
        if (++this.lengthBytes === 4 && digit & 128) return this.fail("remaining length over 4 bytes");
        if (digit & 128) continue;
        if (1 + this.lengthBytes + this.remaining > this.maxPacketSize) {
          return this.fail("packet of " + (1 + this.lengthBytes + this.remaining) + " bytes over the limit " + this.maxPacketSize);
        }
        this.body = new Uint8Array(this.remaining);
        this.filled = 0;
        this.step = Step.BODY;
      } else {
        const take = Math.min(this.remaining - this.filled, chunk.length - i);
        this.body.set(chunk.subarray(i, i + take), this.filled);
        this.filled += take;
        i += take;
      }
      if (this.step === Step.BODY && this.filled === this.remaining) {
        const packet = decodeBody(this.firstByte, this.body);
        this.step = Step.HEADER;
        this.body = new Uint8Array(0);
        if (packet.type === PacketType.MALFORMED) return this.fail(packet.error);
        onPacket(packet);
      }
    }
    return this.step === Step.FAILED ? malformed(this.error) : undefined;
  }

  /** True between packets: nothing half-read is buffered. */
  idle(): boolean {
    return this.step === Step.HEADER;
  }

  private fail(why: string): MalformedPacket {
    this.step = Step.FAILED;
    this.error = why;
    this.body = new Uint8Array(0);
    return malformed(why);
  }
}

/** Decodes exactly one whole packet from `bytes` (tests and tools; the session uses PacketStream). */
export function decodePacket(bytes: Uint8Array, maxPacketSize = 268435460): IncomingPacket | MalformedPacket {
  const stream = new PacketStream(maxPacketSize);
  const packets: IncomingPacket[] = [];
  const error = stream.push(bytes, (p) => packets.push(p));
  if (error) return error;
  if (packets.length !== 1 || !stream.idle()) return malformed(packets.length > 1 ? "more than one packet" : "truncated packet");
  return packets[0];
}
