/**
 * The network between a device and its broker, as one TCP proxy on loopback: the device's
 * MQTT_URL names the proxy, the proxy forwards each connection to the broker. It models
 * - the link's latency: `roundTripMs` added to every round trip, half each way (a Wi-Fi hop to a
 *   broker further away); a close crosses it as late as the bytes before it;
 * - the broker's address being reachable or not: `open()` / `close()` start and stop listening on
 *   the same port (closed, the port refuses connections, as a broker that is down; `close()` also
 *   drops every connection); `listening: false` starts it closed;
 * - the link failing, on command, for the connections open at that moment (a new connection is
 *   healthy, as after a NAT entry or a Wi-Fi association is lost and made again):
 *   - `cut()`: destroys every connection now, both sides;
 *   - `randomCuts()`: cuts at seeded-random moments after each connection opens;
 *   - `stall()`: holds the bytes of both directions (and a close from either side) without
 *     closing; only a keepalive can notice. `resume()` delivers what was held;
 *   - `drop("up")`: swallows device -> broker bytes (and the device's close) while broker -> device
 *     flows; `drop("down")` the reverse;
 * - and a witness on the wire: byte counts, and the MQTT packets each side sent (PUBLISHes,
 *   PUBACKs, CONNACKs, QoS 1 in flight), counted and timed as they reach the proxy from their
 *   sender, before any fault or delay acts on them. The counters are of fixed size; the timeline
 *   (a time per CONNACK, PUBACK and PUBLISH) grows with every packet and is kept only when asked
 *   (`timeline: true`): the proxy runs in the test's process, whose heap a memory test measures.
 */
import net from "node:net";
import { performance } from "node:perf_hooks";
import { freePort } from "./ports";
import { seededRandom } from "./random";

/** "up": device -> broker; "down": broker -> device. */
export type Direction = "up" | "down";
type Flow = "pass" | "hold" | "drop";

export interface TcpProxyStats {
  /** Connections accepted from the device side (the host runtime's connect probe adds empty ones). */
  accepted: number;
  /** Connections cut by cut() or randomCuts(). */
  cuts: number;
  /** Bytes forwarded device -> broker and broker -> device. */
  up: number;
  down: number;
  /** Bytes swallowed by drop(). */
  swallowed: number;
  /** PUBLISHes from the device (any QoS) and PUBACKs from the broker. */
  publishes: number;
  pubacks: number;
  /** Most QoS > 0 PUBLISHes the device had sent and the broker had not yet acknowledged, on one connection. */
  maxInFlight: number;
  /** Most PUBLISH bytes the device sent between two PUBACKs from the broker. */
  maxBytesBetweenAcks: number;
  /** Largest PUBLISH packet from the device, bytes. */
  maxPublishBytes: number;
  /** performance.now() of each CONNACK from the broker (with `timeline: true`, else empty). */
  connacks: number[];
  /** Each PUBACK from the broker: performance.now() when it reached the proxy, and its PUBLISH's topic (with `timeline: true`). */
  acks: Array<{ at: number; topic: string }>;
  /** performance.now() of each PUBLISH from the device (with `timeline: true`). */
  sends: number[];
}

export interface TcpProxyOptions {
  /** Added to every round trip, ms: half on the way up, half on the way down. Default 0. */
  roundTripMs?: number;
  /** Listening from the start (default), or refusing connections until open(). */
  listening?: boolean;
  /** Keep the stats' connacks, acks and sends (they grow with every packet). Default false. */
  timeline?: boolean;
  targetHost?: string;
}

export interface TcpProxy {
  /** The port the device connects to: the same across close() and open(). */
  port: number;
  /** `mqtt://127.0.0.1:<port>`. */
  url: string;
  /** Replaced by reset(): read it through the proxy. */
  stats: TcpProxyStats;
  /** Zeroes the stats. */
  reset(): void;
  /** Starts listening (nothing if already listening). */
  open(): Promise<void>;
  /** Stops listening and drops every connection; open() listens again on the same port. */
  close(): Promise<void>;
  /** Connections with at least one side still open. */
  connections(): number;
  /** Destroys every connection now; returns how many there were. */
  cut(): number;
  stall(): void;
  /** Ends stall(): held bytes (and closes) go through. */
  resume(): void;
  drop(direction: Direction): void;
  /**
   * Cuts each connection `minMs`..`maxMs` (seeded uniform) after it opened (an open one: after
   * now), until the returned function is called. `onCut` hears each cut.
   */
  randomCuts(seed: number, minMs: number, maxMs: number, onCut?: () => void): () => void;
}

