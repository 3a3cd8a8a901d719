/** What the watch tests share: an embedded broker, a watch server on it, a scripted publisher. */
import mqtt, { type MqttClient } from "mqtt";
import { startEmbeddedBroker, type EmbeddedBroker } from "../../tools/broker";
import type { WatchOptions } from "../../tools/watch/args";
import { startWatch, type Hello, type Watch } from "../../tools/watch/watch";

export { startEmbeddedBroker, type EmbeddedBroker };

export interface TestWatch extends Watch {
  /** Console lines it printed. */
  lines: string[];
  state(): Promise<Hello>;
}

export async function watchBroker(port: number, options: Partial<WatchOptions> = {}): Promise<TestWatch> {
  const lines: string[] = [];
  const watch = await startWatch(
    {
      url: `mqtt://127.0.0.1:${port}`,
      prefix: "sensors",
      port: 0,
      history: 1000,
      lateAfterS: 30,
      reconnectMs: 200,
      ...options,
    },
    (line) => lines.push(line),
  );
  return {
    ...watch,
    lines,
    state: async () => (await (await fetch(watch.address + "api/state")).json()) as Hello,
  };
}

export async function publisher(port: number): Promise<MqttClient> {
  return mqtt.connectAsync(`mqtt://127.0.0.1:${port}`, { clientId: "test-publisher", reconnectPeriod: 0 });
}

/** The payload the firmware sends; `boot` and `time` only when given, as older firmware omits them. */
export function reading(
  device: string,
  seq: number,
  temperature: number,
  extra: { boot?: number; time?: number; uptime?: number } = {},
): string {
  const o: Record<string, unknown> = { device, seq, temperature, uptime: extra.uptime ?? seq * 10 };
  if (extra.boot !== undefined) o.boot = extra.boot;
  if (extra.time !== undefined) o.time = extra.time;
  return JSON.stringify(o);
}

export async function waitFor<T>(
  what: string,
  check: () => T | undefined | false | Promise<T | undefined | false>,
  timeoutMs = 10_000,
): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
