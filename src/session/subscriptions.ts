/**
 * Subscriptions, the optional receiving side of a session: renewed after every reconnect, each
 * with its own message handler, QoS 2 messages delivered once. Attach to a session with
 * `createSubscriptions(session)`; a publish-only device leaves this module out of its bundle.
 */
import { PacketType, type IncomingPacket, type PublishPacket, type QoS, type WireString } from "../mqtt/packets";
import { serializeFilters } from "../mqtt/serialize";
import { topicFilterError, topicMatches } from "../mqtt/topic";
import { isUtf8 } from "../mqtt/utf8";
import { SessionState } from "./state";
import { InboxEvent, type MqttSession } from "./session";
import type { Log } from "./ports";

export type MessageHandler = (message: PublishPacket) => void;

export interface Subscriptions {
  /** Subscribes now (if connected) and again after every reconnect; `handler` gets each matching message. */
  subscribe(filter: WireString, qos: QoS, handler: MessageHandler): void;
  unsubscribe(filter: WireString): void;
}

interface Entry {
  filter: WireString;
  qos: QoS;
  handler: MessageHandler;
}

/** Server-side QoS 2 packet ids remembered for duplicate suppression. */
const QOS2_MEMORY = 16;

export function createSubscriptions(session: MqttSession, log: Log): Subscriptions {
  const say = (line: string) => log("[mqtt] " + line);
  const list: Entry[] = [];
  /** SUBSCRIBE / UNSUBSCRIBE packet ids waiting for their acknowledgement. */
  let pendingAcks: number[] = [];
  /** QoS 2 packet ids received and not yet released (MQTT-4.3.3: deliver exactly once). */
  let qos2Received: number[] = [];

  function send(type: PacketType.SUBSCRIBE | PacketType.UNSUBSCRIBE, filters: WireString[], qos?: QoS[]): void {
    const id = session.nextId();
    if (session.sendPacket(serializeFilters(type, id, filters, qos))) pendingAcks.push(id);
  }

  function remove(filter: WireString): boolean {
    for (let i = 0; i < list.length; i++) {
      if (list[i].filter === filter) {
        list.splice(i, 1);
        return true;
      }
    }
    return false;
  }

  function deliver(message: PublishPacket): void {
    if (message.qos === 2) {
      if (qos2Received.indexOf(message.id) >= 0) return; // a resend: delivered already
      qos2Received.push(message.id);
      if (qos2Received.length > QOS2_MEMORY) qos2Received.shift();
    }
    let matched = 0;
    for (const s of list) {
      if (!topicMatches(s.filter, message.topic)) continue;
      matched++;
      try {
        s.handler(message);
      } catch (e) {
        say("message handler failed: " + ((e as Error).message || e));
      }
    }
    if (!matched) say("message on " + message.topic + " matches no subscription");
  }

  session.attach((event: InboxEvent, arg: unknown): boolean => {
    if (event === InboxEvent.HOLDS) return pendingAcks.indexOf(arg as number) >= 0;
    if (event === InboxEvent.CONNECTED) {
      pendingAcks = [];
      if (!arg) qos2Received = [];
      if (list.length)
        send(
          PacketType.SUBSCRIBE,
          list.map((s) => s.filter),
          list.map((s) => s.qos),
        );
      return false;
    }
    const packet = arg as IncomingPacket;
    if (packet.type === PacketType.PUBLISH) deliver(packet);
    else if (packet.type === PacketType.PUBREL) forget(qos2Received, packet.id);
    if (packet.type === PacketType.SUBACK || packet.type === PacketType.UNSUBACK) forget(pendingAcks, packet.id);
    if (packet.type === PacketType.SUBACK) {
      for (let k = 0; k < packet.granted.length; k++) {
        if (packet.granted[k] === 0x80)
          say("subscription #" + packet.id + " filter " + (k + 1) + " refused by the broker (0x80)");
      }
    }
    return false;
  });

  return {
    subscribe(filter, qos, handler) {
      const why =
        topicFilterError(filter) ||
        (isUtf8(filter, 0, filter.length) ? "" : "filter is not UTF-8 bytes") ||
        (qos >= 0 && qos <= 2 ? "" : "QoS must be 0, 1 or 2");
      if (why) throw new Error("subscribe: " + why);
      remove(filter);
      list.push({ filter, qos, handler });
      if (session.state() === SessionState.CONNECTED) send(PacketType.SUBSCRIBE, [filter], [qos]);
    },
    unsubscribe(filter) {
      if (remove(filter) && session.state() === SessionState.CONNECTED) send(PacketType.UNSUBSCRIBE, [filter]);
    },
  };
}

/** Removes `id` from `ids`, if there. */
function forget(ids: number[], id: number): void {
  const i = ids.indexOf(id);
  if (i >= 0) ids.splice(i, 1);
}