interface Pair {
  device: net.Socket;
  broker: net.Socket;
  flow: Record<Direction, Flow>;
  held: Record<Direction, Buffer[]>;
  /** A side closed while its direction was held: the close waits too. */
  closeHeld: Record<Direction, boolean>;
  timer?: ReturnType<typeof setTimeout>;
}

const freshStats = (): TcpProxyStats => ({
  accepted: 0,
  cuts: 0,
  up: 0,
  down: 0,
  swallowed: 0,
  publishes: 0,
  pubacks: 0,
  maxInFlight: 0,
  maxBytesBetweenAcks: 0,
  maxPublishBytes: 0,
  connacks: [],
  acks: [],
  sends: [],
});

/** Splits a byte stream into MQTT packets (fixed header included). */
function framer(onPacket: (packet: Buffer) => void): (chunk: Buffer) => void {
  let buffered = Buffer.alloc(0);
  return (chunk) => {
    buffered = Buffer.concat([buffered, chunk]);
    for (;;) {
      let length = 0;
      let multiplier = 1;
      let i = 1;
      for (; i < buffered.length && i <= 4; i++) {
        length += (buffered[i] & 127) * multiplier;
        multiplier *= 128;
        if ((buffered[i] & 128) === 0) break;
      }
      if (i >= buffered.length) return;
      const total = i + 1 + length;
      if (buffered.length < total) return;
      onPacket(buffered.subarray(0, total));
      buffered = buffered.subarray(total);
    }
  };
}

