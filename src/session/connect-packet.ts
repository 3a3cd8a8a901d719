/**
 * The CONNECT packet a session sends, built once from who the device is: the firmware's build
 * does it at build time, so the device carries the bytes and not the code that makes them.
 */
import { encodeConnect } from "../mqtt/encode";
import type { Payload, WireString } from "../mqtt/packets";
import type { StatusMessages } from "./session";

export interface SessionIdentity {
  clientId: WireString;
  username?: WireString;
  password?: Payload;
  /** Ask the broker to forget the session at connect (default true). */
  cleanSession?: boolean;
  /** Seconds (default 30); 0 turns keepalive off. Give the session the same value. */
  keepalive?: number;
  /** Its `offline` becomes the Will (retained, QoS 1). Give the session the same status. */
  status?: StatusMessages;
}

/** Checked: throws on a value no broker may be sent (see encode.ts). */
export function sessionConnectPacket(o: SessionIdentity): Uint8Array {
  return encodeConnect({
    clientId: o.clientId,
    cleanSession: o.cleanSession !== false,
    keepalive: o.keepalive === undefined ? 30 : o.keepalive,
    will: o.status && { topic: o.status.topic, payload: o.status.offline, qos: 1, retain: true },
    username: o.username,
    password: o.password,
  });
}
