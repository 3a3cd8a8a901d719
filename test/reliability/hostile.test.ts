/**
 * A hostile broker (test/support/hostile-broker.ts): bytes no broker should send, then
 * silence on that connection, and CONNACK refusals. Each time the firmware logs what happened,
 * drops the connection, reconnects (the broker behaves again) and goes on publishing: new
 * readings are acknowledged, none is lost. It never crashes (no uncaught exception, Espruino's
 * `Uncaught` or the firmware's `uncaught exception (carrying on)`; the runtime stays up)
 * and never goes deaf: a half-read packet is ended by the keepalive deadline or the size bound.
 * Each case has its own broker and device (a fresh backoff), all running concurrently.
 */
import { describe, it } from "vitest";
import { startHostileBroker, type HostileBroker, type Misbehaviour } from "../support/hostile-broker";
import {
  ANY_LOSS,
  CONNECTED,
  DEAD_LINK_MS,
  DELIVERED,
  KEEPALIVE_S,
  SLACK_MS,
  LOST,
  cleanups,
  missing,
  report,
  RUNTIME,
  seconds,
  settled,
  startDevice,
  until,
  type Device,
} from "./harness";

type Expect = typeof import("vitest").expect;

/** How long an immediate reaction may take, as the host sees it. */
const PROMPT_MS = SLACK_MS;
/** The silence the device itself reports at most: 1.5 x keepalive, plus its once-a-second check. */
const SILENCE_S = Math.ceil(KEEPALIVE_S * 1.5 + 1);

interface Case {
  kind: Misbehaviour;
  /** What the firmware must say when it drops the connection. */
  reason: RegExp;
  /** Longest time from the bytes to the drop, ms. */
  withinMs: number;
  /** Seeds, one round each (random bytes). */
  seeds?: number[];
}

const CASES: Case[] = [
  // Half a packet, then nothing: only the keepalive deadline can end it.
  {
    kind: "length-longer-than-packet",
    reason: /^no packet from the broker for \d+ s$/,
    withinMs: DEAD_LINK_MS + SLACK_MS,
  },
  {
    kind: "five-byte-length",
    reason: /^malformed packet from broker: remaining length over 4 bytes$/,
    withinMs: PROMPT_MS,
  },
  { kind: "reserved-type-0", reason: /^malformed packet from broker: unexpected packet type 0$/, withinMs: PROMPT_MS },
  {
    kind: "reserved-type-15",
    reason: /^malformed packet from broker: unexpected packet type 15$/,
    withinMs: PROMPT_MS,
  },
  {
    kind: "topic-past-end",
    reason: /^malformed packet from broker: PUBLISH topic past packet end$/,
    withinMs: PROMPT_MS,
  },
  // Refused at its length, before a byte of the body is kept.
  {
    kind: "huge-publish",
    reason: /^malformed packet from broker: packet of 2048\d\d bytes over the limit 4096$/,
    withinMs: PROMPT_MS,
  },
  // Whatever they decode to, the connection ends by the keepalive deadline at the latest.
  {
    kind: "random-bytes",
    reason: /^malformed packet from broker: |^no packet from the broker for \d+ s$|^unexpected CONNACK$/,
    withinMs: DEAD_LINK_MS + SLACK_MS,
    seeds: [1, 2, 3],
  },
];

const seqOf = (payload: string) => JSON.parse(payload).seq as number;

async function setup(name: string, onTestFinished: Parameters<typeof cleanups>[0]) {
  const add = cleanups(onTestFinished);
  const broker = await startHostileBroker();
  add(() => broker.close());
  const data = `sensors/${name}/temperature`;
  const device = await startDevice({ MQTT_URL: broker.url, DEVICE_ID: name, PUBLISH_INTERVAL_MS: "200" });
  add(() => device.firmware.kill());
  /** Seqs the broker acknowledged (after `since`, ms). */
  const acked = (since = 0) =>
    broker.publishes.filter((p) => p.topic === data && p.qos === 1 && p.at > since).map((p) => seqOf(p.payload));
  await until(() => acked().length >= 3, 20000, "3 readings acknowledged by the hostile broker");
  return { broker, device, data, acked };
}

/** After a drop at line `from`: reconnected, and 3 readings newer than `before` acknowledged. Returns ms from `at`. */
async function goesOn(device: Device, acked: (since?: number) => number[], at: number, from: number, before: number) {
  const up = await device.waitFor(CONNECTED, 70000, from);
  await until(
    () => acked(up.at).filter((s) => s > before).length >= 3,
    20000,
    "3 new readings acknowledged after the reconnect",
  );
  const delivered = await device.waitFor(DELIVERED, 10000, up.index);
  return { connectedMs: up.at - at, deliveredMs: delivered.at - at };
}

