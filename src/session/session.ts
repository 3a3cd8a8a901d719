/**
 * The MQTT 3.1.1 client session and its reconnect state machine.
 *
 * Every state change goes through `go`, which clears the one state timer, tears down what the
 * old state owned and logs the change once; so no timer, listener or socket outlives its state,
 * however many reconnects. Outgoing QoS 1 messages live in the Outbox until their PUBACK.
 */
import {
  CONNACK_CODE_NAMES,
  PacketType,
  type IncomingPacket,
  type Payload,
  type PublishPacket,
  type QoS,
  type Will,
  type WireString,
} from "../mqtt/packets";
import {
  encodeAck,
  encodeConnect,
  encodeEmpty,
  encodePublish,
  encodeSubscribe,
  encodeUnsubscribe,
} from "../mqtt/encode";
import { PacketStream } from "../mqtt/stream-decoder";
import { topicFilterError, topicNameError } from "../mqtt/topic";
import { Outbox, type OutboxEntry } from "../outbox/outbox";
import { Backoff, type BackoffOptions } from "./backoff";
import { SessionState, STATE_NAMES } from "./state";
import { Subscriptions, type MessageHandler } from "./subscriptions";
import type { Clock, Connection, Log, NetworkLink, Transport } from "./ports";

/** A status message: `offline` as the Will, `online` after every CONNACK. */
export interface StatusMessages {
  topic: WireString;
  online: Payload;
  offline: Payload;
}

export interface SessionOptions {
  host: string;
  port: number;
  clientId: WireString;
  username?: WireString;
  password?: Payload;
  /** Ask the broker to forget the session at connect (default true). */
  cleanSession?: boolean;
  /** Seconds (default 30); 0 turns keepalive off. */
  keepalive?: number;
  /**
   * Retained QoS 1 status: the Will carries `offline`; `online` goes out after every CONNACK,
   * before any queued message; a clean shutdown publishes `offline` before DISCONNECT.
   */
  status?: StatusMessages;
  /** Outgoing messages kept while unacknowledged or offline, in-flight ones included (default 100). */
  queueSize?: number;
  /** PUBLISHes sent and not yet acknowledged at one time (default 1). */
  inflightWindow?: number;
  /** Resend (DUP) a PUBLISH not acknowledged after this long, ms (default 10 s). */
  retryMs?: number;
  /** Give up on a Wi-Fi, TCP or CONNACK wait after this long, ms (default 10 s). */
  connectTimeoutMs?: number;
  /** Largest packet accepted from the broker, bytes (default 4096). */
  maxPacketSize?: number;
  backoff?: BackoffOptions;
  /** A connection up this long (ms) resets the backoff (default 60 s). */
  stableMs?: number;
}

export interface SessionPorts {
  clock: Clock;
  transport: Transport;
  network: NetworkLink;
  random: () => number;
  log: Log;
}

/** What publish() returns: the oldest message, when the queue was full and dropped it. */
export type Dropped = OutboxEntry | undefined;

/** The longest a closing session waits for the `offline` status to be acknowledged, ms. */
const CLOSE_TIMEOUT_MS = 2000;
/** How often the connected session checks its deadlines (keepalive, retries), ms. */
const TICK_MS = 1000;
/** Server-side QoS 2 packet ids remembered for duplicate suppression. */
const QOS2_MEMORY = 16;

export class MqttSession {
  state = SessionState.STOPPED;
  /** Called after every CONNACK that accepted the connection. */
  onConnect?: (sessionPresent: boolean) => void;

  private readonly outbox: Outbox;
  private readonly subs = new Subscriptions();
  private readonly backoff: Backoff;
  private connection: Connection | undefined;
  private decoder: PacketStream | undefined;
  private timer = 0;
  private lastId = 0;
  /** The status message being sent (`online` or, when closing, `offline`), ahead of the outbox. */
  private statusEntry: OutboxEntry | undefined;
  /** SUBSCRIBE / UNSUBSCRIBE packet ids waiting for their acknowledgement. */
  private pendingAcks: number[] = [];
  /** QoS 2 packet ids received and not yet released (MQTT-4.3.3: deliver exactly once). */
  private qos2Received: number[] = [];
  private lastSentAt = 0;
  private lastReceivedAt = 0;
  private connectedAt = 0;
  private waitingForDrain = false;
  private onStopped: (() => void) | undefined;

