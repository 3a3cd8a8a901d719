/** A fake clock and a scripted transport: the session's unit tests drive every event by hand. */
import mqttPacket from "mqtt-packet";
import { seededRandom } from "../../tools/support/random";

export { seededRandom };
import {
  createSession,
  SessionEvent,
  type MqttSession,
  type SessionListener,
  type SessionOptions,
} from "../../src/session/session";
import { sessionConnectPacket, type SessionIdentity } from "../../src/session/connect-packet";
import {
  ConnectionEvent,
  type Clock,
  type Connection,
  type ConnectionListener,
  type NetworkLink,
  type Transport,
} from "../../src/session/ports";
import type { Payload } from "../../src/mqtt/packets";
import { SessionState } from "../../src/session/state";

export class FakeClock implements Clock {
  private time = 0;
  private nextId = 1;
  private timers = new Map<number, { at: number; callback: () => void }>();

  now(): number {
    return this.time;
  }
  setTimeout(callback: () => void, ms: number): number {
    const id = this.nextId++;
    this.timers.set(id, { at: this.time + ms, callback });
    return id;
  }
  clearTimeout(id: number): void {
    this.timers.delete(id);
  }
  /** Timers not yet fired or cleared. */
  pending(): number {
    return this.timers.size;
  }
  /** Moves time forward by `ms`, firing due timers in order. */
  advance(ms: number): void {
    const end = this.time + ms;
    for (;;) {
      let due: [number, { at: number; callback: () => void }] | undefined;
      for (const entry of this.timers) if (entry[1].at <= end && (!due || entry[1].at < due[1].at)) due = entry;
      if (!due) break;
      this.timers.delete(due[0]);
      this.time = Math.max(this.time, due[1].at);
      due[1].callback();
    }
    this.time = end;
  }
}

/** A client packet as mqtt-packet parses it. */
// Tests read the fields of whichever packet type they expect.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Sent = mqttPacket.Packet & Record<string, any>;

export class FakeConnection implements Connection {
  readonly written: Sent[] = [];
  /** socket.write calls: a long PUBLISH payload is written apart from its header. */
  writes = 0;
  closed = false;
  /** One parser for the connection's byte stream: a packet may span writes. */
  private readonly parser = mqttPacket.parser({ protocolVersion: 4 });
  /** The transport's side: the events it reports to the session, one call each. */
  readonly events: {
    open(): void;
    data(bytes: Uint8Array): void;
    drain(): void;
    closed(reason: string): void;
  };
  constructor(
    readonly host: string,
    readonly port: number,
    listener: ConnectionListener,
  ) {
    this.events = {
      open: () => listener(ConnectionEvent.OPEN),
      data: (bytes) => listener(ConnectionEvent.DATA, bytes),
      drain: () => listener(ConnectionEvent.DRAIN),
      closed: (reason) => listener(ConnectionEvent.CLOSED, reason),
    };
    this.parser.on("packet", (p: Sent) => this.written.push(p));
    this.parser.on("error", (e: Error) => {
      throw e;
    });
  }
  write(bytes: Payload): void {
    if (this.closed) throw new Error("This socket is closed");
    this.writes++;
    this.parser.parse(typeof bytes === "string" ? Buffer.from(bytes, "latin1") : Buffer.from(bytes));
  }
  close(): void {
    this.closed = true;
  }
  /** The broker's side: sends a packet (mqtt-packet fields) to the session. */
  receive(packet: Record<string, unknown>): void {
    this.events.data(new Uint8Array(mqttPacket.generate(packet as unknown as mqttPacket.Packet)));
  }
  /** Packets written since the last call, by command name. */
  take(): Sent[] {
    return this.written.splice(0);
  }
}

export class ScriptedTransport implements Transport {
  readonly connections: FakeConnection[] = [];
  /** When set, the next connect() throws it (Espruino's synchronous refusal). */
  throwOnConnect: Error | undefined;
  connect(host: string, port: number, listener: ConnectionListener): Connection {
    if (this.throwOnConnect) throw this.throwOnConnect;
    const c = new FakeConnection(host, port, listener);
    this.connections.push(c);
    return c;
  }
  get last(): FakeConnection {
    return this.connections[this.connections.length - 1];
  }
}

