/**
 * The device's health on `<prefix>/<id>/diagnostics`: retained JSON at QoS 1, at each connect,
 * every `everyMs` (0: at connects only) and when a set message is answered. Only while
 * connected: a retained state that waited in RAM for the link would be stale when it arrived.
 */
import type { WireString } from "../mqtt/packets";
import type { Clock, Log } from "../session/ports";
import type { MqttSession } from "../session/session";
import { SessionState } from "../session/state";

/** What a diagnostics message holds, gathered when it is sent. Numbers and ASCII text only. */
export type DiagnosticsSample = Record<string, number | string | undefined>;

export interface Diagnostics {
  /** Sends one now, with `result` (how a set message went) as `set`, if connected. */
  send(result?: string): void;
  /** A new period, ms (0: at connects only), from now. */
  every(ms: number): void;
}

export function createDiagnostics(session: MqttSession, topic: WireString, clock: Clock, sample: () => DiagnosticsSample, everyMs: number, log: Log): Diagnostics {
  let timer = 0;
  /** The last set message's answer: it stays in every message until the next one. */
  let lastSet: string | undefined;

  function send(result?: string): void {
    if (result !== undefined) lastSet = result;
    if (session.state() !== SessionState.CONNECTED) return;
    const fields = sample();
    if (lastSet !== undefined) fields.set = lastSet;
    try {
      session.publish(topic, JSON.stringify(fields), 1, true);
    } catch (e) {
      log("[diagnostics] not sent: " + ((e as Error).message || e));
    }
  }

  function every(ms: number): void {
    clock.clearTimeout(timer);
    timer = 0;
    everyMs = ms;
    if (ms) timer = clock.setTimeout(tick, ms);
  }

  function tick(): void {
    timer = clock.setTimeout(tick, everyMs);
    send();
  }

  session.listen({ connected: () => send() });
  every(everyMs);
  return { send, every };
}