  // Resolved options.
  private readonly keepaliveMs: number;
  private readonly window: number;
  private readonly retryMs: number;
  private readonly connectTimeoutMs: number;
  private readonly stableMs: number;

  constructor(
    private readonly options: SessionOptions,
    private readonly ports: SessionPorts,
  ) {
    this.keepaliveMs = (options.keepalive === undefined ? 30 : options.keepalive) * 1000;
    this.window = options.inflightWindow || 1;
    this.retryMs = options.retryMs || 10000;
    this.connectTimeoutMs = options.connectTimeoutMs || 10000;
    this.stableMs = options.stableMs || 60000;
    this.outbox = new Outbox(options.queueSize || 100);
    this.backoff = new Backoff(options.backoff || { baseMs: 1000, capMs: 60000, minMs: 100 }, ports.random);
    ports.network.onDown((reason) => {
      if (this.state !== SessionState.STOPPED && this.state !== SessionState.BACKOFF) this.go(SessionState.BACKOFF, "network down: " + reason);
    });
  }

  /** Starts connecting, and keeps reconnecting until stop(). */
  start(): void {
    if (this.state === SessionState.STOPPED) this.reconnect("start");
  }

  /**
   * Clean shutdown: publishes the `offline` status (when connected and configured), then
   * DISCONNECT so the broker does not send the Will. `done` is called once stopped.
   */
  stop(done?: () => void): void {
    this.onStopped = done;
    const status = this.options.status;
    if (this.state === SessionState.CONNECTED && status) {
      this.go(SessionState.CLOSING, "stop");
      this.statusEntry = this.entry(status.topic, status.offline, 1, true, () => this.disconnect());
      this.sendEntry(this.statusEntry);
    } else if (this.state === SessionState.CONNECTED) {
      this.disconnect();
    } else if (this.state !== SessionState.CLOSING) {
      this.go(SessionState.STOPPED, "stop");
    }
  }

  /**
   * Queues a message; it leaves the queue when acknowledged (QoS 1) or written (QoS 0).
   * Throws on a topic that can never be published (a programming error, not a run-time one).
   * Returns the message dropped to make room, if the queue was full.
   */
  publish(topic: WireString, payload: Payload, qos: QoS, retain: boolean, onAck?: () => void): Dropped {
    const why = topicNameError(topic) || (qos === 2 ? "QoS 2 publish is not supported" : "");
    if (why) throw new Error("publish: " + why);
    const dropped = this.outbox.push(this.entry(topic, payload, qos, retain, onAck));
    this.pump();
    return dropped;
  }

  /** Subscribes now (if connected) and again after every reconnect; `handler` gets each matching message. */
  subscribe(filter: WireString, qos: QoS, handler: MessageHandler): void {
    const why = topicFilterError(filter);
    if (why) throw new Error("subscribe: " + why);
    this.subs.add({ filter, qos, handler });
    if (this.state === SessionState.CONNECTED) this.sendSubscribe([{ filter, qos }]);
  }

  unsubscribe(filter: WireString): void {
    if (this.subs.remove(filter) && this.state === SessionState.CONNECTED) {
      const id = this.nextId();
      this.pendingAcks.push(id);
      this.send(encodeUnsubscribe(id, [filter]));
    }
  }

  /** Messages waiting or in flight (the status message aside). */
  queued(): number {
    return this.outbox.entries.length;
  }

  // ---- The state machine: the one place where the state changes. ----

