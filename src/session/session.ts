/**
 * The MQTT 3.1.1 client session and its reconnect state machine.
 *
 * Every state change goes through `go`, which clears the one state timer, tears down what the
 * old state owned and logs the change once; so no timer, listener or socket outlives its state,
 * however many reconnects. Every outgoing PUBLISH, the retained status included, goes through the
 * Outbox and stays there until its PUBACK; the session tells its listener what happened to each.
 *
 * Written as a closure rather than a class: the minifier inlines its single-use steps into their
 * callers, and every long-lived function costs JsVars on the device (methods on a shared object
 * measured no fewer: docs/espruino-runtime.md, "Memory").
 */
import { connackCodeName, PacketType, type IncomingPacket, type Payload, type WireString } from "../mqtt/packets";
import { ackText, emptyText, publishHeaderText } from "../mqtt/serialize";
import { createPacketStream, pushBytes, type PacketStream } from "../mqtt/stream-decoder";
import { topicNameError } from "../mqtt/topic";
import { isUtf8 } from "../mqtt/utf8";
import {
  acknowledgeEntry,
  connectionLost,
  EntryState,
  holdsId,
  inFlight,
  nextToSend,
  pushEntry,
  removeEntry,
  type Outbox,
  type OutboxEntry,
} from "../outbox/outbox";
import { backoffDelay, type BackoffOptions } from "./backoff";
import { SessionState, stateName } from "./state";
import { ConnectionEvent, type Clock, type Connection, type Log, type NetworkLink, type Transport } from "./ports";

/** A status message: `offline` as the Will, `online` after every CONNACK. */
export interface StatusMessages {
  topic: WireString;
  online: Payload;
  offline: Payload;
}

