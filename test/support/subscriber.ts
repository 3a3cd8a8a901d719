/** A subscriber on the host (MQTT.js), recording what a device publishes. */
import mqtt, { type MqttClient } from "mqtt";

export interface Received {
  topic: string;
  payload: string;
  retain: boolean;
  qos: number;
  at: number;
}

export interface Subscriber {
  client: MqttClient;
  messages: Received[];
  /** Messages on `topic` (exact). */
  on(topic: string): Received[];
  /** Resolves when `predicate` holds for the messages received, or rejects after `timeoutMs`. */
  waitFor(predicate: (messages: Received[]) => boolean, timeoutMs?: number, what?: string): Promise<void>;
  close(): Promise<void>;
}

export async function subscribe(url: string, filter: string, options: mqtt.IClientOptions = {}): Promise<Subscriber> {
  const client = await mqtt.connectAsync(url, { protocolVersion: 4, reconnectPeriod: 200, ...options });
  const messages: Received[] = [];
  client.on("message", (topic, payload, packet) => {
    messages.push({ topic, payload: payload.toString("utf8"), retain: packet.retain, qos: packet.qos, at: Date.now() });
  });
  await client.subscribeAsync(filter, { qos: 1 });
  return {
    client,
    messages,
    on: (topic) => messages.filter((m) => m.topic === topic),
    async waitFor(predicate, timeoutMs = 10000, what = "condition") {
      const deadline = Date.now() + timeoutMs;
      while (!predicate(messages)) {
        if (Date.now() > deadline)
          throw new Error(
            `timed out after ${timeoutMs} ms waiting for ${what}; got ${messages.length} messages: ${JSON.stringify(messages.slice(-5))}`,
          );
        await new Promise((r) => setTimeout(r, 25));
      }
    },
    close: () => client.endAsync(true),
  };
}
