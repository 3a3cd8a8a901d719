/**
 * MQTT 3.1.1 packet shapes shared by the encoder, the decoder and the session.
 *
 * Strings that go on the wire (topics, client id, user name) are `WireString`s: binary strings
 * holding UTF-8 bytes, one char per byte. The device never needs Unicode support that way: the
 * ESP32 build of Espruino has none, the Linux build has it, and both carry byte strings alike.
 * Turn JavaScript text into a WireString with `utf8Encode` (done at build time for settings).
 */

/** Control packet types (MQTT-2.2.1). `const enum`: inlined, no run-time object on the device. */
export const enum PacketType {
  /** Not an MQTT type: marks a decode error (type 0 is reserved by the spec). */
  MALFORMED = 0,
  CONNECT = 1,
  CONNACK = 2,
  PUBLISH = 3,
  PUBACK = 4,
  PUBREC = 5,
  PUBREL = 6,
  PUBCOMP = 7,
  SUBSCRIBE = 8,
  SUBACK = 9,
  UNSUBSCRIBE = 10,
  UNSUBACK = 11,
  PINGREQ = 12,
  PINGRESP = 13,
  DISCONNECT = 14,
}

/** Binary string of UTF-8 bytes (each char code 0..255). */
export type WireString = string;
/** Application data: bytes, or a binary string of bytes. */
export type Payload = Uint8Array | string;
export type QoS = 0 | 1 | 2;

export interface Will {
  topic: WireString;
  payload: Payload;
  qos: QoS;
  retain: boolean;
}

export interface ConnectOptions {
  clientId: WireString;
  cleanSession: boolean;
  /** Seconds, 0..65535; 0 turns keepalive off. */
  keepalive: number;
  will?: Will;
  username?: WireString;
  password?: Payload;
}

export interface PublishOptions {
  topic: WireString;
  payload: Payload;
  qos: QoS;
  dup: boolean;
  retain: boolean;
  /** Packet identifier, 1..65535; ignored (and not sent) at QoS 0. */
  id: number;
}

export interface Subscription {
  filter: WireString;
  qos: QoS;
}

/** CONNACK return codes 0..5 (MQTT-3.2.2.3), one string: an array held all the time costs 21 JsVars on the device. */
const CONNACK_CODE_TEXT =
  "accepted|unacceptable protocol version|identifier rejected|server unavailable|bad user name or password|not authorized";

/** A CONNACK return code's name (undefined past 5). */
export function connackCodeName(code: number): string | undefined {
  return CONNACK_CODE_TEXT.split("|")[code];
}

/** The names indexed by return code (tests and tools; the firmware uses connackCodeName). */
export const CONNACK_CODE_NAMES = CONNACK_CODE_TEXT.split("|");

export interface ConnackPacket {
  type: PacketType.CONNACK;
  sessionPresent: boolean;
  returnCode: number;
}

export interface PublishPacket {
  type: PacketType.PUBLISH;
  topic: WireString;
  payload: Uint8Array;
  qos: QoS;
  dup: boolean;
  retain: boolean;
  /** 0 at QoS 0. */
  id: number;
}

/** PUBACK, PUBREC, PUBREL, PUBCOMP and UNSUBACK carry only a packet identifier. */
export interface AckPacket {
  type: PacketType.PUBACK | PacketType.PUBREC | PacketType.PUBREL | PacketType.PUBCOMP | PacketType.UNSUBACK;
  id: number;
}

export interface SubackPacket {
  type: PacketType.SUBACK;
  id: number;
  /** Per filter: the granted QoS 0..2, or 0x80 for a refusal. */
  granted: number[];
}

export interface PingrespPacket {
  type: PacketType.PINGRESP;
}

/** What the decoder returns for bytes that break the spec; the connection must then be closed. */
export interface MalformedPacket {
  type: PacketType.MALFORMED;
  error: string;
}

/** Every packet a server may send to a client. */
export type IncomingPacket = ConnackPacket | PublishPacket | AckPacket | SubackPacket | PingrespPacket;