export async function startTcpProxy(targetPort: number, options: TcpProxyOptions = {}): Promise<TcpProxy> {
  const targetHost = options.targetHost ?? "127.0.0.1";
  const timeline = options.timeline ?? false;
  const halfTrip = (options.roundTripMs ?? 0) / 2;
  /** Runs `fn` after half the round trip, or now (Node's timers of one delay fire in order). */
  const later = (fn: () => void) => (halfTrip ? void setTimeout(fn, halfTrip) : fn());
  const pairs = new Set<Pair>();
  let onNewPair: ((pair: Pair) => void) | undefined;
  let server: net.Server | undefined;

  const destroy = (pair: Pair) => {
    clearTimeout(pair.timer);
    pair.device.destroy();
    pair.broker.destroy();
    pairs.delete(pair);
  };

  /** Forwards `chunk` in direction `dir`, through the link's latency. */
  const forward = (dir: Direction, to: net.Socket, chunk: Buffer) => {
    proxy.stats[dir] += chunk.length;
    later(() => {
      if (!to.destroyed) to.write(chunk);
    });
  };

  /** Counts the MQTT packets of one connection, as they reach the proxy. */
  const witness = () => {
    const inFlight = new Set<number>();
    /** Topic of each QoS > 0 PUBLISH in flight, by packet id. */
    const topics = new Map<number, string>();
    let bytesSinceAck = 0;
    const up = framer((p) => {
      const s = proxy.stats;
      if (p[0] >> 4 !== 3) return;
      bytesSinceAck += p.length;
      s.maxBytesBetweenAcks = Math.max(s.maxBytesBetweenAcks, bytesSinceAck);
      s.publishes++;
      if (timeline) s.sends.push(performance.now());
      s.maxPublishBytes = Math.max(s.maxPublishBytes, p.length);
      const qos = (p[0] >> 1) & 3;
      if (qos === 0) return;
      let i = 1;
      while (p[i] & 128) i++;
      const topicAt = i + 1;
      const idAt = topicAt + 2 + p.readUInt16BE(topicAt);
      const id = p.readUInt16BE(idAt);
      inFlight.add(id);
      topics.set(id, p.subarray(topicAt + 2, idAt).toString("latin1"));
      s.maxInFlight = Math.max(s.maxInFlight, inFlight.size);
    });
    const down = framer((p) => {
      const s = proxy.stats;
      if (p[0] >> 4 === 2 && timeline) s.connacks.push(performance.now());
      if (p[0] >> 4 !== 4) return;
      s.pubacks++;
      const id = p.readUInt16BE(2);
      if (timeline) s.acks.push({ at: performance.now(), topic: topics.get(id) ?? "" });
      topics.delete(id);
      inFlight.delete(id);
      bytesSinceAck = 0;
    });
    return { up, down };
  };

  const accept = (device: net.Socket) => {
    proxy.stats.accepted++;
    const broker = net.connect({ host: targetHost, port: targetPort });
    const pair: Pair = {
      device,
      broker,
      flow: { up: "pass", down: "pass" },
      held: { up: [], down: [] },
      closeHeld: { up: false, down: false },
    };
    pairs.add(pair);
    device.setNoDelay(true);
    broker.setNoDelay(true);
    const seen = witness();
    // `from` sends in direction `dir` to `to`.
    const wire = (from: net.Socket, to: net.Socket, dir: Direction) => {
      from.on("data", (chunk: Buffer) => {
        seen[dir](chunk);
        const flow = pair.flow[dir];
        if (flow === "hold") pair.held[dir].push(chunk);
        else if (flow === "drop") proxy.stats.swallowed += chunk.length;
        else forward(dir, to, chunk);
      });
      const gone = () => {
        const flow = pair.flow[dir];
        if (flow === "hold") pair.closeHeld[dir] = true;
        // The close follows the bytes before it across the link.
        else if (flow === "pass") later(() => destroy(pair));
        // "drop": the close is lost too; the other side learns by its own keepalive.
        if (from.destroyed && to.destroyed) destroy(pair);
      };
      from.on("error", () => {});
      from.on("close", gone);
    };
    wire(device, broker, "up");
    wire(broker, device, "down");
    onNewPair?.(pair);
  };

  const setFlow = (flows: Partial<Record<Direction, Flow>>) => {
    for (const pair of pairs) Object.assign(pair.flow, flows);
  };

  const listen = (port: number) =>
    new Promise<number>((resolve, reject) => {
      const s = net.createServer(accept);
      s.once("error", reject);
      s.listen(port, "127.0.0.1", () => {
        server = s;
        resolve((s.address() as net.AddressInfo).port);
      });
    });

  const port = options.listening === false ? await freePort() : await listen(0);

  const proxy: TcpProxy = {
    port,
    url: `mqtt://127.0.0.1:${port}`,
    stats: freshStats(),
    reset() {
      proxy.stats = freshStats();
    },
    async open() {
      if (!server) await listen(port);
    },
    close() {
      for (const pair of [...pairs]) destroy(pair);
      const s = server;
      server = undefined;
      return new Promise<void>((resolve) => (s ? s.close(() => resolve()) : resolve()));
    },
    connections: () => pairs.size,
    cut() {
      const n = pairs.size;
      for (const pair of [...pairs]) destroy(pair);
      proxy.stats.cuts += n;
      return n;
    },
    stall: () => setFlow({ up: "hold", down: "hold" }),
    resume() {
      for (const pair of [...pairs]) {
        let closing = false;
        for (const dir of ["up", "down"] as const) {
          if (pair.flow[dir] !== "hold") continue;
          pair.flow[dir] = "pass";
          const to = dir === "up" ? pair.broker : pair.device;
          for (const chunk of pair.held[dir].splice(0)) forward(dir, to, chunk);
          if (pair.closeHeld[dir]) closing = true;
        }
        // A held close goes through once the held bytes are written.
        if (closing)
          later(() => {
            pair.device.end();
            pair.broker.end();
            if (pair.device.destroyed && pair.broker.destroyed) destroy(pair);
          });
      }
    },
    drop: (direction) => setFlow({ [direction]: "drop" }),
    randomCuts(seed, minMs, maxMs, onCut) {
      const random = seededRandom(seed);
      onNewPair = (pair) => {
        clearTimeout(pair.timer);
        pair.timer = setTimeout(
          () => {
            if (!pairs.has(pair)) return;
            destroy(pair);
            proxy.stats.cuts++;
            onCut?.();
          },
          minMs + random() * (maxMs - minMs),
        );
      };
      for (const pair of pairs) onNewPair(pair);
      return () => {
        onNewPair = undefined;
        for (const pair of pairs) clearTimeout(pair.timer);
      };
    },
  };
  return proxy;
}
