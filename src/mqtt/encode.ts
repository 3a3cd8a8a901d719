/**
 * One pure encoder per client-to-server packet. Bad arguments are programming errors and throw;
 * the session validates what it passes in, so nothing throws at run time on the device.
 */
import { isUtf8 } from "./utf8";
import { topicFilterError, topicNameError } from "./topic";
import {
  PacketType,
  type ConnectOptions,
  type Payload,
  type PublishOptions,
  type QoS,
  type Subscription,
  type WireString,
} from "./packets";

/** Largest Remaining Length the 4-byte variable integer can hold (MQTT-2.2.3). */
export const MAX_REMAINING_LENGTH = 268435455;

/** The packet being written and the next byte's index (`_` names: the minifier shortens them). */
interface Writer {
  _bytes: Uint8Array;
  _pos: number;
}

function fail(why: string): never {
  throw new Error("mqtt encode: " + why);
}

/** Allocates the whole packet and writes its fixed header: type and flags, then Remaining Length. */
function startPacket(firstByte: number, remaining: number): Writer {
  if (remaining > MAX_REMAINING_LENGTH) fail("packet too large");
  const lengthBytes = remaining < 128 ? 1 : remaining < 16384 ? 2 : remaining < 2097152 ? 3 : 4;
  const w: Writer = { _bytes: new Uint8Array(1 + lengthBytes + remaining), _pos: 1 };
  w._bytes[0] = firstByte;
  do {
    let digit = remaining % 128;
    remaining = (remaining - digit) / 128;
    if (remaining > 0) digit |= 128;
    w._bytes[w._pos++] = digit;
  } while (remaining > 0);
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

/** Checks a WireString: a byte string of well-formed UTF-8 that fits a 2-byte length. */
function checkString(text: WireString, what: string): number {
  if (text.length > 65535) fail(what + " over 65535 bytes");
  // Also refuses chars above 0xff: a WireString holds bytes (see utf8Encode).
  if (!isUtf8(text, 0, text.length)) fail(what + " is not UTF-8 bytes (utf8Encode it)");
  return 2 + text.length;
}

function checkId(id: number): void {
  if (!(id >= 1 && id <= 65535 && id % 1 === 0)) fail("packet id must be 1..65535");
}

function checkQos(qos: number): void {
  if (qos !== 0 && qos !== 1 && qos !== 2) fail("QoS must be 0, 1 or 2");
}

function checkField(data: Payload, what: string): number {
  if (data.length > 65535) fail(what + " over 65535 bytes");
  return 2 + data.length;
}

export function encodeConnect(o: ConnectOptions): Uint8Array {
  // Variable header: protocol name "MQTT", level 4, flags, keepalive.
  let length = 10 + checkString(o.clientId, "client id");
  let flags = o.cleanSession ? 2 : 0;
  if (o.clientId.length === 0 && !o.cleanSession) fail("an empty client id needs a clean session");
  if (!(o.keepalive >= 0 && o.keepalive <= 65535)) fail("keepalive must be 0..65535 s");
  const will = o.will;
  if (will) {
    if (topicNameError(will.topic)) fail("will " + topicNameError(will.topic));
    checkQos(will.qos);
    length += checkString(will.topic, "will topic") + checkField(will.payload, "will payload");
    flags |= 4 | (will.qos << 3) | (will.retain ? 32 : 0);
  }
  if (o.username !== undefined) {
    length += checkString(o.username, "user name");
    flags |= 128;
  }
  if (o.password !== undefined) {
    if (o.username === undefined) fail("a password needs a user name"); // MQTT-3.1.2-22
    length += checkField(o.password, "password");
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

export function encodePublish(o: PublishOptions): Uint8Array {
  const why = topicNameError(o.topic);
  if (why) fail(why);
  checkQos(o.qos);
  let length = checkString(o.topic, "topic") + o.payload.length;
  if (o.qos > 0) {
    checkId(o.id);
    length += 2;
  }
  const w = startPacket((PacketType.PUBLISH << 4) | (o.dup ? 8 : 0) | (o.qos << 1) | (o.retain ? 1 : 0), length);
  writeField(w, o.topic);
  if (o.qos > 0) writeU16(w, o.id);
  writeRaw(w, o.payload);
  return w._bytes;
}

/** PUBACK, PUBREC, PUBREL or PUBCOMP: the type and a packet id (PUBREL's flags are 0010). */
export function encodeAck(
  type: PacketType.PUBACK | PacketType.PUBREC | PacketType.PUBREL | PacketType.PUBCOMP,
  id: number,
): Uint8Array {
  checkId(id);
  const w = startPacket((type << 4) | (type === PacketType.PUBREL ? 2 : 0), 2);
  writeU16(w, id);
  return w._bytes;
}

/**
 * SUBSCRIBE (with a requested QoS byte after each filter) and UNSUBSCRIBE (filters only) share
 * one layout: a packet id, then at least one filter (MQTT-3.8.3-3, MQTT-3.10.3-2).
 */
function encodeFilters(type: PacketType.SUBSCRIBE | PacketType.UNSUBSCRIBE, id: number, filters: WireString[], qos?: QoS[]): Uint8Array {
  checkId(id);
  if (filters.length === 0) fail("no filter");
  let length = 2;
  for (let i = 0; i < filters.length; i++) {
    const why = topicFilterError(filters[i]);
    if (why) fail(why);
    if (qos) checkQos(qos[i]);
    length += checkString(filters[i], "filter") + (qos ? 1 : 0);
  }
  const w = startPacket((type << 4) | 2, length);
  writeU16(w, id);
  for (let i = 0; i < filters.length; i++) {
    writeField(w, filters[i]);
    if (qos) w._bytes[w._pos++] = qos[i];
  }
  return w._bytes;
}

export function encodeSubscribe(id: number, subscriptions: Subscription[]): Uint8Array {
  return encodeFilters(
    PacketType.SUBSCRIBE,
    id,
    subscriptions.map((s) => s.filter),
    subscriptions.map((s) => s.qos),
  );
}

export function encodeUnsubscribe(id: number, filters: WireString[]): Uint8Array {
  return encodeFilters(PacketType.UNSUBSCRIBE, id, filters);
}

/** PINGREQ or DISCONNECT: a fixed header and nothing else. */
export function encodeEmpty(type: PacketType.PINGREQ | PacketType.DISCONNECT): Uint8Array {
  return startPacket(type << 4, 0)._bytes;
}
