/**
 * What the end-to-end and reliability tests set up, each piece stopped again when the test ends:
 * a real mosquitto on loopback, a subscriber watching what the device publishes, and the built
 * `linux` firmware running (host runtime, or ESPRUINO's interpreter).
 */
import type { IClientOptions } from "mqtt";
import { afterEach } from "vitest";
import { startMosquitto, type Mosquitto, type MosquittoOptions } from "../../tools/support/mosquitto";
import { buildLinux, runDevice, type Device } from "./firmware";
import { subscribe, type Subscriber } from "./subscriber";

export type Cleanup = () => unknown;
/** Registers a cleanup for the test that is running. */
export type AddCleanup = (cleanup: Cleanup) => void;

/**
 * Cleanups for a file's tests, run newest first (awaited) after each test. Call once at the top
 * level of a file whose tests run one at a time (concurrent ones: the reliability harness's
 * `cleanups(onTestFinished)`).
 */
export function cleanupAfterEach(): AddCleanup {
  const cleanups: Cleanup[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });
  return (cleanup) => void cleanups.push(cleanup);
}

/** A mosquitto on its own loopback port, stopped at cleanup. */
export async function startBroker(cleanup: AddCleanup, options: MosquittoOptions = {}): Promise<Mosquitto> {
  const broker = await startMosquitto(options);
  cleanup(() => broker.stop());
  return broker;
}

/** A subscriber (MQTT.js) on `broker` to `filter`, closed at cleanup. */
export async function startWatcher(
  cleanup: AddCleanup,
  broker: Mosquitto,
  filter: string,
  options: IClientOptions = {},
): Promise<Subscriber> {
  const sub = await subscribe(broker.url, filter, options);
  cleanup(() => sub.close());
  return sub;
}

/**
 * A broker and a watcher `clientId` on `filter` with a persistent session (clean: false): what the
 * device publishes while the broker restarts is queued for the watcher, not lost.
 */
export async function watchedBroker(
  cleanup: AddCleanup,
  filter: string,
  clientId: string,
): Promise<{ broker: Mosquitto; sub: Subscriber }> {
  const broker = await startBroker(cleanup);
  const sub = await startWatcher(cleanup, broker, filter, { clientId, clean: false });
  return { broker, sub };
}

/**
 * The `linux` firmware built with `settings` (buildLinux's defaults under them) and running, killed
 * at cleanup. `cwd`: its flash directory; `espruino`: the interpreter, instead of ESPRUINO.
 */
export async function startFirmware(
  cleanup: AddCleanup,
  settings: Record<string, string>,
  options: { cwd?: string; espruino?: string } = {},
): Promise<{ file: string; device: Device }> {
  const file = await buildLinux(settings);
  const device = runDevice(file, options);
  cleanup(() => device.firmware.kill());
  return { file, device };
}
