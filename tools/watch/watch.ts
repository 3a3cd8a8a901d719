/**
 * The watch server: the broker subscriber feeds the device store, and every open page gets the
 * changes over Server-Sent Events, a device at most every FLUSH_MS. Nothing that arrives can stop
 * it: bad messages and broker trouble become log lines, on the console and on the page.
 */
import type { AddressInfo } from "node:net";
import type { WatchOptions } from "./args";
import { DeviceStore, type Change, type DeviceView } from "./devices";
import { createWatchServer } from "./http";
import type { Points } from "./series";
import { EventHub } from "./sse";
import { maskUrl, subscribe, type Connection } from "./subscriber";

export interface LogLine {
  at: number;
  level: "info" | "warn" | "error";
  text: string;
}

/** The first event a page gets: everything it needs to draw. */
export interface Hello {
  info: { broker: string; prefix: string; history: number; lateAfterS: number; startedAt: number; buckets: number };
  connection: Connection;
  log: LogLine[];
  devices: { view: DeviceView; points: Points }[];
}

/** What changed on a device since the last event: its view, and the chart points to append. */
export interface DeviceEvent {
  view: DeviceView;
  points: [number, number][];
}

export interface Watch {
  /** http://127.0.0.1:<port>/ */
  address: string;
  port: number;
  close(): Promise<void>;
}

const FLUSH_MS = 250;
const LOG_KEPT = 100;
/** Chart buckets: a line of a few hundred points, whatever the history. */
const BUCKETS = 400;
const MAX_DEVICES = 500;

/** `print` gets each console line with its level (npm start shows only warnings and errors). */
export async function startWatch(
  options: WatchOptions,
  print: (line: string, level: LogLine["level"]) => void = (line) => console.log(line),
): Promise<Watch> {
  const store = new DeviceStore({ prefix: options.prefix, history: options.history, lateAfterS: options.lateAfterS });
  const hub = new EventHub();
  const log: LogLine[] = [];
  const say = (level: LogLine["level"], text: string) => {
    const line: LogLine = { at: Date.now(), level, text };
    log.push(line);
    if (log.length > LOG_KEPT) log.shift();
    print(`[watch] ${level === "info" ? "" : level + ": "}${text}`, level);
    hub.send("log", line);
  };

  const pending = new Map<string, [number, number][]>();
  const flush = setInterval(() => {
    for (const [id, points] of pending) {
      const view = store.view(id);
      if (view) hub.send("device", { view, points } satisfies DeviceEvent);
    }
    pending.clear();
  }, FLUSH_MS);

  const onChange = (change: Change) => {
    if (change.problem) say("warn", `${change.problem.topic}: ${change.problem.text}`);
    if (change.note) say("info", change.note);
    if (!change.device) return;
    const points = pending.get(change.device) ?? [];
    if (change.point) points.push(change.point);
    pending.set(change.device, points);
  };

  let tooMany = false;
  const subscriber = subscribe(
    {
      url: options.url,
      prefix: options.prefix,
      ca: options.ca,
      cert: options.cert,
      key: options.key,
      reconnectMs: options.reconnectMs,
    },
    {
      message(topic, payload, retained) {
        try {
          const id = topic.slice(options.prefix.length + 1).split("/")[0];
          if (store.size >= MAX_DEVICES && !store.has(id)) {
            if (!tooMany) say("error", `more than ${MAX_DEVICES} devices: new ones are ignored`);
            tooMany = true;
            return;
          }
          onChange(store.message(topic, payload, retained, Date.now()));
        } catch (e) {
          // A bug on one message must not take the watcher down.
          say("error", `${topic}: ${(e as Error).stack || e}`);
        }
      },
      connection(c) {
        say(c.state === "disconnected" ? "error" : "info", `broker ${c.broker}: ${c.state} (${c.detail})`);
        hub.send("connection", c);
      },
    },
  );

  const startedAt = Date.now();
  const hello = (): Hello => ({
    info: {
      broker: maskUrl(options.url),
      prefix: options.prefix,
      history: options.history,
      lateAfterS: options.lateAfterS,
      startedAt,
      buckets: BUCKETS,
    },
    connection: subscriber.connection(),
    log,
    devices: store.ids().map((id) => ({ view: store.view(id)!, points: store.points(id, BUCKETS)! })),
  });

  const server = createWatchServer(
    {
      events: (req, res) => hub.open(req, res, hello()),
      api(name, query) {
        if (name === "state") return hello();
        if (name !== "points") return undefined;
        const num = (key: string) =>
          query.has(key) && Number.isFinite(Number(query.get(key))) ? Number(query.get(key)) : undefined;
        return store.points(
          query.get("device") ?? "",
          Math.min(num("buckets") ?? BUCKETS, 5000),
          num("from"),
          num("to"),
        );
      },
    },
    (text) => say("error", text),
  );
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, "127.0.0.1", () => {
      server.off("error", reject);
      resolve();
    });
  }).catch(async (e: NodeJS.ErrnoException) => {
    clearInterval(flush);
    hub.close();
    await subscriber.close();
    throw new Error(
      e.code === "EADDRINUSE" ? `port ${options.port} on 127.0.0.1 is in use: pick another with --port` : e.message,
    );
  });
  const port = (server.address() as AddressInfo).port;

  return {
    address: `http://127.0.0.1:${port}/`,
    port,
    async close() {
      clearInterval(flush);
      hub.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await subscriber.close();
    },
  };
}
