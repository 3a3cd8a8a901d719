/**
 * The watcher's MQTT client (the `mqtt` package): subscribes to `<prefix>/#` and reconnects forever,
 * also after a refused login, reporting each change of its connection once.
 */
import { readFileSync } from "node:fs";
import { randomBytes } from "node:crypto";
import mqtt, { type IClientOptions, type MqttClient } from "mqtt";

export interface BrokerTarget {
  /** mqtt://[user[:pass]@]host[:port] or mqtts://... */
  url: string;
  prefix: string;
  /** PEM files, mqtts:// only. */
  ca?: string;
  cert?: string;
  key?: string;
  reconnectMs?: number;
}

export interface Connection {
  state: "connecting" | "connected" | "disconnected";
  /** Why, in words: "refused: not authorized (5)", "connect ECONNREFUSED 127.0.0.1:1883", ... */
  detail: string;
  /** Unix ms of the change. */
  since: number;
  broker: string;
}

export interface SubscriberEvents {
  message(topic: string, payload: string, retained: boolean): void;
  connection(connection: Connection): void;
}

export interface Subscriber {
  connection(): Connection;
  close(): Promise<void>;
}

/** The URL with the password as ***, for the console and the page. */
export function maskUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = "***";
    return u.href.replace(/\/$/, "");
  } catch {
    return url.replace(/:\/\/([^:@/]*):[^@/]*@/, "://$1:***@");
  }
}

/** Throws on a URL or a TLS file that cannot work, before anything connects. */
export function clientOptions(target: BrokerTarget): IClientOptions {
  const u = new URL(target.url);
  if (u.protocol !== "mqtt:" && u.protocol !== "mqtts:")
    throw new Error(`broker URL must be mqtt:// or mqtts://, not ${u.protocol}//`);
  if (!u.hostname) throw new Error("broker URL has no host");
  const tls = u.protocol === "mqtts:";
  if (!tls && (target.ca || target.cert || target.key))
    throw new Error("--ca, --cert and --key only apply to mqtts:// URLs");
  if (!target.cert !== !target.key) throw new Error("--cert and --key go together (two-way TLS)");
  const options: IClientOptions = {
    protocol: tls ? "mqtts" : "mqtt",
    host: u.hostname,
    port: u.port ? Number(u.port) : tls ? 8883 : 1883,
    clientId: "watch-" + randomBytes(4).toString("hex"),
    clean: true,
    keepalive: 30,
    connectTimeout: 10_000,
    reconnectPeriod: target.reconnectMs ?? 3000,
    // Without this, mqtt.js stops after a refused CONNACK: a fixed password would never be picked up.
    reconnectOnConnackError: true,
  };
  if (u.username) options.username = decodeURIComponent(u.username);
  if (u.password) options.password = decodeURIComponent(u.password);
  if (target.ca) options.ca = readFileSync(target.ca);
  if (target.cert) options.cert = readFileSync(target.cert);
  if (target.key) options.key = readFileSync(target.key);
  return options;
}

export function subscribe(target: BrokerTarget, events: SubscriberEvents): Subscriber {
  const broker = maskUrl(target.url);
  let current: Connection = { state: "connecting", detail: "connecting", since: Date.now(), broker };
  let closing = false;
  const report = (state: Connection["state"], detail: string) => {
    if (closing || (current.state === state && current.detail === detail)) return;
    current = { state, detail, since: Date.now(), broker };
    events.connection(current);
  };
  const client: MqttClient = mqtt.connect(clientOptions(target));
  const filter = target.prefix + "/#";
  let lastError = "";

  client.on("connect", () => {
    lastError = "";
    client.subscribe(filter, { qos: 1 }, (err, granted) => {
      if (err) report("connected", `subscribe to ${filter} failed: ${err.message}`);
      else if (granted?.some((g) => g.qos === 128))
        report("connected", `the broker refused the subscription to ${filter}`);
      else report("connected", `subscribed to ${filter}`);
    });
  });
  client.on("message", (topic, payload, packet) => events.message(topic, payload.toString("utf8"), packet.retain));
  // Every error is reported, none is thrown: the client keeps retrying.
  client.on("error", (err) => {
    lastError = describe(err);
    report("disconnected", lastError);
  });
  client.on("close", () => report("disconnected", lastError || "connection lost"));
  // Retries after a failure stay "disconnected" with its reason, so the console says it once.
  client.on("reconnect", () => {
    if (current.state !== "disconnected") report("connecting", "connecting");
  });

  return {
    connection: () => current,
    close: () => {
      closing = true;
      return new Promise<void>((resolve) => client.end(true, {}, () => resolve()));
    },
  };
}

const CONNACK_CODES: Record<number, string> = {
  1: "unacceptable protocol version",
  2: "identifier rejected",
  3: "server unavailable",
  4: "bad user name or password",
  5: "not authorized",
};

function describe(err: Error & { code?: unknown }): string {
  if (typeof err.code === "number" && CONNACK_CODES[err.code])
    return `refused: ${CONNACK_CODES[err.code]} (${err.code})`;
  return err.message || String(err);
}