  /** `patient`: a refusal that retrying soon cannot fix (bad credentials, not authorised). */
  private go(next: SessionState, reason: string, patient = false): void {
    const previous = this.state;
    this.ports.clock.clearTimeout(this.timer);
    this.timer = 0;
    this.ports.log("[mqtt] " + STATE_NAMES[previous] + " -> " + STATE_NAMES[next] + " (" + reason + ")");
    this.state = next;
    if (previous === SessionState.CONNECTED && this.ports.clock.now() - this.connectedAt >= this.stableMs) this.backoff.reset();
    if (next === SessionState.BACKOFF || next === SessionState.STOPPED || next === SessionState.NETWORK_CONNECTING) this.dropConnection();

    if (next === SessionState.NETWORK_CONNECTING) {
      this.ports.network.connect((error) => {
        if (this.state !== SessionState.NETWORK_CONNECTING) return;
        if (error) this.go(SessionState.BACKOFF, "network: " + error);
        else this.go(SessionState.TCP_CONNECTING, "network up");
      });
      this.deadline(this.connectTimeoutMs, "network timeout");
    } else if (next === SessionState.TCP_CONNECTING) {
      this.openConnection();
    } else if (next === SessionState.MQTT_CONNECTING) {
      this.sendConnect();
      this.deadline(this.connectTimeoutMs, "no CONNACK");
    } else if (next === SessionState.CONNECTED) {
      this.connectedAt = this.ports.clock.now();
      this.tick();
    } else if (next === SessionState.BACKOFF) {
      const delay = this.backoff.next(patient);
      this.ports.log("[mqtt] retry in " + delay + " ms");
      this.timer = this.ports.clock.setTimeout(() => this.reconnect("retry"), delay);
    } else if (next === SessionState.CLOSING) {
      this.deadline(CLOSE_TIMEOUT_MS, "offline status not acknowledged");
    } else if (next === SessionState.STOPPED) {
      const done = this.onStopped;
      this.onStopped = undefined;
      if (done) done();
    }
  }

  private reconnect(reason: string): void {
    this.go(this.ports.network.isUp() ? SessionState.TCP_CONNECTING : SessionState.NETWORK_CONNECTING, reason);
  }

  /** Arms the state timer: if the state has not changed by then, back off. */
  private deadline(ms: number, reason: string): void {
    this.timer = this.ports.clock.setTimeout(() => {
      this.timer = 0;
      if (this.state === SessionState.CLOSING) this.disconnect();
      else this.go(SessionState.BACKOFF, reason);
    }, ms);
  }

  private openConnection(): void {
    const o = this.options;
    this.decoder = new PacketStream(o.maxPacketSize || 4096);
    this.waitingForDrain = false;
    let connection: Connection | undefined;
    // Each connection's events only count while it is the current one: a late event from an
    // old socket must not disturb the next.
    const current = () => connection !== undefined && this.connection === connection;
    try {
      connection = this.ports.transport.connect(o.host, o.port, {
        open: () => {
          if (current() && this.state === SessionState.TCP_CONNECTING) this.go(SessionState.MQTT_CONNECTING, "TCP open");
        },
        data: (bytes) => {
          if (current()) this.receive(bytes);
        },
        drain: () => {
          if (!current()) return;
          this.waitingForDrain = false;
          this.pump();
        },
        closed: (why) => {
          if (current()) this.connectionClosed(why);
        },
      });
    } catch (e) {
      // Espruino on Linux throws at once for a refused connection or an unknown host.
      this.go(SessionState.BACKOFF, "connect failed: " + ((e as Error).message || e));
      return;
    }
    this.connection = connection;
    this.deadline(this.connectTimeoutMs, "TCP connect timeout");
  }

  private connectionClosed(why: string): void {
    if (this.state === SessionState.CLOSING) this.go(SessionState.STOPPED, "closed");
    else this.go(SessionState.BACKOFF, "connection closed: " + why);
  }

  private dropConnection(): void {
    const connection = this.connection;
    this.connection = undefined;
    this.decoder = undefined;
    this.outbox.connectionLost();
    this.statusEntry = undefined;
    this.pendingAcks = [];
    if (connection) {
      try {
        connection.close();
      } catch (e) {
        // Already closed by the peer: nothing left to release.
      }
    }
  }

  private disconnect(): void {
    this.send(encodeEmpty(PacketType.DISCONNECT));
    this.go(SessionState.STOPPED, "disconnected");
  }

