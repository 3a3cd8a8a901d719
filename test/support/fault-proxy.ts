/**
 * A TCP proxy between a device and its broker that breaks the link on command: the device's
 * MQTT_URL names the proxy, the proxy forwards to the broker.
 *
 * Faults act on the connections open when they are commanded (a new connection is healthy, as
 * after a NAT entry or a Wi-Fi association is lost and made again):
 * - `cut()`: destroys every connection now, both sides.
 * - `randomCuts()`: cuts at seeded-random moments after each connection opens.
 * - `stall()`: holds the bytes of both directions (and a close from either side) without closing;
 *   only a keepalive can notice. `resume()` delivers what was held.
 * - `drop("up")`: swallows device -> broker bytes (and the device's close) while broker -> device
 *   flows; `drop("down")` the reverse.
 */
import net from "node:net";
import { seededRandom } from "./random";

export type Direction = "up" | "down";
type Flow = "pass" | "hold" | "drop";

export interface ProxyStats {
  /** Connections accepted from the device side (the host runtime's connect probe adds empty ones). */
  accepted: number;
  cuts: number;
  /** Bytes forwarded device -> broker and broker -> device. */
  up: number;
  down: number;
  /** Bytes swallowed by drop(). */
  swallowed: number;
}

export interface FaultProxy {
  port: number;
  url: string;
  stats: ProxyStats;
  /** Connections with at least one side still open. */
  open(): number;
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
  close(): Promise<void>;
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

export async function startFaultProxy(targetPort: number, targetHost = "127.0.0.1"): Promise<FaultProxy> {
  const pairs = new Set<Pair>();
  const stats: ProxyStats = { accepted: 0, cuts: 0, up: 0, down: 0, swallowed: 0 };
  let onNewPair: ((pair: Pair) => void) | undefined;

  const destroy = (pair: Pair) => {
    clearTimeout(pair.timer);
    pair.device.destroy();
    pair.broker.destroy();
    pairs.delete(pair);
  };

  const server = net.createServer((device) => {
    stats.accepted++;
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
    // `from` sends in direction `dir` to `to`.
    const wire = (from: net.Socket, to: net.Socket, dir: Direction) => {
      from.on("data", (chunk) => {
        const flow = pair.flow[dir];
        if (flow === "hold") pair.held[dir].push(chunk);
        else if (flow === "drop") stats.swallowed += chunk.length;
        else {
          stats[dir] += chunk.length;
          to.write(chunk);
        }
      });
      const gone = () => {
        const flow = pair.flow[dir];
        if (flow === "hold") pair.closeHeld[dir] = true;
        else if (flow === "pass") destroy(pair);
        // "drop": the close is lost too; the other side learns by its own keepalive.
        if (from.destroyed && to.destroyed) destroy(pair);
      };
      from.on("error", () => {});
      from.on("close", gone);
    };
    wire(device, broker, "up");
    wire(broker, device, "down");
    onNewPair?.(pair);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as net.AddressInfo).port;

  const setFlow = (flows: Partial<Record<Direction, Flow>>) => {
    for (const pair of pairs) Object.assign(pair.flow, flows);
  };

  return {
    port,
    url: `mqtt://127.0.0.1:${port}`,
    stats,
    open: () => pairs.size,
    cut() {
      const n = pairs.size;
      for (const pair of [...pairs]) destroy(pair);
      stats.cuts += n;
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
          for (const chunk of pair.held[dir].splice(0)) {
            stats[dir] += chunk.length;
            if (!to.destroyed) to.write(chunk);
          }
          if (pair.closeHeld[dir]) closing = true;
        }
        // A held close goes through once the held bytes are written.
        if (closing) {
          pair.device.end();
          pair.broker.end();
          if (pair.device.destroyed && pair.broker.destroyed) destroy(pair);
        }
      }
    },
    drop: (direction) => setFlow({ [direction]: "drop" }),
    randomCuts(seed, minMs, maxMs, onCut) {
      const random = seededRandom(seed);
      onNewPair = (pair) => {
        clearTimeout(pair.timer);
        pair.timer = setTimeout(() => {
          if (!pairs.has(pair)) return;
          destroy(pair);
          stats.cuts++;
          onCut?.();
        }, minMs + random() * (maxMs - minMs));
      };
      for (const pair of pairs) onNewPair(pair);
      return () => {
        onNewPair = undefined;
        for (const pair of pairs) clearTimeout(pair.timer);
      };
    },
    close() {
      onNewPair = undefined;
      for (const pair of [...pairs]) destroy(pair);
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
