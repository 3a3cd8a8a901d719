/** The client's subscriptions: renewed after every reconnect, each with its own message handler. */
import { topicMatches } from "../mqtt/topic";
import type { PublishPacket, QoS, WireString } from "../mqtt/packets";

export type MessageHandler = (message: PublishPacket) => void;

export interface SubscriptionEntry {
  filter: WireString;
  qos: QoS;
  handler: MessageHandler;
}

export class Subscriptions {
  readonly list: SubscriptionEntry[] = [];

  /** Adds or replaces the subscription for `filter`. */
  add(entry: SubscriptionEntry): void {
    this.remove(entry.filter);
    this.list.push(entry);
  }

  remove(filter: WireString): boolean {
    for (let i = 0; i < this.list.length; i++) {
      if (this.list[i].filter === filter) {
        this.list.splice(i, 1);
        return true;
      }
    }
    return false;
  }

  /** Hands `message` to every handler whose filter matches; returns how many did. */
  deliver(message: PublishPacket): number {
    let n = 0;
    for (const s of this.list) {
      if (topicMatches(s.filter, message.topic)) {
        n++;
        s.handler(message);
      }
    }
    return n;
  }
}
