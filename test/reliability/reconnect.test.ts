/**
 * Reconnect latency and reconnect rate of the built `linux` firmware, against real brokers.
 *
 * - Random cuts: a fault proxy (tools/support/tcp-proxy.ts) in front of mosquitto cuts each
 *   connection 0.5-3 s (seeded) after it opened, for RELIABILITY_RECONNECT_S (default 50) s. A
 *   flapping network must be recovered from quickly: the mean time from a cut to the next CONNACK
 *   is checked against RECOVERY_MS (the longest against RECOVERY_MAX_MS), and every reading still
 *   reaches a persistent QoS 1 subscriber.
 * - Connection rate: a broker that is down (nothing listens), one in front of which a proxy
 *   accepts TCP and closes at once, one that refuses every CONNECT (mosquitto: not authorised;
 *   our own broker: server unavailable), and one that accepts and kicks each client right after
 *   its CONNACK. For ~60 s the device's connection attempts (`-> TCP_CONNECTING`) are counted and
 *   checked against bounds derived from the backoff (full jitter, ceiling doubling from 1 s to
 *   RECONNECT_MAX_MS, 1/2..1 x the cap after a refused login): no storm, and no giving up. These
 *   devices are built with RECONNECT_MAX_MS=10000 so the cap is reached and held within the
 *   minute; one more runs with the shipped default (60 s) for the first minute's figure.
 *
 * The scenarios run concurrently, each with its own broker and device.
 */
import { describe, it } from "vitest";
import { startMosquitto } from "../../tools/support/mosquitto";
import { startTcpProxy } from "../../tools/support/tcp-proxy";
import { startHostileBroker } from "../support/hostile-broker";
import { freePort } from "../../tools/support/ports";
import {
  ANY_LOSS,
  CONNECTED,
  DELIVERED,
  SLACK_MS,
  cleanups,
  count,
  duplicates,
  missing,
  report,
  RUNTIME,
  seconds,
  sleep,
  startDevice,
  watchedDevice,
  firstReadings,
  arrivals,
  expectUnhurt,
  type Device,
} from "./harness";

type Expect = typeof import("vitest").expect;

/** What the issue asks of a flapping network: back within ~1.5 s of a cut on average. */
const RECOVERY_MS = 1500;
/**
 * The longest a cut may take to recover from: a backoff reset gives a delay under 1 s; a
 * connection cut before a reading was acknowledged doubles the next ceiling (2 s); plus SLACK_MS.
 * Without the reset, delays reach RECONNECT_MAX_MS.
 */
const RECOVERY_MAX_MS = 2 * 1000 + SLACK_MS;
/** The backoff as the firmware is built (tools/build/firmware-config.ts). */
const BASE_MS = 1000;
const MIN_MS = 100;
/** RECONNECT_MAX_MS of the connection-rate devices. */
const CAP_MS = 10000;
/** The shipped RECONNECT_MAX_MS (tools/build/settings-schema.ts). */
const DEFAULT_CAP_MS = 60000;
/** How long the connection rate is watched. */
const WINDOW_MS = 60000;

