/**
 * The bounded queue of outgoing QoS 1 messages. An entry stays until its PUBACK arrives, so a
 * message taken while offline, or sent but never acknowledged, goes out again after reconnect.
 * When full, the oldest entry is dropped: the newest readings matter most to a sensor.
 */
import type { Payload, QoS, WireString } from "../mqtt/packets";

export interface OutboxEntry {
  topic: WireString;
  payload: Payload;
  qos: QoS;
  retain: boolean;
  /** Packet id once first sent (kept for every resend, MQTT-4.4.0-1); 0 before. */
  id: number;
  /** Sent on the current connection and waiting for its PUBACK. */
  inFlight: boolean;
  /** When it was last sent (ms), for the retry timeout. */
  sentAt: number;
  /** Called once, when the broker has acknowledged it (or, at QoS 0, when it was written). */
  onAck?: () => void;
}

export class Outbox {
  readonly entries: OutboxEntry[] = [];

  constructor(readonly capacity: number) {}

  /** Queues `entry` last; when the queue is full, removes and returns the oldest. */
  push(entry: OutboxEntry): OutboxEntry | undefined {
    this.entries.push(entry);
    return this.entries.length > this.capacity ? this.entries.shift() : undefined;
  }

  /** Removes and returns the in-flight entry with packet id `id`. */
  acknowledge(id: number): OutboxEntry | undefined {
    for (let i = 0; i < this.entries.length; i++) {
      const e = this.entries[i];
      if (e.inFlight && e.id === id) return this.entries.splice(i, 1)[0];
    }
    return undefined;
  }

  remove(entry: OutboxEntry): void {
    const i = this.entries.indexOf(entry);
    if (i >= 0) this.entries.splice(i, 1);
  }

  /** The oldest entry not yet sent on this connection. */
  nextToSend(): OutboxEntry | undefined {
    for (const e of this.entries) if (!e.inFlight) return e;
    return undefined;
  }

  inFlightCount(): number {
    let n = 0;
    for (const e of this.entries) if (e.inFlight) n++;
    return n;
  }

  /** Is packet id `id` held by an entry (sent at least once, not yet acknowledged)? */
  holds(id: number): boolean {
    for (const e of this.entries) if (e.id === id) return true;
    return false;
  }

  /** The connection is gone: everything unacknowledged is sent again (DUP) on the next one. */
  connectionLost(): void {
    for (const e of this.entries) e.inFlight = false;
  }
}
