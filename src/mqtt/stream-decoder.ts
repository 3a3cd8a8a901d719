/**
 * Resumable decoder for a byte stream: TCP splits and merges packets as it likes, so bytes are
 * fed in any chunks and whole packets come out in order. It walks named steps (fixed header,
 * remaining length, body) and keeps at most one packet's body, refused above `maxPacketSize`
 * before a byte of it is buffered. After an error it stays failed: the connection must close.
 */
import { decodeBody, fixedHeaderError, malformed } from "./decode";
import { PacketType, type IncomingPacket, type MalformedPacket } from "./packets";

export const enum DecodeStep {
  HEADER,
  LENGTH,
  BODY,
  FAILED,
}

/**
 * A stream's state, a plain object read by the functions below: on Espruino an object of methods
 * costs a function, its scope and its parameters per method, all held while connected.
 */
export interface PacketStream {
  _step: DecodeStep;
  _firstByte: number;
  _remaining: number;
  /** Bytes of remaining length read so far (each worth 128 times the one before). */
  _lengthBytes: number;
  _body: Uint8Array;
  _filled: number;
  _failure: string;
  /** The largest whole packet accepted, fixed header included. */
  _max: number;
}

/** @param maxPacketSize largest whole packet accepted, fixed header included */
export function createPacketStream(maxPacketSize: number): PacketStream {
  return {
    _step: DecodeStep.HEADER,
    _firstByte: 0,
    _remaining: 0,
    _lengthBytes: 0,
    _body: new Uint8Array(0),
    _filled: 0,
    _failure: "",
    _max: maxPacketSize,
  };
}

function fail(s: PacketStream, why: string): MalformedPacket {
  s._step = DecodeStep.FAILED;
  s._failure = why;
  s._body = new Uint8Array(0);
  return malformed(why);
}

/**
 * Feeds one chunk; calls `onPacket` for each complete packet, in order.
 * Returns a MalformedPacket when the stream breaks the spec (now or earlier), else undefined.
 */
export function pushBytes(
  s: PacketStream,
  chunk: Uint8Array,
  onPacket: (packet: IncomingPacket) => void,
): MalformedPacket | undefined {
  for (let i = 0; i < chunk.length && s._step !== DecodeStep.FAILED;) {
    if (s._step === DecodeStep.HEADER) {
      const why = fixedHeaderError(chunk[i]);
      if (why) return fail(s, why);
      s._firstByte = chunk[i++];
      s._remaining = 0;
      s._lengthBytes = 0;
      s._step = DecodeStep.LENGTH;
    } else if (s._step === DecodeStep.LENGTH) {
      const digit = chunk[i++];
      s._remaining += (digit & 127) * Math.pow(128, s._lengthBytes);
      if (++s._lengthBytes === 4 && digit & 128) return fail(s, "remaining length over 4 bytes");
      if (digit & 128) continue;
      const size = 1 + s._lengthBytes + s._remaining;
      if (size > s._max) return fail(s, "packet of " + size + " bytes over the limit " + s._max);
      // A new body for every packet, never reused: a decoded PUBLISH's payload is a view of it.
      s._body = new Uint8Array(s._remaining);
      s._filled = 0;
      s._step = DecodeStep.BODY;
    } else {
      const take = Math.min(s._remaining - s._filled, chunk.length - i);
      s._body.set(chunk.subarray(i, i + take), s._filled);
      s._filled += take;
      i += take;
    }
    if (s._step === DecodeStep.BODY && s._filled === s._remaining) {
      const packet = decodeBody(s._firstByte, s._body);
      s._step = DecodeStep.HEADER;
      s._body = new Uint8Array(0);
      if (packet.type === PacketType.MALFORMED) return fail(s, packet.error);
      onPacket(packet);
    }
  }
  return s._step === DecodeStep.FAILED ? malformed(s._failure) : undefined;
}

/** True between packets: nothing half-read is buffered. */
export function streamIdle(s: PacketStream): boolean {
  return s._step === DecodeStep.HEADER;
}

/** Bytes of a packet body held right now (never more than the maximum packet size). */
export function bufferedBytes(s: PacketStream): number {
  return s._body.length;
}

/** Decodes exactly one whole packet from `bytes` (tests and tools; the session uses a PacketStream). */
export function decodePacket(bytes: Uint8Array, maxPacketSize = 268435460): IncomingPacket | MalformedPacket {
  const stream = createPacketStream(maxPacketSize);
  const packets: IncomingPacket[] = [];
  const error = pushBytes(stream, bytes, (p) => packets.push(p));
  if (error) return error;
  if (packets.length !== 1 || !streamIdle(stream))
    return malformed(packets.length > 1 ? "more than one packet" : "truncated packet");
  return packets[0];
}