export interface SessionOptions {
  host: string;
  port: number;
  /**
   * The CONNECT packet, sent as is on every connection: `sessionConnectPacket` (connect-packet.ts)
   * builds it from the client id, credentials, keepalive and status. The firmware's build does,
   * and bakes it in as a binary string.
   */
  connectPacket: Payload;
  /** Seconds (default 30); 0 turns keepalive off. The same as in `connectPacket`. */
  keepalive?: number;
  /**
   * Retained QoS 1 status: the Will carries `offline`; `online` goes out after every CONNACK,
   * before any queued message; a clean shutdown publishes `offline` before DISCONNECT.
   * The same as in `connectPacket`.
   */
  status?: StatusMessages;
  /** Outgoing messages kept in RAM while unacknowledged or offline, in-flight ones included (default 8). */
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
  /**
   * Send the `online` status and queued PUBLISHes right after CONNECT, without waiting for the
   * CONNACK (MQTT 3.1.1 allows it): a battery-mode wake saves a round trip. A refusal or a lost
   * link sends them again on the next connection.
   */
  eager?: boolean;
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

/** What the session tells its listeners (added with listen(), told in that order). */
export const enum SessionEvent {
  /** After every CONNACK, once the `online` status is queued first: queue what should follow. */
  CONNECTED,
  /** Eager sessions: the CONNECT is written and `online` queued; what is queued now goes before the CONNACK. */
  CONNECTING,
  /** A message left in a PUBLISH for the first time. */
  SENT,
  /** The broker acknowledged a message (QoS 1), or it was written (QoS 0). */
  DELIVERED,
  /** The RAM queue was full: this message, the oldest waiting, was dropped to make room. */
  DROPPED,
}

/**
 * A listener of the session's events. `ref` is the number given to publish() (a reading's seq),
 * absent for messages published without one; CONNECTED passes whether the broker kept a session.
 * One function rather than one per event: on Espruino each is held for the firmware's life.
 */
export type SessionListener = (event: SessionEvent, ref?: number | boolean) => void;

/**
 * The receiving side of a session (subscriptions.ts attaches one). Optional: a publish-only
 * device, like the firmware, ships without it.
 */
export const enum InboxEvent {
  /** After every CONNACK, before anything queued is sent: subscribe again. */
  CONNECTED,
  /**
   * Every packet after CONNACK but PUBACK: PUBLISH (already acknowledged: PUBACK or PUBREC
   * sent), PUBREL (PUBCOMP sent), SUBACK, UNSUBACK; the rest it may ignore.
   */
  RECEIVED,
  /** Is packet id `id` held here (a SUBSCRIBE or UNSUBSCRIBE waiting for its acknowledgement)? */
  HOLDS,
}

/** One function rather than one per event: on Espruino each is held while the firmware runs. */
export interface Inbox {
  (event: InboxEvent.CONNECTED, sessionPresent: boolean): void;
  (event: InboxEvent.RECEIVED, packet: IncomingPacket): void;
  (event: InboxEvent.HOLDS, id: number): boolean;
}

/**
 * After stop() has written the DISCONNECT, the time the socket needs to send it before the chip
 * sleeps or reboots, ms: both close the socket at once, and a DISCONNECT that never left makes
 * the broker publish the Will (docs/espruino-runtime.md, "Starting and stopping").
 */
export const DISCONNECT_FLUSH_MS = 100;

export interface MqttSession {
  state(): SessionState;
  /** Starts connecting, and keeps reconnecting until stop(). */
  start(): void;
  /**
   * Clean shutdown: publishes the `offline` status (when connected and configured; not when
   * `quiet`, as before a scheduled sleep), then DISCONNECT so the broker does not send the Will.
   * `done` is called once stopped.
   */
  stop(done?: () => void, quiet?: boolean): void;
  /**
   * Queues a message; it leaves the queue when acknowledged (QoS 1) or written (QoS 0).
   * Throws on a topic that can never be published (a programming error, not a run-time one).
   * Returns the message dropped to make room, if the queue was full. QoS 0 or 1: publishing at
   * QoS 2 is not implemented, and the type says so.
   */
  publish(topic: WireString, payload: Payload, qos: 0 | 1, retain: boolean, ref?: number): Dropped;
  /** Messages waiting or in flight (the status message aside). */
  queued(): number;
  /** Adds a listener of the session's events; listeners are told in the order they were added. */
  listen(listener: SessionListener): void;
  /** For an Inbox: receives what the broker sends from now on (one inbox; a second replaces it). */
  attach(inbox: Inbox): void;
  /** For an Inbox: writes one packet; false when not connected or the write failed. */
  sendPacket(bytes: Payload): boolean;
  /** For an Inbox: a packet id no unacknowledged packet holds. */
  nextId(): number;
  /**
   * How late the state timer is, ms (negative: not yet due). Every state but STOPPED has exactly
   * one; Infinity when it has none, which only an interrupted callback can cause.
   */
  overdue(): number;
  /** Drops whatever the session was doing and connects again (the supervisor's remedy). */
  restart(reason: string): void;
}

/** The default retry and connect timeouts, ms. */
const DEFAULT_TIMEOUT_MS = 10000;

/** The longest a closing session waits for the `offline` status to be acknowledged, ms. */
const CLOSE_TIMEOUT_MS = 2000;
/** How often the connected session checks its deadlines (keepalive, retries), ms. */
const TICK_MS = 1000;
/**
 * Packets written and not yet sent (no `drain`, no answer from the broker) beyond which the broker
 * is taken as not reading: acknowledgements to a broker that floods and never reads would
 * otherwise fill the device's memory.
 */
const MAX_UNSENT = 32;
/**
 * PUBLISH bytes written after which the next waits for the socket to drain (or a PUBACK): Espruino
 * sends at most 536 bytes a pass and copies the rest of its send buffer each time, so it stays
 * within one pass; small PUBLISHes still go back to back, filling the in-flight window.
 */
const SEND_PASS_BYTES = 536;
/** A string payload longer than this is written apart from its header, not concatenated to it (bytes always are). */
const SPLIT_PAYLOAD_BYTES = 256;

export function createSession(options: SessionOptions, ports: SessionPorts): MqttSession {
  // The options are read where they are used, not copied: on Espruino every local of this
  // function is a JsVar held as long as the session.
  const clock = ports.clock;
  const keepaliveMs = (options.keepalive === undefined ? 30 : options.keepalive) * 1000;
  const status = options.status;
  const outbox: Outbox = [];

  let state = SessionState.STOPPED;
  let connection: Connection | undefined;
  let decoder: PacketStream | undefined;
  /** The one state timer: a deadline, the backoff wait, or the connected tick; and when it is due. */
  let timer = 0;
  let timerDue = 0;
  let lastId = 0;
  /** Connection attempts that failed since the last one that lasted or delivered. */
  let failures = 0;
  /** The status message queued (`online` or, when closing, `offline`): there is at most one. */
  let statusEntry: OutboxEntry | undefined;
  let inbox: Inbox | undefined;
  const listeners: SessionListener[] = [];
  let lastSentAt = 0;
  let lastReceivedAt = 0;
  /** When the last PINGREQ went: one at a time while the broker is silent. */
  let pingAt = 0;
  let connectedAt = 0;
  /** A reading (not our own status) was acknowledged on this connection: the broker works. */
  let progressed = false;
  let unsent = 0;
  /** PUBLISH bytes written since the socket last drained or the broker last acknowledged. */
  let undrained = 0;
  let onStopped: (() => void) | undefined;
  /** The last topic publish() found valid. */
  let checkedTopic: WireString | undefined;

  ports.network.onDown((reason) => {
    if (state !== SessionState.STOPPED && state !== SessionState.BACKOFF)
      go(SessionState.BACKOFF, "network down: " + reason);
  });

  // ---- The state machine: the one place where the state changes. ----

  /** `patient`: a refusal that retrying soon cannot fix (bad credentials, not authorised). */
  function go(next: SessionState, reason: string, patient?: boolean): void {
    const previous = state;
    // A stop is final: whatever fails while closing ends it, never a reconnect.
    if (previous === SessionState.CLOSING && next === SessionState.BACKOFF) next = SessionState.STOPPED;
    clock.clearTimeout(timer);
    timer = 0;
    ports.log("[mqtt] " + stateName(previous) + " -> " + stateName(next) + " (" + reason + ")");
    state = next;
    // A connection that delivered, or stayed up, resets the backoff: a flapping link is retried at
    // once; a broker that drops clients before acknowledging anything sees the delays grow.
    if (previous === SessionState.CONNECTED && (progressed || clock.now() - connectedAt >= (options.stableMs || 60000)))
      failures = 0;
    if (next === SessionState.BACKOFF || next === SessionState.STOPPED || next === SessionState.NETWORK_CONNECTING)
      dropConnection();

    if (next === SessionState.NETWORK_CONNECTING) {
      deadline("network timeout");
      ports.network.connect((error) => {
        if (state !== SessionState.NETWORK_CONNECTING) return;
        if (error) go(SessionState.BACKOFF, "network: " + error);
        else go(SessionState.TCP_CONNECTING, "network up");
      });
    } else if (next === SessionState.TCP_CONNECTING) {
      openConnection();
    } else if (next === SessionState.MQTT_CONNECTING) {
      // The deadline first: a failed write changes state and replaces it.
      deadline("no CONNACK");
      if (send(options.connectPacket) && options.eager) {
        if (status) queueStatus(status.online);
        emit(SessionEvent.CONNECTING);
        pump();
      }
    } else if (next === SessionState.CONNECTED) {
      connectedAt = clock.now();
      progressed = false;
      tick();
    } else if (next === SessionState.BACKOFF) {
      // The timer before the log line: an interrupted callback must not leave no timer.
      const delay = backoffDelay(
        options.backoff || { baseMs: 1000, capMs: 60000, minMs: 100 },
        failures++,
        !!patient,
        ports.random,
      );
      arm(
        () => go(ports.network.isUp() ? SessionState.TCP_CONNECTING : SessionState.NETWORK_CONNECTING, "retry"),
        delay,
      );
      ports.log("[mqtt] retry in " + delay + " ms");
    } else if (next === SessionState.CLOSING) {
      deadline("offline status not acknowledged", CLOSE_TIMEOUT_MS);
    } else if (next === SessionState.STOPPED) {
      const done = onStopped;
      onStopped = undefined;
      if (done) done();
    }
  }

  /** Arms the state timer (the only place that does). */
  function arm(callback: () => void, ms: number): void {
    timerDue = clock.now() + ms;
    timer = clock.setTimeout(callback, ms);
  }

  /**
   * Arms the state timer: if the state has not changed by then, back off (or, closing, just leave).
   * `ms` defaults to the connect timeout, the one every connecting state waits.
   */
  function deadline(reason: string, ms?: number): void {
    arm(
      () => {
        timer = 0;
        if (state === SessionState.CLOSING) disconnect();
        else go(SessionState.BACKOFF, reason);
      },
      ms || options.connectTimeoutMs || DEFAULT_TIMEOUT_MS,
    );
  }

  function openConnection(): void {
    decoder = createPacketStream(options.maxPacketSize || 4096);
    undrained = 0;
    unsent = 0;
    let opened: Connection | undefined;
    try {
      opened = ports.transport.connect(options.host, options.port, (event: ConnectionEvent, detail?: unknown) => {
        // Each connection's events only count while it is the current one: a late event from an
        // old socket must not disturb the next.
        if (!opened || connection !== opened) return;
        if (event === ConnectionEvent.OPEN) {
          if (state === SessionState.TCP_CONNECTING) go(SessionState.MQTT_CONNECTING, "TCP open");
        } else if (event === ConnectionEvent.DATA) {
          receive(detail as Uint8Array);
        } else if (event === ConnectionEvent.DRAIN) {
          undrained = 0;
          unsent = 0;
          pump();
        } else if (state === SessionState.CLOSING) {
          go(SessionState.STOPPED, "closed");
        } else {
          go(SessionState.BACKOFF, "connection closed: " + detail);
        }
      });
    } catch (e) {
      // Espruino on Linux throws at once for a refused connection or an unknown host.
      return go(SessionState.BACKOFF, "connect failed: " + errorText(e));
    }
    connection = opened;
    deadline("TCP connect timeout");
  }

  function dropConnection(): void {
    const closing = connection;
    connection = undefined;
    decoder = undefined;
    connectionLost(outbox);
    if (closing) {
      try {
        closing.close();
      } catch (e) {
        // Already closed by the peer: nothing left to release.
      }
    }
  }

  /** Closing ends STOPPED whatever happens to the DISCONNECT (a failed write has stopped already). */
  function disconnect(): void {
    if (send(emptyText(PacketType.DISCONNECT)) || state === SessionState.CLOSING)
      go(SessionState.STOPPED, "disconnected");
  }

  function emit(event: SessionEvent, arg?: boolean | number): void {
    for (let i = 0; i < listeners.length; i++) listeners[i](event, arg);
  }

  // ---- Sending ----

  /**
   * Writes one packet; false when there is no connection or the write failed. A failed write
   * ends the connection (back off, or stop when closing): callers check the state after it.
   */
  function send(bytes: Payload): boolean {
    if (!connection) return false;
    if (++unsent > MAX_UNSENT) {
      go(SessionState.BACKOFF, "the broker is not reading: " + MAX_UNSENT + " packets unsent");
      return false;
    }
    lastSentAt = clock.now();
    try {
      connection.write(bytes);
      return true;
    } catch (e) {
      go(state === SessionState.CLOSING ? SessionState.STOPPED : SessionState.BACKOFF, "write failed: " + errorText(e));
      return false;
    }
  }

  /** Queues the status message ahead of everything waiting, replacing one still queued. */
  function queueStatus(payload: Payload): void {
    if (statusEntry) removeEntry(outbox, statusEntry);
    statusEntry = { topic: (status as StatusMessages).topic, payload, qos: 1, state: EntryState.WAITING, retain: true };
    const dropped = pushEntry(outbox, options.queueSize || 8, statusEntry, true);
    if (dropped) emit(SessionEvent.DROPPED, dropped.ref);
  }

  /**
   * Sends queued messages while the in-flight window has room and the socket has drained.
   * Closing, only the `offline` status goes.
   */
  function pump(): void {
    while (undrained < SEND_PASS_BYTES && inFlight(outbox).length < (options.inflightWindow || 1)) {
      const next = nextToSend(outbox);
      if (
        !next ||
        !(
          state === SessionState.CONNECTED ||
          (options.eager && state === SessionState.MQTT_CONNECTING) ||
          (state === SessionState.CLOSING && next === statusEntry)
        )
      )
        return;
      sendEntry(next);
    }
  }

  function sendEntry(e: OutboxEntry): void {
    const resend = !!e.id;
    if (e.qos > 0 && !resend) e.id = nextId();
    if (LOG_DEBUG) ports.log("[mqtt] PUBLISH" + (e.qos ? " #" + e.id : "") + (resend ? " (DUP)" : "") + " " + e.topic);
    const payload = e.payload;
    const header = publishHeaderText({
      topic: e.topic,
      payload,
      qos: e.qos,
      dup: resend,
      retain: !!e.retain,
      id: e.id || 0,
    });
    // Packets are binary strings, built here without the binary serializers. Bytes, and a long
    // payload (the discovery config), go in a second write: one copy less in RAM.
    const split = typeof payload !== "string" || payload.length > SPLIT_PAYLOAD_BYTES;
    const packet = split ? header : header + payload;
    if (!send(packet) || (split && !send(payload))) {
      if (!resend) e.id = 0; // never on the wire: its first real send is not a DUP
      return;
    }
    undrained += packet.length + (split ? payload.length : 0);
    e.state = EntryState.IN_FLIGHT;
    e.sentAt = clock.now();
    if (!resend) emit(SessionEvent.SENT, e.ref);
    if (e.qos === 0) completed(e);
  }

  /** The broker has the message (PUBACK), or at QoS 0 it was written: it leaves the queue. */
  function completed(e: OutboxEntry): void {
    removeEntry(outbox, e);
    if (e === statusEntry) {
      statusEntry = undefined;
      if (state === SessionState.CLOSING) return disconnect();
    }
    emit(SessionEvent.DELIVERED, e.ref);
  }

  /** Packet ids 1..65535, wrapping, never one still held by an unacknowledged message. */
  function nextId(): number {
    do {
      lastId = (lastId % 65535) + 1;
    } while (holdsId(outbox, lastId) || (inbox && inbox(InboxEvent.HOLDS, lastId)));
    return lastId;
  }

  // ---- Receiving ----

  function receive(bytes: Uint8Array): void {
    const reading = decoder;
    if (!reading) return;
    const error = pushBytes(reading, bytes, (packet) => {
      if (decoder === reading) handle(packet);
    });
    if (error && decoder === reading) go(SessionState.BACKOFF, "malformed packet from broker: " + error.error);
  }

  function handle(packet: IncomingPacket): void {
    lastReceivedAt = clock.now();
    const type = packet.type;
    if (type === PacketType.PINGRESP) unsent = 0;
    if (type === PacketType.CONNACK) {
      if (state !== SessionState.MQTT_CONNECTING) return go(SessionState.BACKOFF, "unexpected CONNACK");
      const code = packet.returnCode;
      if (code !== 0)
        return go(SessionState.BACKOFF, "refused: " + connackCodeName(code) + " (" + code + ")", code >= 4);
      return connected(packet.sessionPresent);
    }
    if (state !== SessionState.CONNECTED && state !== SessionState.CLOSING)
      return go(SessionState.BACKOFF, "packet before CONNACK");
    if (type === PacketType.PUBACK) {
      const e = acknowledgeEntry(outbox, packet.id);
      if (!e) return ports.log("[mqtt] PUBACK #" + packet.id + " for no message in flight (ignored)");
      if (LOG_DEBUG) ports.log("[mqtt] PUBACK #" + packet.id);
      undrained = 0;
      // It read our PUBLISH: what we wrote is getting through.
      unsent = 0;
      if (e !== statusEntry) progressed = true;
      completed(e);
      return pump();
    }
    // The broker's side of QoS 1 and 2 is owed whether or not anyone listens (MQTT-4.3).
    if (type === PacketType.PUBLISH && packet.qos)
      send(ackText(packet.qos === 1 ? PacketType.PUBACK : PacketType.PUBREC, packet.id));
    if (type === PacketType.PUBREL) send(ackText(PacketType.PUBCOMP, packet.id));
    if (inbox) inbox(InboxEvent.RECEIVED, packet);
    else if (type === PacketType.PUBLISH)
      ports.log("[mqtt] message on " + packet.topic + " dropped: nothing subscribes");
    // PINGRESP, PUBREC and PUBCOMP (we publish at QoS 0 and 1 only) need nothing beyond
    // refreshing lastReceivedAt.
  }

  function connected(sessionPresent: boolean): void {
    go(SessionState.CONNECTED, sessionPresent ? "session present" : "new session");
    if (inbox) inbox(InboxEvent.CONNECTED, sessionPresent);
    // An eager session queued (and sent) `online` with the CONNECT already.
    if (status && !options.eager) queueStatus(status.online);
    emit(SessionEvent.CONNECTED, sessionPresent);
    pump();
  }

  /**
   * Once a second while connected: keepalive both ways, and resends of unacknowledged messages.
   * It re-arms first: an exception (or, on the device, running out of memory) part-way through
   * must not leave the session without its timer.
   */
  function tick(): void {
    arm(tick, TICK_MS);
    const now = clock.now();
    if (keepaliveMs && now - lastReceivedAt > keepaliveMs * 1.5) {
      return go(
        SessionState.BACKOFF,
        "no packet from the broker for " + Math.round((now - lastReceivedAt) / 1000) + " s",
      );
    }
    // Timed from both directions: QoS 0 traffic out must not keep a PINGREQ from going when
    // nothing has come back for a keepalive.
    if (
      keepaliveMs &&
      (now - lastSentAt >= keepaliveMs || (now - lastReceivedAt >= keepaliveMs && pingAt <= lastReceivedAt))
    ) {
      pingAt = now;
      send(emptyText(PacketType.PINGREQ));
    }
    const retryMs = options.retryMs || DEFAULT_TIMEOUT_MS;
    inFlight(outbox).forEach((e) => {
      if (now - (e.sentAt as number) >= retryMs) {
        ports.log("[mqtt] no PUBACK #" + e.id + " after " + retryMs + " ms");
        sendEntry(e);
      }
    });
  }

  return {
    state: () => state,
    start() {
      if (state === SessionState.STOPPED)
        go(ports.network.isUp() ? SessionState.TCP_CONNECTING : SessionState.NETWORK_CONNECTING, "start");
    },
    stop(done, quiet) {
      onStopped = done;
      if (state === SessionState.CONNECTED) {
        go(SessionState.CLOSING, "stop");
        if (!status || quiet) return disconnect();
        queueStatus(status.offline);
        // The last message, and small: it need not wait for the socket to drain.
        undrained = 0;
        pump();
      } else if (state === SessionState.STOPPED) {
        onStopped = undefined;
        if (done) done();
      } else if (state === SessionState.MQTT_CONNECTING) {
        // The CONNECT is on the wire, and the broker may have accepted it already: the DISCONNECT
        // after it (a client need not wait for the CONNACK) makes it drop the Will.
        send(emptyText(PacketType.DISCONNECT));
        go(SessionState.STOPPED, "stop");
      } else if (state !== SessionState.CLOSING) {
        go(SessionState.STOPPED, "stop");
      }
    },
    publish(topic, payload, qos, retain, ref) {
      // Checked once per topic: a device publishes to the same one over and over.
      if (topic !== checkedTopic) {
        const why = topicNameError(topic) || (isUtf8(topic, 0, topic.length) ? "" : "topic is not UTF-8 bytes");
        if (why) throw new Error("publish: " + why);
        checkedTopic = topic;
      }
      // The optional fields only when set: each is a JsVar or more on Espruino.
      const e: OutboxEntry = { topic, payload, qos, state: EntryState.WAITING };
      if (retain) e.retain = true;
      if (ref !== undefined) e.ref = ref;
      const dropped = pushEntry(outbox, options.queueSize || 8, e);
      if (dropped) emit(SessionEvent.DROPPED, dropped.ref);
      pump();
      return dropped;
    },
    queued: () => outbox.length - (statusEntry ? 1 : 0),
    listen(listener) {
      listeners.push(listener);
    },
    attach(i) {
      inbox = i;
    },
    sendPacket: (bytes) => state === SessionState.CONNECTED && send(bytes),
    nextId,
    overdue: () => (state === SessionState.STOPPED ? -Infinity : timer ? clock.now() - timerDue : Infinity),
    restart(reason) {
      if (state !== SessionState.STOPPED && state !== SessionState.CLOSING) go(SessionState.BACKOFF, reason);
    },
  };
}

function errorText(e: unknown): string {
  return (e as Error).message || String(e);
}
