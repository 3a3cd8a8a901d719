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
  private _step = Step.HEADER;
  private _firstByte = 0;
  private _remaining = 0;
  private _multiplier = 1;
  private _lengthBytes = 0;
  private _body = new Uint8Array(0);
  private _filled = 0;
  /** Why the stream failed, or "" while it is healthy. */
  error = "";

  /** @param maxPacketSize largest whole packet accepted, fixed header included */
  constructor(private readonly _maxPacketSize: number) {}

  /**
   * Feeds one chunk; calls `onPacket` for each complete packet, in order.
   * Returns a MalformedPacket when the stream breaks the spec (now or earlier), else undefined.
   */
  push(chunk: Uint8Array, onPacket: (packet: IncomingPacket) => void): MalformedPacket | undefined {
    for (let i = 0; i < chunk.length; ) {
      if (this._step === Step.FAILED) break;
      if (this._step === Step.HEADER) {
        const why = fixedHeaderError(chunk[i]);
        if (why) return this._fail(why);
        this._firstByte = chunk[i++];
        this._remaining = 0;
        this._multiplier = 1;
        this._lengthBytes = 0;
        this._step = Step.LENGTH;
      } else if (this._step === Step.LENGTH) {
        const digit = chunk[i++];
        this._remaining += (digit & 127) * this._multiplier;
        this._multiplier *= 128;
        if (++this._lengthBytes === 4 && digit & 128) return this._fail("remaining length over 4 bytes");
        if (digit & 128) continue;
        if (1 + this._lengthBytes + this._remaining > this._maxPacketSize) {
          return this._fail("packet of " + (1 + this._lengthBytes + this._remaining) + " bytes over the limit " + this._maxPacketSize);
        }
        this._body = new Uint8Array(this._remaining);
        this._filled = 0;
        this._step = Step.BODY;
      } else {
        const take = Math.min(this._remaining - this._filled, chunk.length - i);
        this._body.set(chunk.subarray(i, i + take), this._filled);
        this._filled += take;
        i += take;
      }
      if (this._step === Step.BODY && this._filled === this._remaining) {
        const packet = decodeBody(this._firstByte, this._body);
        this._step = Step.HEADER;
        this._body = new Uint8Array(0);
        if (packet.type === PacketType.MALFORMED) return this._fail(packet.error);
        onPacket(packet);
      }
    }
    return this._step === Step.FAILED ? malformed(this.error) : undefined;
  }

  /** True between packets: nothing half-read is buffered. */
  idle(): boolean {
    return this._step === Step.HEADER;
  }

  private _fail(why: string): MalformedPacket {
    this._step = Step.FAILED;
    this.error = why;
    this._body = new Uint8Array(0);
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
