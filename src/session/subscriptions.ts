/** The client's subscriptions: renewed after every reconnect, each with its own message handler. */
import { topicMatches } from "../mqtt/topic";
import type { PublishPacket, QoS, WireString } from "../mqtt/packets";

export type MessageHandler = (message: PublishPacket) => void;

export interface SubscriptionEntry {
  filter: WireString;
  qos: QoS;
  handler: MessageHandler;
}

export interface Subscriptions {
  readonly list: SubscriptionEntry[];
  /** Adds, or replaces the subscription for the same filter. */
  add(entry: SubscriptionEntry): void;
  remove(filter: WireString): boolean;
  /** Hands `message` to every handler whose filter matches; returns how many did. */
  deliver(message: PublishPacket): number;
}

export function createSubscriptions(): Subscriptions {
  const list: SubscriptionEntry[] = [];
  function remove(filter: WireString): boolean {
    for (let i = 0; i < list.length; i++) {
      if (list[i].filter === filter) {
        list.splice(i, 1);
        return true;
      }
    }
    return false;
  }
  return {
    list,
    add(entry) {
      remove(entry.filter);
      list.push(entry);
    },
    remove,
    deliver(message) {
      let n = 0;
      for (const s of list) {
        if (topicMatches(s.filter, message.topic)) {
          n++;
          s.handler(message);
        }
      }
      return n;
    },
  };
}
