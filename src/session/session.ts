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

  private readonly _outbox: Outbox;
  private readonly _subs = new Subscriptions();
  private readonly _backoff: Backoff;
  private _connection: Connection | undefined;
  private _decoder: PacketStream | undefined;
  private _timer = 0;
  private _lastId = 0;
  /** The status message being sent (`online` or, when closing, `offline`), ahead of the outbox. */
  private _statusEntry: OutboxEntry | undefined;
  /** SUBSCRIBE / UNSUBSCRIBE packet ids waiting for their acknowledgement. */
  private _pendingAcks: number[] = [];
  /** QoS 2 packet ids received and not yet released (MQTT-4.3.3: deliver exactly once). */
  private _qos2Received: number[] = [];
  private _lastSentAt = 0;
  private _lastReceivedAt = 0;
  private _connectedAt = 0;
  private _waitingForDrain = false;
  private _onStopped: (() => void) | undefined;

  // Resolved options.
  private readonly _keepaliveMs: number;
  private readonly _window: number;
  private readonly _retryMs: number;
  private readonly _connectTimeoutMs: number;
  private readonly _stableMs: number;

  constructor(
    private readonly _options: SessionOptions,
    private readonly _ports: SessionPorts,
  ) {
    this._keepaliveMs = (_options.keepalive === undefined ? 30 : _options.keepalive) * 1000;
    this._window = _options.inflightWindow || 1;
    this._retryMs = _options.retryMs || 10000;
    this._connectTimeoutMs = _options.connectTimeoutMs || 10000;
    this._stableMs = _options.stableMs || 60000;
    this._outbox = new Outbox(_options.queueSize || 100);
    this._backoff = new Backoff(_options.backoff || { baseMs: 1000, capMs: 60000, minMs: 100 }, _ports.random);
    _ports.network.onDown((reason) => {
      if (this.state !== SessionState.STOPPED && this.state !== SessionState.BACKOFF) this._go(SessionState.BACKOFF, "network down: " + reason);
    });
  }

  /** Starts connecting, and keeps reconnecting until stop(). */
  start(): void {
    if (this.state === SessionState.STOPPED) this._reconnect("start");
  }

  /**
   * Clean shutdown: publishes the `offline` status (when connected and configured), then
   * DISCONNECT so the broker does not send the Will. `done` is called once stopped.
   */
  stop(done?: () => void): void {
    this._onStopped = done;
    const status = this._options.status;
    if (this.state === SessionState.CONNECTED) {
      this._go(SessionState.CLOSING, "stop");
      if (!status) return this._disconnect();
      this._statusEntry = this._entry(status.topic, status.offline, 1, true, () => this._disconnect());
      this._sendEntry(this._statusEntry);
    } else if (this.state === SessionState.STOPPED) {
      this._onStopped = undefined;
      if (done) done();
    } else if (this.state !== SessionState.CLOSING) {
      this._go(SessionState.STOPPED, "stop");
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
    const dropped = this._outbox.push(this._entry(topic, payload, qos, retain, onAck));
    this._pump();
    return dropped;
  }

  /** Subscribes now (if connected) and again after every reconnect; `handler` gets each matching message. */
  subscribe(filter: WireString, qos: QoS, handler: MessageHandler): void {
    const why = topicFilterError(filter);
    if (why) throw new Error("subscribe: " + why);
    this._subs.add({ filter, qos, handler });
    if (this.state === SessionState.CONNECTED) this._sendSubscribe([{ filter, qos }]);
  }

  unsubscribe(filter: WireString): void {
    if (this._subs.remove(filter) && this.state === SessionState.CONNECTED) {
      const id = this._nextId();
      this._pendingAcks.push(id);
      this._send(encodeUnsubscribe(id, [filter]));
    }
  }

  /** Messages waiting or in flight (the status message aside). */
  queued(): number {
    return this._outbox.entries.length;
  }

  // ---- The state machine: the one place where the state changes. ----

  /** `patient`: a refusal that retrying soon cannot fix (bad credentials, not authorised). */
  private _go(next: SessionState, reason: string, patient = false): void {
    const previous = this.state;
    this._ports.clock.clearTimeout(this._timer);
    this._timer = 0;
    this._ports.log("[mqtt] " + STATE_NAMES[previous] + " -> " + STATE_NAMES[next] + " (" + reason + ")");
    this.state = next;
    if (previous === SessionState.CONNECTED && this._ports.clock.now() - this._connectedAt >= this._stableMs) this._backoff.reset();
    if (next === SessionState.BACKOFF || next === SessionState.STOPPED || next === SessionState.NETWORK_CONNECTING) this._dropConnection();

    if (next === SessionState.NETWORK_CONNECTING) {
      this._ports.network.connect((error) => {
        if (this.state !== SessionState.NETWORK_CONNECTING) return;
        if (error) this._go(SessionState.BACKOFF, "network: " + error);
        else this._go(SessionState.TCP_CONNECTING, "network up");
      });
      this._deadline(this._connectTimeoutMs, "network timeout");
    } else if (next === SessionState.TCP_CONNECTING) {
      this._openConnection();
    } else if (next === SessionState.MQTT_CONNECTING) {
      // The deadline first: a failed write inside _sendConnect changes state and replaces it.
      this._deadline(this._connectTimeoutMs, "no CONNACK");
      this._sendConnect();
    } else if (next === SessionState.CONNECTED) {
      this._connectedAt = this._ports.clock.now();
      this._tick();
    } else if (next === SessionState.BACKOFF) {
      const delay = this._backoff.next(patient);
      this._ports.log("[mqtt] retry in " + delay + " ms");
      this._timer = this._ports.clock.setTimeout(() => this._reconnect("retry"), delay);
    } else if (next === SessionState.CLOSING) {
      this._deadline(CLOSE_TIMEOUT_MS, "offline status not acknowledged");
    } else if (next === SessionState.STOPPED) {
      const done = this._onStopped;
      this._onStopped = undefined;
      if (done) done();
    }
  }

  private _reconnect(reason: string): void {
    this._go(this._ports.network.isUp() ? SessionState.TCP_CONNECTING : SessionState.NETWORK_CONNECTING, reason);
  }

  /** Arms the state timer: if the state has not changed by then, back off. */
  private _deadline(ms: number, reason: string): void {
    this._timer = this._ports.clock.setTimeout(() => {
      this._timer = 0;
      if (this.state === SessionState.CLOSING) this._disconnect();
      else this._go(SessionState.BACKOFF, reason);
    }, ms);
  }

  private _openConnection(): void {
    const o = this._options;
    this._decoder = new PacketStream(o.maxPacketSize || 4096);
    this._waitingForDrain = false;
    let connection: Connection | undefined;
    // Each connection's events only count while it is the current one: a late event from an
    // old socket must not disturb the next.
    const current = () => connection !== undefined && this._connection === connection;
    try {
      connection = this._ports.transport.connect(o.host, o.port, {
        open: () => {
          if (current() && this.state === SessionState.TCP_CONNECTING) this._go(SessionState.MQTT_CONNECTING, "TCP open");
        },
        data: (bytes) => {
          if (current()) this._receive(bytes);
        },
        drain: () => {
          if (!current()) return;
          this._waitingForDrain = false;
          this._pump();
        },
        closed: (why) => {
          if (current()) this._connectionClosed(why);
        },
      });
    } catch (e) {
      // Espruino on Linux throws at once for a refused connection or an unknown host.
      this._go(SessionState.BACKOFF, "connect failed: " + ((e as Error).message || e));
      return;
    }
    this._connection = connection;
    this._deadline(this._connectTimeoutMs, "TCP connect timeout");
  }

  private _connectionClosed(why: string): void {
    if (this.state === SessionState.CLOSING) this._go(SessionState.STOPPED, "closed");
    else this._go(SessionState.BACKOFF, "connection closed: " + why);
  }

  private _dropConnection(): void {
    const connection = this._connection;
    this._connection = undefined;
    this._decoder = undefined;
    this._outbox.connectionLost();
    this._statusEntry = undefined;
    this._pendingAcks = [];
    if (connection) {
      try {
        connection.close();
      } catch (e) {
        // Already closed by the peer: nothing left to release.
      }
    }
  }

  private _disconnect(): void {
    if (this._send(encodeEmpty(PacketType.DISCONNECT))) this._go(SessionState.STOPPED, "disconnected");
  }

  // ---- Sending ----

  /**
   * Writes one packet; false when there is no connection or the write failed. A failed write
   * ends the connection (back off, or stop when closing): callers check the state after it.
   */
  private _send(bytes: Uint8Array): boolean {
    const connection = this._connection;
    if (!connection) return false;
    this._lastSentAt = this._ports.clock.now();
    try {
      connection.write(bytes);
      return true;
    } catch (e) {
      const reason = "write failed: " + ((e as Error).message || e);
      this._go(this.state === SessionState.CLOSING ? SessionState.STOPPED : SessionState.BACKOFF, reason);
      return false;
    }
  }

  private _sendConnect(): void {
    const o = this._options;
    const status = o.status;
    const will: Will | undefined = status && { topic: status.topic, payload: status.offline, qos: 1, retain: true };
    this._send(
      encodeConnect({
        clientId: o.clientId,
        cleanSession: o.cleanSession !== false,
        keepalive: this._keepaliveMs / 1000,
        will,
        username: o.username,
        password: o.password,
      }),
    );
  }

  private _sendSubscribe(list: { filter: WireString; qos: QoS }[]): void {
    const id = this._nextId();
    this._pendingAcks.push(id);
    this._send(encodeSubscribe(id, list));
  }

  private _entry(topic: WireString, payload: Payload, qos: QoS, retain: boolean, onAck?: () => void): OutboxEntry {
    return { topic, payload, qos, retain, id: 0, inFlight: false, sentAt: 0, onAck };
  }

  /** Sends queued messages while the in-flight window has room and the socket has drained. */
  private _pump(): void {
    while (this.state === SessionState.CONNECTED && !this._waitingForDrain) {
      const status = this._statusEntry;
      const inFlight = this._outbox.inFlightCount() + (status && status.inFlight ? 1 : 0);
      if (inFlight >= this._window) return;
      const next = status && !status.inFlight ? status : this._outbox.nextToSend();
      if (!next) return;
      this._sendEntry(next);
    }
  }

  private _sendEntry(e: OutboxEntry): void {
    const resend = e.id !== 0;
    if (e.qos > 0 && !e.id) e.id = this._nextId();
    this._ports.log("[mqtt] PUBLISH" + (e.qos ? " #" + e.id : "") + (resend ? " (DUP)" : "") + " " + e.topic);
    if (!this._send(encodePublish({ topic: e.topic, payload: e.payload, qos: e.qos, dup: resend, retain: e.retain, id: e.id }))) {
      if (!resend) e.id = 0; // never on the wire: its first real send is not a DUP
      return;
    }
    // Hold further PUBLISHes until the socket drains (or the broker acknowledges): on Espruino
    // the send buffer is one string copied on every pass, so it must stay small.
    this._waitingForDrain = true;
    e.inFlight = true;
    e.sentAt = this._ports.clock.now();
    if (e.qos === 0) this._completed(e);
  }

  /** The broker has the message (PUBACK), or at QoS 0 it was written: it leaves the queue. */
  private _completed(e: OutboxEntry): void {
    if (e === this._statusEntry) this._statusEntry = undefined;
    else this._outbox.remove(e);
    if (e.onAck) e.onAck();
  }

  /** Packet ids 1..65535, wrapping, never one still held by an unacknowledged message. */
  private _nextId(): number {
    do {
      this._lastId = (this._lastId % 65535) + 1;
    } while (this._outbox.holds(this._lastId) || (this._statusEntry && this._statusEntry.id === this._lastId) || this._pendingAcks.indexOf(this._lastId) >= 0);
    return this._lastId;
  }

  // ---- Receiving ----

  private _receive(bytes: Uint8Array): void {
    const decoder = this._decoder;
    if (!decoder) return;
    const error = decoder.push(bytes, (packet) => {
      if (this._decoder === decoder) this._handle(packet);
    });
    if (error && this._decoder === decoder) this._go(SessionState.BACKOFF, "malformed packet from broker: " + error.error);
  }

  private _handle(packet: IncomingPacket): void {
    this._lastReceivedAt = this._ports.clock.now();
    if (packet.type === PacketType.CONNACK) {
      if (this.state !== SessionState.MQTT_CONNECTING) return this._go(SessionState.BACKOFF, "unexpected CONNACK");
      const code = packet.returnCode;
      if (code !== 0) return this._go(SessionState.BACKOFF, "refused: " + CONNACK_CODE_NAMES[code] + " (" + code + ")", code >= 4);
      if (!packet.sessionPresent) this._qos2Received = [];
      return this._connected(packet.sessionPresent);
    }
    if (this.state !== SessionState.CONNECTED && this.state !== SessionState.CLOSING) {
      return this._go(SessionState.BACKOFF, "packet before CONNACK");
    }
    if (packet.type === PacketType.PUBLISH) return this._receivePublish(packet);
    if (packet.type === PacketType.PUBACK) {
      const status = this._statusEntry;
      const e = status && status.inFlight && status.id === packet.id ? status : this._outbox.acknowledge(packet.id);
      if (!e) return this._ports.log("[mqtt] PUBACK #" + packet.id + " for no message in flight (ignored)");
      this._ports.log("[mqtt] PUBACK #" + packet.id);
      this._waitingForDrain = false;
      this._completed(e);
      return this._pump();
    }
    if (packet.type === PacketType.PUBREL) {
      const i = this._qos2Received.indexOf(packet.id);
      if (i >= 0) this._qos2Received.splice(i, 1);
      this._send(encodeAck(PacketType.PUBCOMP, packet.id));
      return;
    }
    if (packet.type === PacketType.SUBACK || packet.type === PacketType.UNSUBACK) {
      const i = this._pendingAcks.indexOf(packet.id);
      if (i >= 0) this._pendingAcks.splice(i, 1);
      if (packet.type === PacketType.SUBACK) {
        for (let k = 0; k < packet.granted.length; k++) {
          if (packet.granted[k] === 0x80) this._ports.log("[mqtt] subscription #" + packet.id + " filter " + (k + 1) + " refused by the broker (0x80)");
        }
      }
    }
    // PINGRESP, PUBREC and PUBCOMP (we publish at QoS 0 and 1 only) need nothing beyond
    // refreshing lastReceivedAt.
  }

  private _connected(sessionPresent: boolean): void {
    this._go(SessionState.CONNECTED, sessionPresent ? "session present" : "new session");
    if (this.onConnect) this.onConnect(sessionPresent);
    if (this._subs.list.length) this._sendSubscribe(this._subs.list.map((s) => ({ filter: s.filter, qos: s.qos })));
    const status = this._options.status;
    if (status) this._statusEntry = this._entry(status.topic, status.online, 1, true);
    this._pump();
  }

  private _receivePublish(packet: PublishPacket): void {
    if (packet.qos === 1) this._send(encodeAck(PacketType.PUBACK, packet.id));
    if (packet.qos === 2) {
      this._send(encodeAck(PacketType.PUBREC, packet.id));
      if (this._qos2Received.indexOf(packet.id) >= 0) return; // a resend: delivered already
      this._qos2Received.push(packet.id);
      if (this._qos2Received.length > QOS2_MEMORY) this._qos2Received.shift();
    }
    try {
      if (!this._subs.deliver(packet)) this._ports.log("[mqtt] message on " + packet.topic + " matches no subscription");
    } catch (e) {
      this._ports.log("[mqtt] message handler failed: " + ((e as Error).message || e));
    }
  }

  /** Once a second while connected: keepalive both ways, and resends of unacknowledged messages. */
  private _tick(): void {
    const now = this._ports.clock.now();
    const ka = this._keepaliveMs;
    if (ka && now - this._lastReceivedAt > ka * 1.5) {
      return this._go(SessionState.BACKOFF, "no packet from the broker for " + Math.round((now - this._lastReceivedAt) / 1000) + " s");
    }
    if (ka && now - this._lastSentAt >= ka) this._send(encodeEmpty(PacketType.PINGREQ));
    const stale = this._statusEntry && this._statusEntry.inFlight ? [this._statusEntry] : [];
    for (const e of this._outbox.entries) if (e.inFlight) stale.push(e);
    for (const e of stale) {
      if (now - e.sentAt >= this._retryMs) {
        this._ports.log("[mqtt] no PUBACK #" + e.id + " after " + this._retryMs + " ms");
        this._sendEntry(e);
      }
    }
    if (this.state === SessionState.CONNECTED) this._timer = this._ports.clock.setTimeout(() => this._tick(), TICK_MS);
  }
}