/** No reading lost, no crash, nothing the broker could not parse. */
async function healthy(expect: Expect, device: Device, broker: HostileBroker, acked: () => number[]) {
  const n = device.lastSeq();
  const lost = () => missing(new Map(acked().map((s) => [s, 1])), n);
  // A refusal of 4 or 5 waits 30-60 s by design: the backlog it leaves (~300 readings) drains from
  // flash at tens a second on a loaded two-core machine.
  await until(() => lost().length === 0, 30000, `readings 1..${n} acknowledged`).catch(() => undefined);
  expect(lost()).toEqual([]);
  expect(device.uncaught).toEqual([]);
  expect(device.alive()).toBe(true);
  expect(broker.parseErrors).toEqual([]);
}

describe.concurrent(`hostile broker, firmware on the ${RUNTIME}`, () => {
  // 4 and 5 first: they wait 30-60 s by design, and the builds queue in the order tests start.
  for (const code of [4, 5, 1, 2, 3]) {
    it(
      `CONNACK refusal ${code}: logged, retried, publishing again`,
      { timeout: 150_000 },
      async ({ expect, onTestFinished }) => {
        const { broker, device, acked } = await setup(`rel-refused-${code}`, onTestFinished);
        await settled(device);
        const at = Date.now();
        const index = device.lines.length;
        const before = Math.max(0, ...acked());
        broker.refuseNext(code);
        broker.disconnect();
        const closed = await device.waitFor(LOST, 5000, index);
        expect(closed.text).toMatch(/connection closed|write failed: This socket is closed/);
        const refused = await device.waitFor(
          /\[mqtt\] MQTT_CONNECTING -> BACKOFF \(refused: (.*)\)$/,
          10000,
          closed.index,
        );
        const names = [
          "",
          "unacceptable protocol version",
          "identifier rejected",
          "server unavailable",
          "bad user name or password",
          "not authorized",
        ];
        expect(refused.text).toContain(`refused: ${names[code]} (${code})`);
        // Bad credentials or not authorised: retrying soon cannot help, so it waits half the cap or more.
        const retry = await device.waitFor(/\[mqtt\] retry in (\d+) ms/, 5000, refused.index);
        const delay = Number(/retry in (\d+) ms/.exec(retry.text)![1]);
        if (code >= 4) expect(delay).toBeGreaterThanOrEqual(30000);
        else expect(delay).toBeLessThan(2000);
        const next = await goesOn(device, acked, at, refused.index, before);
        expect(device.find(ANY_LOSS, device.last(CONNECTED))).toBe(-1);
        await healthy(expect, device, broker, acked);
        report(
          `hostile CONNACK ${code} (${RUNTIME}): "${names[code]}", retry in ${seconds(delay)}, connected ${seconds(next.connectedMs)}, reading acked ${seconds(next.deliveredMs)}`,
        );
      },
    );
  }

  for (const c of CASES) {
    it(
      `${c.kind}: logged, dropped, reconnected, publishing again`,
      { timeout: 120_000 },
      async ({ expect, onTestFinished }) => {
        const { broker, device, acked } = await setup(`rel-hostile-${c.kind}`, onTestFinished);
        const rounds: string[] = [];
        for (const seed of c.seeds ?? [1]) {
          await settled(device);
          const at = Date.now();
          const index = device.lines.length;
          const before = Math.max(0, ...acked());
          const bytes = broker.misbehave(c.kind, seed);
          const lost = await device.waitFor(LOST, c.withinMs + 5000, index);
          const reason = LOST.exec(lost.text)![1];
          expect(reason, lost.text).toMatch(c.reason);
          expect(lost.at - at, `${c.kind}: "${lost.text}" ${lost.at - at} ms after the bytes`).toBeLessThanOrEqual(
            c.withinMs,
          );
          // By the device's own clock: it gave up within 1.5 x keepalive of the last packet it decoded.
          const silence = /no packet from the broker for (\d+) s/.exec(reason);
          if (silence) expect(Number(silence[1])).toBeLessThanOrEqual(SILENCE_S);
          const next = await goesOn(device, acked, at, lost.index, before);
          rounds.push(
            `${bytes.length} bytes${c.seeds ? ` (seed ${seed})` : ""}: "${reason}" after ${seconds(lost.at - at)}, connected ${seconds(next.connectedMs)}, reading acked ${seconds(next.deliveredMs)}`,
          );
        }
        await healthy(expect, device, broker, acked);
        report(`hostile ${c.kind} (${RUNTIME}): ${rounds.join("; ")}`);
      },
    );
  }
});