  // ---- Sending ----

  private send(bytes: Uint8Array): void {
    const connection = this.connection;
    if (!connection) return;
    this.lastSentAt = this.ports.clock.now();
    try {
      connection.write(bytes);
    } catch (e) {
      this.ports.log("[mqtt] write failed: " + ((e as Error).message || e));
    }
  }

  private sendConnect(): void {
    const o = this.options;
    const status = o.status;
    const will: Will | undefined = status && { topic: status.topic, payload: status.offline, qos: 1, retain: true };
    this.send(
      encodeConnect({
        clientId: o.clientId,
        cleanSession: o.cleanSession !== false,
        keepalive: this.keepaliveMs / 1000,
        will,
        username: o.username,
        password: o.password,
      }),
    );
  }

  private sendSubscribe(list: { filter: WireString; qos: QoS }[]): void {
    const id = this.nextId();
    this.pendingAcks.push(id);
    this.send(encodeSubscribe(id, list));
  }

  private entry(topic: WireString, payload: Payload, qos: QoS, retain: boolean, onAck?: () => void): OutboxEntry {
    return { topic, payload, qos, retain, id: 0, inFlight: false, sentAt: 0, onAck };
  }

  /** Sends queued messages while the in-flight window has room and the socket has drained. */
  private pump(): void {
    while (this.state === SessionState.CONNECTED && !this.waitingForDrain) {
      const status = this.statusEntry;
      const inFlight = this.outbox.inFlightCount() + (status && status.inFlight ? 1 : 0);
      if (inFlight >= this.window) return;
      const next = status && !status.inFlight ? status : this.outbox.nextToSend();
      if (!next) return;
      this.sendEntry(next);
    }
  }

  private sendEntry(e: OutboxEntry): void {
    const resend = e.id !== 0;
    if (e.qos > 0 && !e.id) e.id = this.nextId();
    this.ports.log("[mqtt] PUBLISH" + (e.qos ? " #" + e.id : "") + (resend ? " (DUP)" : "") + " " + e.topic);
    this.send(encodePublish({ topic: e.topic, payload: e.payload, qos: e.qos, dup: resend, retain: e.retain, id: e.id }));
    // Hold further PUBLISHes until the socket drains (or the broker acknowledges): on Espruino
    // the send buffer is one string copied on every pass, so it must stay small.
    this.waitingForDrain = true;
    e.inFlight = true;
    e.sentAt = this.ports.clock.now();
    if (e.qos === 0) this.completed(e);
  }

  /** The broker has the message (PUBACK), or at QoS 0 it was written: it leaves the queue. */
  private completed(e: OutboxEntry): void {
    if (e === this.statusEntry) this.statusEntry = undefined;
    else this.outbox.remove(e);
    if (e.onAck) e.onAck();
  }

  /** Packet ids 1..65535, wrapping, never one still held by an unacknowledged message. */
  private nextId(): number {
    do {
      this.lastId = (this.lastId % 65535) + 1;
    } while (this.outbox.holds(this.lastId) || (this.statusEntry && this.statusEntry.id === this.lastId) || this.pendingAcks.indexOf(this.lastId) >= 0);
    return this.lastId;
  }

  // ---- Receiving ----

  private receive(bytes: Uint8Array): void {
    const decoder = this.decoder;
    if (!decoder) return;
    const error = decoder.push(bytes, (packet) => {
      if (this.decoder === decoder) this.handle(packet);
    });
    if (error && this.decoder === decoder) this.go(SessionState.BACKOFF, "malformed packet from broker: " + error.error);
  }

