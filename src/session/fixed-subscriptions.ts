/**
 * A device's subscriptions when they are known at build time: one SUBSCRIBE, baked by the build
 * (`fixedSubscribePacket`), sent after every CONNACK with a fresh packet id; each message on one
 * of its topics (exact topic names, no wildcards) goes to the one handler. The device carries no
 * filter checks, matching or packet building: subscriptions.ts does that for filters chosen at
 * run time, at about four times the JsVars (docs/benchmarks.md).
 */
import { PacketType, type IncomingPacket, type QoS, type WireString } from "../mqtt/packets";
import { serializeFilters } from "../mqtt/serialize";
import { bytesToBinaryString } from "../mqtt/binary-string";
import type { Log } from "./ports";
import { InboxEvent, type MqttSession } from "./session";

/** The SUBSCRIBE as a binary string with packet id 0, and where its id goes. */
export interface FixedSubscribe {
  topics: WireString[];
  packet: WireString;
  idAt: number;
}

/** What arrives on a subscribed topic: the payload as a binary string. */
export type FixedHandler = (topic: WireString, payload: string, retained: boolean) => void;

/** Build time: the SUBSCRIBE for `topics` (checked by serializeFilters' callers), QoS 1 each. */
export function fixedSubscribePacket(topics: WireString[]): FixedSubscribe {
  const bytes = serializeFilters(
    PacketType.SUBSCRIBE,
    0,
    topics,
    topics.map(() => 1 as QoS),
  );
  const text = bytesToBinaryString(bytes);
  // The id follows the fixed header: its first byte and 1..4 bytes of remaining length.
  let idAt = 1;
  while (bytes[idAt] & 0x80) idAt++;
  return { topics, packet: text, idAt: idAt + 1 };
}

export function subscribeFixed(session: MqttSession, subscribe: FixedSubscribe, handler: FixedHandler, log: Log): void {
  /** The SUBSCRIBE's packet id until its SUBACK. */
  let pending = 0;
  session.attach((event: InboxEvent, arg: unknown): boolean => {
    if (event === InboxEvent.HOLDS) return arg === pending;
    if (event === InboxEvent.CONNECTED) {
      const id = session.nextId();
      const p = subscribe.packet;
      if (
        session.sendPacket(
          p.substr(0, subscribe.idAt) + String.fromCharCode(id >> 8, id & 255) + p.substr(subscribe.idAt + 2),
        )
      )
        pending = id;
      return false;
    }
    const packet = arg as IncomingPacket;
    if (packet.type === PacketType.PUBLISH) {
      if (subscribe.topics.indexOf(packet.topic) >= 0)
        handler(packet.topic, bytesToBinaryString(packet.payload), packet.retain);
      else log("[mqtt] message on " + packet.topic + " matches no subscription");
    } else if (packet.type === PacketType.SUBACK && packet.id === pending) {
      pending = 0;
      for (let k = 0; k < packet.granted.length; k++)
        if (packet.granted[k] === 0x80) log("[mqtt] subscription to " + subscribe.topics[k] + " refused by the broker");
    }
    return false;
  });
}
