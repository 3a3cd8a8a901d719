/**
 * Battery mode (SLEEP_MS): one wake from boot to deep sleep. It takes one reading (retried if it
 * fails), connects meanwhile, lets the delivery send everything stored, then DISCONNECTs without
 * the `offline` status (a scheduled sleep is not a death: the broker keeps `online` and sends no
 * Will) and sleeps for the period less the time awake. Past AWAKE_MAX_MS it sleeps anyway: the
 * readings wait in flash for a later wake, and the battery is not drained by retrying.
 */
import type { Clock, Log } from "../session/ports";
import { DISCONNECT_FLUSH_MS, type MqttSession } from "../session/session";
import { SessionState } from "../session/state";

export interface WakeOptions {
  /** The period, ms: a wake starts every this often (SLEEP_MS). */
  sleepMs: number;
  /** The longest a wake lasts, ms (AWAKE_MAX_MS). */
  awakeMaxMs: number;
  /** Reads of the sensor a wake may take to get one good reading. */
  readAttempts: number;
}

export interface WakePorts {
  session: MqttSession;
  /** Readings stored and not yet delivered. */
  pending(): number;
  /** Readings delivered so far in this wake. */
  delivered(): number;
  /** The sensor loop's one good reading (sensor-loop.ts readOnce). */
  readOnce(attempts: number, done: (stored: boolean) => void): void;
  clock: Clock;
  log: Log;
  /** The chip's deep sleep; does not return on a device. */
  sleep(ms: number): void;
}

/** How often the wake looks whether it is done, ms. */
const POLL_MS = 50;

/** `awakeSince`: clock.now() when this boot started. */
export function runWake(options: WakeOptions, ports: WakePorts, awakeSince: number): void {
  const { session, clock, log } = ports;
  let reading = true;
  let ending = false;
  const awake = () => Math.round(clock.now() - awakeSince);

  ports.readOnce(options.readAttempts, (stored) => {
    reading = false;
    if (!stored) log("[sleep] no good reading in " + options.readAttempts + " tries this wake");
  });
  session.start();
  const deadline = clock.setTimeout(
    () => end("awake " + options.awakeMaxMs + " ms: " + ports.pending() + " readings wait in flash"),
    options.awakeMaxMs - awake(),
  );
  poll();

  function poll(): void {
    if (ending) return;
    if (!reading && session.state() === SessionState.CONNECTED && ports.pending() === 0 && session.queued() === 0)
      return end("everything delivered");
    clock.setTimeout(poll, POLL_MS);
  }

  function end(why: string): void {
    if (ending) return;
    ending = true;
    clock.clearTimeout(deadline);
    // Connected, or a CONNECT on the wire: stop() writes a DISCONNECT, which needs time to leave.
    const state = session.state();
    const disconnecting = state === SessionState.CONNECTED || state === SessionState.MQTT_CONNECTING;
    log("[sleep] " + why + "; " + ports.delivered() + " delivered this wake");
    session.stop(() => clock.setTimeout(sleepNow, disconnecting ? DISCONNECT_FLUSH_MS : 0), true);
  }

  function sleepNow(): void {
    const ms = Math.max(0, options.sleepMs - awake());
    log("[sleep] awake " + awake() + " ms; sleeping " + ms + " ms");
    ports.sleep(ms);
  }
}
