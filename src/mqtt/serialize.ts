/**
 * One pure serializer per client-to-server packet, for arguments already known to be valid:
 * this is the part of the encoder the device ships. `encode.ts` checks arguments, then calls
 * these; the session calls them directly, as it only passes what it has checked itself (topics
 * at publish()) or what the build checked (client id, Will, credentials).
 */
import {
  PacketType,
  type ConnectOptions,
  type Payload,
  type PublishOptions,
  type QoS,
  type WireString,
} from "./packets";

/** The packet being written and the next byte's index (`_` names: the minifier shortens them). */
interface Writer {
  _bytes: Uint8Array;
  _pos: number;
}

/** Remaining Length as its 1-4 bytes, a binary string (MQTT-2.2.3). */
function remainingLengthText(remaining: number): string {
  let text = "";
  do {
    let digit = remaining % 128;
    remaining = (remaining - digit) / 128;
    if (remaining > 0) digit |= 128;
    text += String.fromCharCode(digit);
  } while (remaining > 0);
  return text;
}

/** Allocates the whole packet and writes its fixed header: type and flags, then Remaining Length. */
function startPacket(firstByte: number, remaining: number): Writer {
  const lengthText = remainingLengthText(remaining);
  const w: Writer = { _bytes: new Uint8Array(1 + lengthText.length + remaining), _pos: 1 };
  w._bytes[0] = firstByte;
  writeRaw(w, lengthText);
  return w;
}

function writeU16(w: Writer, value: number): void {
  w._bytes[w._pos++] = value >> 8;
  w._bytes[w._pos++] = value & 255;
}

function writeRaw(w: Writer, data: Payload): void {
  if (typeof data === "string") for (let i = 0; i < data.length; i++) w._bytes[w._pos++] = data.charCodeAt(i);
  else {
    w._bytes.set(data, w._pos);
    w._pos += data.length;
  }
}

/** Two-byte length then the bytes, for strings and binary data alike (MQTT-1.5.3). */
function writeField(w: Writer, data: Payload): void {
  writeU16(w, data.length);
  writeRaw(w, data);
}

export function serializeConnect(o: ConnectOptions): Uint8Array {
  const will = o.will;
  // Variable header: protocol name "MQTT", level 4, flags, keepalive; then the client id.
  let length = 12 + o.clientId.length;
  let flags = o.cleanSession ? 2 : 0;
  if (will) {
    length += 4 + will.topic.length + will.payload.length;
    flags |= 4 | (will.qos << 3) | (will.retain ? 32 : 0);
  }
  if (o.username !== undefined) {
    length += 2 + o.username.length;
    flags |= 128;
  }
  if (o.password !== undefined) {
    length += 2 + o.password.length;
    flags |= 64;
  }
  const w = startPacket(PacketType.CONNECT << 4, length);
  writeField(w, "MQTT");
  w._bytes[w._pos++] = 4;
  w._bytes[w._pos++] = flags;
  writeU16(w, o.keepalive);
  writeField(w, o.clientId);
  if (will) {
    writeField(w, will.topic);
    writeField(w, will.payload);
  }
  if (o.username !== undefined) writeField(w, o.username);
  if (o.password !== undefined) writeField(w, o.password);
  return w._bytes;
}

function publishFirstByte(o: PublishOptions): number {
  return (PacketType.PUBLISH << 4) | (o.dup ? 8 : 0) | (o.qos << 1) | (o.retain ? 1 : 0);
}

function publishRemaining(o: PublishOptions): number {
  return 2 + o.topic.length + (o.qos ? 2 : 0) + o.payload.length;
}

export function serializePublish(o: PublishOptions): Uint8Array {
  const w = startPacket(publishFirstByte(o), publishRemaining(o));
  writeField(w, o.topic);
  if (o.qos) writeU16(w, o.id);
  writeRaw(w, o.payload);
  return w._bytes;
}

const u16Text = (n: number) => String.fromCharCode(n >> 8, n & 255);

/**
 * The same PUBLISH as serializePublish, as a binary string, for a string payload: what the session
 * sends. Native concatenation instead of a loop per byte: on Espruino a 130-byte PUBLISH takes
 * 0.04 ms this way and 1.3 ms through a Uint8Array (docs/benchmarks.md).
 */
export function publishText(o: PublishOptions & { payload: string }): string {
  return publishHeaderText(o) + o.payload;
}

/** publishText less the payload: a long payload is written after it as it is, not copied into one string. */
export function publishHeaderText(o: PublishOptions): string {
  return (
    String.fromCharCode(publishFirstByte(o)) +
    remainingLengthText(publishRemaining(o)) +
    u16Text(o.topic.length) +
    o.topic +
    (o.qos ? u16Text(o.id) : "")
  );
}

/** PUBACK, PUBREC, PUBREL or PUBCOMP: the type and a packet id (PUBREL's flags are 0010). */
export function serializeAck(
  type: PacketType.PUBACK | PacketType.PUBREC | PacketType.PUBREL | PacketType.PUBCOMP,
  id: number,
): Uint8Array {
  const w = startPacket((type << 4) | (type === PacketType.PUBREL ? 2 : 0), 2);
  writeU16(w, id);
  return w._bytes;
}

/** Remaining Length of a SUBSCRIBE (`qos` given) or UNSUBSCRIBE: packet id, then the filters. */
export function filtersLength(filters: WireString[], qos?: QoS[]): number {
  let length = 2;
  for (let i = 0; i < filters.length; i++) length += 2 + filters[i].length + (qos ? 1 : 0);
  return length;
}

/**
 * SUBSCRIBE (with a requested QoS byte after each filter) and UNSUBSCRIBE (filters only) share
 * one layout: a packet id, then the filters.
 */
export function serializeFilters(
  type: PacketType.SUBSCRIBE | PacketType.UNSUBSCRIBE,
  id: number,
  filters: WireString[],
  qos?: QoS[],
): Uint8Array {
  const w = startPacket((type << 4) | 2, filtersLength(filters, qos));
  writeU16(w, id);
  for (let i = 0; i < filters.length; i++) {
    writeField(w, filters[i]);
    if (qos) w._bytes[w._pos++] = qos[i];
  }
  return w._bytes;
}

/** PINGREQ or DISCONNECT: a fixed header and nothing else. */
export function serializeEmpty(type: PacketType.PINGREQ | PacketType.DISCONNECT): Uint8Array {
  return startPacket(type << 4, 0)._bytes;
}

/** serializeAck as a binary string (the session's form: no Uint8Array to build and convert). */
export function ackText(
  type: PacketType.PUBACK | PacketType.PUBREC | PacketType.PUBREL | PacketType.PUBCOMP,
  id: number,
): WireString {
  return String.fromCharCode((type << 4) | (type === PacketType.PUBREL ? 2 : 0), 2) + u16Text(id);
}

/** serializeEmpty as a binary string. */
export function emptyText(type: PacketType.PINGREQ | PacketType.DISCONNECT): WireString {
  return String.fromCharCode(type << 4, 0);
}
