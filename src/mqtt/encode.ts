/**
 * The encoder's public face: one function per client-to-server packet that checks its arguments
 * (bad ones are programming errors and throw), then serializes (serialize.ts). The device ships
 * only the serializers; what it sends is checked where it comes from (see serialize.ts).
 */
import { isUtf8 } from "./utf8";
import { topicFilterError, topicNameError } from "./topic";
import {
  filtersLength,
  serializeAck,
  serializeConnect,
  serializeEmpty,
  serializeFilters,
  serializePublish,
} from "./serialize";
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

function fail(why: string): never {
  throw new Error("mqtt encode: " + why);
}

/** Checks a WireString: a byte string of well-formed UTF-8 that fits a 2-byte length. */
function checkString(text: WireString, what: string): void {
  if (text.length > 65535) fail(what + " over 65535 bytes");
  // Also refuses chars above 0xff: a WireString holds bytes (see utf8Encode).
  if (!isUtf8(text, 0, text.length)) fail(what + " is not UTF-8 bytes (utf8Encode it)");
}

function checkId(id: number): void {
  if (!(id >= 1 && id <= 65535 && id % 1 === 0)) fail("packet id must be 1..65535");
}

function checkQos(qos: number): void {
  if (qos !== 0 && qos !== 1 && qos !== 2) fail("QoS must be 0, 1 or 2");
}

function checkField(data: Payload, what: string): void {
  if (data.length > 65535) fail(what + " over 65535 bytes");
}

function checkRemaining(length: number): void {
  if (length > MAX_REMAINING_LENGTH) fail("packet too large");
}

export function encodeConnect(o: ConnectOptions): Uint8Array {
  checkString(o.clientId, "client id");
  if (o.clientId.length === 0 && !o.cleanSession) fail("an empty client id needs a clean session");
  if (!(o.keepalive >= 0 && o.keepalive <= 65535)) fail("keepalive must be 0..65535 s");
  const will = o.will;
  if (will) {
    if (topicNameError(will.topic)) fail("will " + topicNameError(will.topic));
    checkQos(will.qos);
    checkString(will.topic, "will topic");
    checkField(will.payload, "will payload");
  }
  if (o.username !== undefined) checkString(o.username, "user name");
  if (o.password !== undefined) {
    if (o.username === undefined) fail("a password needs a user name"); // MQTT-3.1.2-22
    checkField(o.password, "password");
  }
  return serializeConnect(o);
}

export function encodePublish(o: PublishOptions): Uint8Array {
  const why = topicNameError(o.topic);
  if (why) fail(why);
  checkQos(o.qos);
  checkString(o.topic, "topic");
  if (o.qos > 0) checkId(o.id);
  else if (o.dup) fail("DUP set on a QoS 0 PUBLISH"); // MQTT-3.3.1-2
  checkRemaining(2 + o.topic.length + (o.qos ? 2 : 0) + o.payload.length); // as serializePublish
  return serializePublish(o);
}

/** PUBACK, PUBREC, PUBREL or PUBCOMP: the type and a packet id. */
export function encodeAck(
  type: PacketType.PUBACK | PacketType.PUBREC | PacketType.PUBREL | PacketType.PUBCOMP,
  id: number,
): Uint8Array {
  checkId(id);
  return serializeAck(type, id);
}

/** At least one filter (MQTT-3.8.3-3, MQTT-3.10.3-2), each valid. */
function checkFilters(id: number, filters: WireString[], qos?: QoS[]): void {
  checkId(id);
  if (filters.length === 0) fail("no filter");
  for (let i = 0; i < filters.length; i++) {
    const why = topicFilterError(filters[i]);
    if (why) fail(why);
    if (qos) checkQos(qos[i]);
    checkString(filters[i], "filter");
  }
  checkRemaining(filtersLength(filters, qos));
}

export function encodeSubscribe(id: number, subscriptions: Subscription[]): Uint8Array {
  const filters = subscriptions.map((s) => s.filter);
  const qos = subscriptions.map((s) => s.qos);
  checkFilters(id, filters, qos);
  return serializeFilters(PacketType.SUBSCRIBE, id, filters, qos);
}

export function encodeUnsubscribe(id: number, filters: WireString[]): Uint8Array {
  checkFilters(id, filters);
  return serializeFilters(PacketType.UNSUBSCRIBE, id, filters);
}

/** PINGREQ or DISCONNECT: a fixed header and nothing else. */
export function encodeEmpty(type: PacketType.PINGREQ | PacketType.DISCONNECT): Uint8Array {
  return serializeEmpty(type);
}