  private handle(packet: IncomingPacket): void {
    this.lastReceivedAt = this.ports.clock.now();
    if (packet.type === PacketType.CONNACK) {
      if (this.state !== SessionState.MQTT_CONNECTING) return this.go(SessionState.BACKOFF, "unexpected CONNACK");
      const code = packet.returnCode;
      if (code !== 0) return this.go(SessionState.BACKOFF, "refused: " + CONNACK_CODE_NAMES[code] + " (" + code + ")", code >= 4);
      if (!packet.sessionPresent) this.qos2Received = [];
      return this.connected(packet.sessionPresent);
    }
    if (this.state !== SessionState.CONNECTED && this.state !== SessionState.CLOSING) {
      return this.go(SessionState.BACKOFF, "packet before CONNACK");
    }
    if (packet.type === PacketType.PUBLISH) return this.receivePublish(packet);
    if (packet.type === PacketType.PUBACK) {
      const status = this.statusEntry;
      const e = status && status.inFlight && status.id === packet.id ? status : this.outbox.acknowledge(packet.id);
      if (!e) return this.ports.log("[mqtt] PUBACK #" + packet.id + " for no message in flight (ignored)");
      this.ports.log("[mqtt] PUBACK #" + packet.id);
      this.waitingForDrain = false;
      this.completed(e);
      return this.pump();
    }
    if (packet.type === PacketType.PUBREL) {
      const i = this.qos2Received.indexOf(packet.id);
      if (i >= 0) this.qos2Received.splice(i, 1);
      return this.send(encodeAck(PacketType.PUBCOMP, packet.id));
    }
    if (packet.type === PacketType.SUBACK || packet.type === PacketType.UNSUBACK) {
      const i = this.pendingAcks.indexOf(packet.id);
      if (i >= 0) this.pendingAcks.splice(i, 1);
      if (packet.type === PacketType.SUBACK) {
        for (let k = 0; k < packet.granted.length; k++) {
          if (packet.granted[k] === 0x80) this.ports.log("[mqtt] subscription #" + packet.id + " filter " + (k + 1) + " refused by the broker (0x80)");
        }
      }
    }
    // PINGRESP, PUBREC and PUBCOMP (we publish at QoS 0 and 1 only) need nothing beyond
    // refreshing lastReceivedAt.
  }

  private connected(sessionPresent: boolean): void {
    this.go(SessionState.CONNECTED, sessionPresent ? "session present" : "new session");
    if (this.onConnect) this.onConnect(sessionPresent);
    if (this.subs.list.length) this.sendSubscribe(this.subs.list.map((s) => ({ filter: s.filter, qos: s.qos })));
    const status = this.options.status;
    if (status) this.statusEntry = this.entry(status.topic, status.online, 1, true);
    this.pump();
  }

  private receivePublish(packet: PublishPacket): void {
    if (packet.qos === 1) this.send(encodeAck(PacketType.PUBACK, packet.id));
    if (packet.qos === 2) {
      this.send(encodeAck(PacketType.PUBREC, packet.id));
      if (this.qos2Received.indexOf(packet.id) >= 0) return; // a resend: delivered already
      this.qos2Received.push(packet.id);
      if (this.qos2Received.length > QOS2_MEMORY) this.qos2Received.shift();
    }
    try {
      if (!this.subs.deliver(packet)) this.ports.log("[mqtt] message on " + packet.topic + " matches no subscription");
    } catch (e) {
      this.ports.log("[mqtt] message handler failed: " + ((e as Error).message || e));
    }
  }

  /** Once a second while connected: keepalive both ways, and resends of unacknowledged messages. */
  private tick(): void {
    const now = this.ports.clock.now();
    const ka = this.keepaliveMs;
    if (ka && now - this.lastReceivedAt > ka * 1.5) {
      return this.go(SessionState.BACKOFF, "no packet from the broker for " + Math.round((now - this.lastReceivedAt) / 1000) + " s");
    }
    if (ka && now - this.lastSentAt >= ka) this.send(encodeEmpty(PacketType.PINGREQ));
    const stale = this.statusEntry && this.statusEntry.inFlight ? [this.statusEntry] : [];
    for (const e of this.outbox.entries) if (e.inFlight) stale.push(e);
    for (const e of stale) {
      if (now - e.sentAt >= this.retryMs) {
        this.ports.log("[mqtt] no PUBACK #" + e.id + " after " + this.retryMs + " ms");
        this.sendEntry(e);
      }
    }
    this.timer = this.ports.clock.setTimeout(() => this.tick(), TICK_MS);
  }
}