export class FakeLink implements NetworkLink {
  up = false;
  connectCalls = 0;
  pendingDone: ((error?: string) => void) | undefined;
  private downListener: (reason: string) => void = () => {};
  isUp(): boolean {
    return this.up;
  }
  connect(done: (error?: string) => void): void {
    this.connectCalls++;
    this.pendingDone = done;
  }
  onDown(listener: (reason: string) => void): void {
    this.downListener = listener;
  }
  comeUp(): void {
    this.up = true;
    const done = this.pendingDone;
    this.pendingDone = undefined;
    if (done) done();
  }
  fail(error: string): void {
    const done = this.pendingDone;
    this.pendingDone = undefined;
    if (done) done(error);
  }
  goDown(reason: string): void {
    this.up = false;
    this.downListener(reason);
  }
}

/** Handlers by event name, for tests: a listener that calls the one for each event, if any. */
export function byEvent(handlers: {
  connected?(sessionPresent: boolean): void;
  connecting?(): void;
  sent?(ref: number | undefined): void;
  delivered?(ref: number | undefined): void;
  dropped?(ref: number | undefined): void;
}): SessionListener {
  return (event, arg) => {
    if (event === SessionEvent.CONNECTED) handlers.connected?.(arg as boolean);
    else if (event === SessionEvent.CONNECTING) handlers.connecting?.();
    else if (event === SessionEvent.SENT) handlers.sent?.(arg as number | undefined);
    else if (event === SessionEvent.DELIVERED) handlers.delivered?.(arg as number | undefined);
    else handlers.dropped?.(arg as number | undefined);
  };
}

export interface Rig {
  session: MqttSession;
  clock: FakeClock;
  transport: ScriptedTransport;
  link: FakeLink;
  logs: string[];
}

/** Session options with the identity its CONNECT packet is built from. */
export type RigOptions = Omit<SessionOptions, "connectPacket"> & SessionIdentity;

export const DEFAULTS: RigOptions = {
  host: "broker.test",
  port: 1883,
  clientId: "dev-1",
  keepalive: 30,
  status: { topic: "sensors/dev-1/status", online: "online", offline: "offline" },
  queueSize: 5,
};

export function rig(options: Partial<RigOptions> = {}, linkUp = true, seed = 1): Rig {
  const clock = new FakeClock();
  const transport = new ScriptedTransport();
  const link = new FakeLink();
  link.up = linkUp;
  const logs: string[] = [];
  const all = { ...DEFAULTS, ...options };
  const session = createSession(
    { ...all, connectPacket: sessionConnectPacket(all) },
    { clock, transport, network: link, random: seededRandom(seed), log: (l) => logs.push(l) },
  );
  return { session, clock, transport, link, logs };
}

/** Starts the session (if stopped) and completes TCP + CONNACK; the CONNECT is taken from the writes. */
export function connect(r: Rig, sessionPresent = false): FakeConnection {
  if (r.session.state() === 0) r.session.start();
  const c = r.transport.last;
  c.events.open();
  c.take();
  c.receive({ cmd: "connack", returnCode: 0, sessionPresent });
  return c;
}

export function puback(c: FakeConnection, messageId: number | undefined): void {
  if (!messageId) throw new Error("puback: no packet id");
  c.receive({ cmd: "puback", messageId });
}

/**
 * Connects once the backoff (after a cut) has opened a new connection: the clock runs in 50 ms
 * steps (at most 50 s) until the session is TCP_CONNECTING or STOPPED, then connect().
 */
export function connectAfterBackoff(r: Rig, sessionPresent = false): FakeConnection {
  for (
    let i = 0;
    i < 1000 && r.session.state() !== SessionState.TCP_CONNECTING && r.session.state() !== SessionState.STOPPED;
    i++
  )
    r.clock.advance(50);
  return connect(r, sessionPresent);
}

/**
 * Acknowledges every PUBLISH as it comes (a PUBACK for QoS 1), taking what the connection wrote
 * until it writes no more (an ack may let the next PUBLISH out); returns the PUBLISHes in order.
 */
export function ackPublishes(c: FakeConnection): Sent[] {
  const out: Sent[] = [];
  for (let batch = c.take(); batch.length; batch = c.take()) {
    for (const p of batch) {
      if (p.cmd !== "publish") continue;
      out.push(p);
      if (p.qos) puback(c, p.messageId);
    }
  }
  return out;
}
