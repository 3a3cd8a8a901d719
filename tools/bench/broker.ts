/**
 * The benchmarks' broker on loopback: mosquitto when installed (as the end-to-end tests use),
 * else the embedded aedes. The bench reaches it through tools/support/tcp-proxy.ts, which it opens
 * and closes (the broker "down" is the proxy's port refusing connections) and which counts what
 * crosses it.
 */
import { startEmbeddedBroker } from "../broker";
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
