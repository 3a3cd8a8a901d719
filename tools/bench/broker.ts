/**
 * The benchmarks' broker on loopback: mosquitto when installed (as the end-to-end tests use),
 * else the embedded aedes; and a TCP proxy in front of it that the bench opens and closes (the
 * broker "down" is the proxy's port refusing connections) and that counts what crosses it.
 */
import { createServer, connect, type Server, type Socket } from "node:net";
import { performance } from "node:perf_hooks";
import { startEmbeddedBroker } from "../broker";
import { freePort } from "../support/ports";
import { mosquittoBinary, startMosquitto } from "../support/mosquitto";

export interface Broker {
  /** "mosquitto" or "aedes (embedded)". */
  name: string;
  port: number;
  stop(): Promise<void>;
}

export async function startBroker(): Promise<Broker> {
  let haveMosquitto = true;
  try {
    mosquittoBinary();
  } catch {
    haveMosquitto = false;
  }
  if (haveMosquitto) {
    const m = await startMosquitto();
    return { name: "mosquitto", port: m.port, stop: () => m.stop() };
  }
  const a = await startEmbeddedBroker();
  return { name: "aedes (embedded)", port: a.port, stop: () => a.close() };
}

/** What the proxy saw of the client's QoS 1 PUBLISHes and the broker's PUBACKs. */
export interface ProxyStats {
  publishes: number;
  pubacks: number;
  /** Most QoS > 0 PUBLISHes the client had sent and the broker had not yet acknowledged. */
  maxInFlight: number;
  /** Most PUBLISH bytes the client sent between two PUBACKs from the broker. */
  maxBytesBetweenAcks: number;
  /** Largest PUBLISH packet from the client, bytes. */
  maxPublishBytes: number;
  /** performance.now() of each CONNACK the broker sent through the proxy. */
  connacks: number[];
  /** Each PUBACK from the broker: performance.now() when it crossed, and its PUBLISH's topic. */
  acks: Array<{ at: number; topic: string }>;
  /** performance.now() of each PUBLISH from the client. */
  sends: number[];
}

export interface Proxy {
  /** The port the firmware is built against; refuses connections until open(). */
  port: number;
  open(): Promise<void>;
  /** Stops listening and drops every connection. */
  close(): Promise<void>;
  stats: ProxyStats;
  /** Zeroes the stats. */
  reset(): void;
}

/** Splits a byte stream into MQTT packets: (first byte, whole packet). */
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

export interface ProxyOptions {
  /** Added to every round trip, ms: half on the way up, half on the way down (a Wi-Fi link's latency). */
  roundTripMs?: number;
}

export async function startProxy(upstreamPort: number, options: ProxyOptions = {}): Promise<Proxy> {
  const halfTrip = (options.roundTripMs ?? 0) / 2;
  /** Forwards now, or after half the round trip (Node's timers of one delay fire in order). */
  const forward = (to: Socket, d: Buffer) => (halfTrip ? setTimeout(() => to.destroyed || to.write(d), halfTrip) : to.write(d));
  const port = await freePort();
  const sockets = new Set<Socket>();
  let server: Server | undefined;
  const fresh = (): ProxyStats => ({ publishes: 0, pubacks: 0, maxInFlight: 0, maxBytesBetweenAcks: 0, maxPublishBytes: 0, connacks: [], acks: [], sends: [] });
  const proxy: Proxy = {
    port,
    stats: fresh(),
    reset() {
      proxy.stats = fresh();
    },
    open: () =>
      new Promise<void>((resolve, reject) => {
        server = createServer((client) => {
          const inFlight = new Set<number>();
          /** Topic of each QoS > 0 PUBLISH in flight, by packet id. */
          const topics = new Map<number, string>();
          let bytesSinceAck = 0;
          const upstream = connect({ host: "127.0.0.1", port: upstreamPort });
          sockets.add(client);
          sockets.add(upstream);
          const fromClient = framer((p) => {
            const s = proxy.stats;
            if (p[0] >> 4 !== 3) return;
            bytesSinceAck += p.length;
            s.maxBytesBetweenAcks = Math.max(s.maxBytesBetweenAcks, bytesSinceAck);
            s.publishes++;
            s.sends.push(performance.now());
            s.maxPublishBytes = Math.max(s.maxPublishBytes, p.length);
            const qos = (p[0] >> 1) & 3;
            if (qos === 0) return;
            let i = 1;
            while (p[i] & 128) i++;
            const topicAt = i + 1;
            const idAt = topicAt + 2 + p.readUInt16BE(topicAt);
            inFlight.add(p.readUInt16BE(idAt));
            topics.set(p.readUInt16BE(idAt), p.subarray(topicAt + 2, idAt).toString("latin1"));
            s.maxInFlight = Math.max(s.maxInFlight, inFlight.size);
          });
          const fromBroker = framer((p) => {
            if (p[0] >> 4 === 2) proxy.stats.connacks.push(performance.now());
            if (p[0] >> 4 !== 4) return;
            proxy.stats.pubacks++;
            const id = p.readUInt16BE(2);
            proxy.stats.acks.push({ at: performance.now(), topic: topics.get(id) ?? "" });
            topics.delete(id);
            inFlight.delete(id);
            bytesSinceAck = 0;
          });
          client.on("data", (d) => {
            fromClient(d);
            forward(upstream, d);
          });
          upstream.on("data", (d) => {
            fromBroker(d);
            forward(client, d);
          });
          const end = () => {
            client.destroy();
            upstream.destroy();
            sockets.delete(client);
            sockets.delete(upstream);
          };
          client.on("close", end);
          upstream.on("close", end);
          client.on("error", end);
          upstream.on("error", end);
        });
        server.once("error", reject);
        server.listen(port, "127.0.0.1", () => resolve());
      }),
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        sockets.clear();
        if (!server) return resolve();
        server.close(() => resolve());
        server = undefined;
      }),
  };
  return proxy;
}