const ATTEMPT = /\[mqtt\] \w+ -> TCP_CONNECTING \(/;
const RETRY = /\[mqtt\] retry in (\d+) ms$/;

/**
 * Expected connection attempts in `windowMs` from the first (which counts), for full jitter with
 * the ceiling doubling from BASE_MS up to `capMs` (each delay's mean: half its ceiling, floored at
 * MIN_MS); `perAttemptMs` is what each attempt itself takes.
 */
function expectedAttempts(capMs: number, windowMs: number, perAttemptMs = 0): number {
  let t = 0;
  let n = 1;
  for (let ceiling = Math.min(capMs, BASE_MS); ; ceiling = Math.min(capMs, ceiling * 2)) {
    t += Math.max(MIN_MS, ceiling / 2) + perAttemptMs;
    if (t >= windowMs) return n;
    n++;
  }
}

interface Rate {
  attempts: number;
  /** CONNACKs accepted, in the window. */
  accepted: number;
  perMinute: number;
  delays: number[];
}

/** Attempts (and the backoff delays between them) in the window starting at the first attempt. */
function rate(device: Device, windowMs: number): Rate {
  const first = device.find(ATTEMPT);
  const start = device.lines[first].at;
  const within = device.lines.filter((l) => l.at >= start && l.at < start + windowMs);
  const delays = within
    .map((l) => RETRY.exec(l.text))
    .filter((m) => m !== null)
    .map((m) => Number(m[1]));
  const attempts = within.filter((l) => ATTEMPT.test(l.text)).length;
  return {
    attempts,
    accepted: within.filter((l) => CONNECTED.test(l.text)).length,
    perMinute: (attempts * 60000) / windowMs,
    delays,
  };
}

const describeDelays = (d: number[]) =>
  d.length
    ? `delays ${seconds(Math.min(...d))}..${seconds(Math.max(...d))}, mean ${seconds(d.reduce((a, b) => a + b, 0) / d.length)}`
    : "no delays";

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

/** Starts a device at `url` and watches it for WINDOW_MS; checks it never crashed. */
async function watchRate(
  expect: Expect,
  name: string,
  url: string,
  capMs: number,
  add: (fn: () => unknown) => void,
): Promise<{ device: Device; r: Rate }> {
  const device = await startDevice({ MQTT_URL: url, DEVICE_ID: name, RECONNECT_MAX_MS: String(capMs) });
  add(() => device.firmware.kill());
  await device.waitFor(ATTEMPT, 30000);
  await sleep(WINDOW_MS + 1000);
  const r = rate(device, WINDOW_MS);
  expect(device.uncaught).toEqual([]);
  expect(device.alive()).toBe(true);
  // Each wait within its ceiling's bounds: never under the floor, never over the cap.
  for (const d of r.delays) {
    expect(d, `${name}: a delay`).toBeGreaterThanOrEqual(MIN_MS);
    expect(d, `${name}: a delay`).toBeLessThanOrEqual(capMs);
  }
  return { device, r };
}

/**
 * No storm, and still trying: at most twice the attempts the backoff's mean delays give in the
 * window (a storm is tens a second), at least half of them.
 */
function checkRate(expect: Expect, what: string, r: Rate, capMs: number, perAttemptMs = 0): string {
  const expected = expectedAttempts(capMs, WINDOW_MS, perAttemptMs);
  expect(r.attempts, `${what}: attempts in ${WINDOW_MS / 1000} s (expected about ${expected})`).toBeLessThanOrEqual(
    2 * expected,
  );
  expect(r.attempts, `${what}: attempts in ${WINDOW_MS / 1000} s (expected about ${expected})`).toBeGreaterThanOrEqual(
    Math.floor(expected / 2),
  );
  return `expected ~${expected}, bounds ${Math.floor(expected / 2)}..${2 * expected}`;
}

describe.concurrent(`reconnecting, firmware on the ${RUNTIME}`, () => {
  it(
    "random cuts every 0.5-3 s: back within ~1.5 s of each cut on average, every reading delivered",
    { timeout: 240_000 },
    async ({ expect, onTestFinished }) => {
      const name = "rel-reconnect-cuts";
      const data = `sensors/${name}/temperature`;
      const { sub, proxy, device } = await watchedDevice(cleanups(onTestFinished), name, data);
      await firstReadings(device, sub, data);

      const cuts: { at: number; index: number }[] = [];
      const durationMs = count("RECONNECT_S", 50) * 1000;
      const started = Date.now();
      const stop = proxy.randomCuts(23, 500, 3000, () => cuts.push({ at: Date.now(), index: device.lines.length }));
      await sleep(durationMs);
      stop();
      expect(cuts.length).toBeGreaterThan(0);

      // Cut -> the next CONNACK (a cut in a handshake waits for the one after).
      const latencies: number[] = [];
      for (const cut of cuts) {
        const up = await device.waitFor(CONNECTED, 70000, cut.index);
        latencies.push(up.at - cut.at);
      }
      // Connections that had a reading acknowledged before their cut (those reset the backoff).
      let progressed = 0;
      let connections = 0;
      for (let i = device.find(CONNECTED, cuts[0].index); i >= 0; i = device.find(CONNECTED, i + 1)) {
        const end = device.find(ANY_LOSS, i);
        if (end < 0) break;
        connections++;
        const delivered = device.find(DELIVERED, i);
        if (delivered >= 0 && delivered < end) progressed++;
      }
      const delays = device.lines
        .filter((l) => l.at >= started)
        .map((l) => RETRY.exec(l.text))
        .filter((m) => m !== null)
        .map((m) => Number(m[1]));

      const n = device.lastSeq();
      const counts = await arrivals(sub, data, n);
      const avg = mean(latencies);
      const max = Math.max(...latencies);
      report(
        `random cuts 0.5-3 s (${RUNTIME}): ${cuts.length} cuts in ${seconds(durationMs)}; cut -> CONNACK mean ${seconds(avg)}, max ${seconds(max)}, ` +
          `min ${seconds(Math.min(...latencies))}; ${progressed} of ${connections} connections had a reading acknowledged; backoff ${describeDelays(delays)}; ` +
          `readings 1..${n}: ${missing(counts, n).length} missing, ${duplicates(counts)} duplicates`,
      );
      expect(missing(counts, n), "readings lost").toEqual([]);
      expectUnhurt(expect, device);
      expect(avg, `mean cut -> CONNACK (latencies ${latencies.join(", ")} ms)`).toBeLessThanOrEqual(RECOVERY_MS);
      expect(max, `longest cut -> CONNACK (latencies ${latencies.join(", ")} ms)`).toBeLessThanOrEqual(RECOVERY_MAX_MS);
    },
  );

  it(
    `broker down: nothing listens, or a proxy accepts TCP and closes at once (RECONNECT_MAX_MS=${CAP_MS}): no storm, still trying`,
    { timeout: 150_000 },
    async ({ expect, onTestFinished }) => {
      const add = cleanups(onTestFinished);
      const proxy = await startTcpProxy(await freePort());
      add(() => proxy.close());
      const [down, closed] = await Promise.all([
        watchRate(expect, "rel-rate-down", `mqtt://127.0.0.1:${await freePort()}`, CAP_MS, add),
        watchRate(expect, "rel-rate-closed", proxy.url, CAP_MS, add),
      ]);
      expect(down.r.accepted + closed.r.accepted).toBe(0);
      const bounds = checkRate(expect, "nothing listens", down.r, CAP_MS);
      // Two devices booted separately must not wait alike: jitter is what spreads a fleet's reconnects
      // (Espruino's Math.random starts from the same seed at every boot: firmware/random.ts).
      const alike = down.r.delays.length > 3 && down.r.delays.slice(0, 8).join() === closed.r.delays.slice(0, 8).join();
      expect(alike, "two devices waited the very same delays").toBe(false);
      report(
        `broker down, nothing listens, RECONNECT_MAX_MS=${CAP_MS} (${RUNTIME}): ${down.r.attempts} connection attempts in ${seconds(WINDOW_MS)} (${bounds}); ${describeDelays(down.r.delays)}; ` +
          `the two devices' delays ${alike ? "IDENTICAL (the same random sequence on both)" : "differ"}: ${down.r.delays.slice(0, 6).join(", ")} / ${closed.r.delays.slice(0, 6).join(", ")} ms`,
      );
      const closedBounds = checkRate(expect, "accepted and closed", closed.r, CAP_MS);
      report(
        `broker down behind a proxy that accepts and closes at once, RECONNECT_MAX_MS=${CAP_MS} (${RUNTIME}): ${closed.r.attempts} connection attempts in ${seconds(WINDOW_MS)} ` +
          `(${closedBounds}), ${proxy.stats.accepted} TCP connections at the proxy; ${describeDelays(closed.r.delays)}`,
      );
    },
  );

  it(
    `broker down (nothing listens), RECONNECT_MAX_MS default ${DEFAULT_CAP_MS}: the first minute`,
    { timeout: 120_000 },
    async ({ expect, onTestFinished }) => {
      const add = cleanups(onTestFinished);
      const port = await freePort();
      const { r } = await watchRate(expect, "rel-rate-down-default", `mqtt://127.0.0.1:${port}`, DEFAULT_CAP_MS, add);
      const bounds = checkRate(expect, "down, default cap", r, DEFAULT_CAP_MS);
      report(
        `broker down, nothing listens, RECONNECT_MAX_MS=${DEFAULT_CAP_MS} (${RUNTIME}): ${r.attempts} connection attempts in the first ${seconds(WINDOW_MS)} (${bounds}); ${describeDelays(r.delays)}`,
      );
    },
  );

  it(
    `brokers that refuse every CONNECT: mosquitto (not authorised: waits 1/2..1 x the cap) and ours (server unavailable), RECONNECT_MAX_MS=${CAP_MS}`,
    { timeout: 150_000 },
    async ({ expect, onTestFinished }) => {
      const add = cleanups(onTestFinished);
      const mosquitto = await startMosquitto({ users: { someone: "secret" } });
      add(() => mosquitto.stop());
      const ours = await startHostileBroker();
      add(() => ours.close());
      ours.refuseAll(3);
      const [refused, unavailable] = await Promise.all([
        watchRate(expect, "rel-rate-refused", mosquitto.url, CAP_MS, add),
        watchRate(expect, "rel-rate-unavailable", ours.url, CAP_MS, add),
      ]);
      expect(refused.r.accepted + unavailable.r.accepted).toBe(0);
      // Not authorised: every delay is 1/2..1 x the cap, so the count is bounded both ways without chance.
      for (const d of refused.r.delays) expect(d, "a delay after not authorised").toBeGreaterThanOrEqual(CAP_MS / 2);
      const most = 1 + Math.ceil(WINDOW_MS / (CAP_MS / 2));
      const least = Math.floor(WINDOW_MS / CAP_MS);
      expect(refused.r.attempts, `not authorised: attempts in ${WINDOW_MS / 1000} s`).toBeLessThanOrEqual(most);
      expect(refused.r.attempts, `not authorised: attempts in ${WINDOW_MS / 1000} s`).toBeGreaterThanOrEqual(least);
      const refusals = (mosquitto.log().match(/not authori[sz]ed/gi) ?? []).length;
      report(
        `mosquitto refuses (not authorised), RECONNECT_MAX_MS=${CAP_MS} (${RUNTIME}): ${refused.r.attempts} connection attempts in ${seconds(WINDOW_MS)} ` +
          `(bounds ${least}..${most}), ${refusals} refusals in mosquitto's log; ${describeDelays(refused.r.delays)}`,
      );
      // Server unavailable: retried on the doubling backoff.
      const bounds = checkRate(expect, "server unavailable", unavailable.r, CAP_MS);
      report(
        `broker refuses (server unavailable), RECONNECT_MAX_MS=${CAP_MS} (${RUNTIME}): ${unavailable.r.attempts} connection attempts in ${seconds(WINDOW_MS)} (${bounds}), ` +
          `${ours.connects} CONNECTs at the broker; ${describeDelays(unavailable.r.delays)}`,
      );
    },
  );

  it(
    `a broker that accepts every CONNECT and kicks the client right after its CONNACK, RECONNECT_MAX_MS=${CAP_MS}: no storm`,
    { timeout: 120_000 },
    async ({ expect, onTestFinished }) => {
      const add = cleanups(onTestFinished);
      const broker = await startHostileBroker();
      add(() => broker.close());
      broker.refuseAll(0);
      const { r } = await watchRate(expect, "rel-rate-kicked", broker.url, CAP_MS, add);
      // Every attempt got its CONNACK (the window's last perhaps just after it) and was kicked.
      expect(r.accepted).toBeGreaterThanOrEqual(r.attempts - 1);
      // Nothing was acknowledged (the status PUBLISH, when written, had no PUBACK): nothing resets the backoff.
      expect(broker.acked).toBe(0);
      const bounds = checkRate(expect, "kicked after CONNACK", r, CAP_MS);
      report(
        `broker kicks right after CONNACK, RECONNECT_MAX_MS=${CAP_MS} (${RUNTIME}): ${r.attempts} connection attempts in ${seconds(WINDOW_MS)} (${bounds}), ` +
          `${r.accepted} CONNACKs accepted, ${broker.connects} CONNECTs at the broker; ${describeDelays(r.delays)}`,
      );
    },
  );
});
