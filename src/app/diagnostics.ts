/**
 * The device's health on `<prefix>/<id>/diagnostics`: retained JSON at QoS 1, at each connect,
 * every `everyMs` (0: at connects only) and when a set message is answered. Only while
 * connected: a retained state that waited in RAM for the link would be stale when it arrived.
 */
import type { WireString } from "../mqtt/packets";
import type { Clock, Log } from "../session/ports";
import { SessionEvent, type MqttSession } from "../session/session";
import { SessionState } from "../session/state";

/** What a diagnostics message holds, gathered when it is sent. Numbers and ASCII text only. */
export type DiagnosticsSample = Record<string, number | string | undefined>;

export interface Diagnostics {
  /** Sends one now, with `result` (how a set message went) as `set`, if connected. */
  send(result?: string): void;
  /** A new period, ms (0: at connects only), from now. */
  every(ms: number): void;
}

/** The ref diagnostics messages are published with (readings' refs are their seqs, from 1). */
export const DIAGNOSTICS_REF = -1;

export function createDiagnostics(
  session: MqttSession,
  topic: WireString,
  clock: Clock,
  sample: () => DiagnosticsSample,
  everyMs: number,
  log: Log,
): Diagnostics {
  let timer = 0;
  /** The last set message's answer: it stays in every message until the next one. */
  let lastSet: string | undefined;
  /**
   * One is queued and not yet acknowledged: no second one is queued behind it, so that a broker
   * that stops acknowledging (or a flood of set messages) cannot fill the session's queue and push
   * out readings. A set message's answer that came meanwhile goes once it is acknowledged.
   */
  let queued = false;
  let answerWaiting = false;

  function send(result?: string): void {
    if (result !== undefined) lastSet = result;
    if (queued) answerWaiting = answerWaiting || result !== undefined;
    if (session.state() !== SessionState.CONNECTED || queued) return;
    const fields = sample();
    if (lastSet !== undefined) fields.set = lastSet;
    try {
      session.publish(topic, JSON.stringify(fields), 1, true, DIAGNOSTICS_REF);
      queued = true;
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

  session.listen((event, ref) => {
    if (event === SessionEvent.CONNECTED) return send();
    if (event !== SessionEvent.DELIVERED || ref !== DIAGNOSTICS_REF) return;
    queued = false;
    if (answerWaiting) {
      answerWaiting = false;
      send();
    }
  });
  every(everyMs);
  return { send, every };
}
