/**
 * Link faults: the built `linux` firmware behind a fault proxy (tools/support/tcp-proxy.ts)
 * in front of a real mosquitto, and through two broker restarts. For each fault: every reading
 * 1..N reaches a persistent QoS 1 subscriber (the queue never fills), duplicates are counted and
 * reported, and the time from the fault to the next CONNECTED and the next delivered reading is
 * measured and printed. The scenarios run concurrently, each with its own broker and device.
 */
import { describe, it } from "vitest";
import type { TcpProxy } from "../../tools/support/tcp-proxy";
import { seededRandom } from "../../tools/support/random";
import {
  CONNECTED,
  count,
  DEAD_LINK_MS,
  DELIVERED,
  duplicates,
  KEEPALIVE_S,
  LOST,
  SLACK_MS,
  missing,
  report,
  RUNTIME,
  seconds,
  seqCounts,
  sleep,
  until,
  cleanups,
  settled,
  ANY_LOSS,
  arrivals,
  expectUnhurt,
  firstReadings,
  watchedDevice,
  type Device,
} from "./harness";

type Expect = typeof import("vitest").expect;

interface Timing {
  /** Fault -> the device gives up on the connection. */
  detectMs: number;
  reason: string;
  /** Fault -> next CONNECTED. */
  connectedMs: number;
  /** Fault -> next reading acknowledged (the device's `delivered` line). */
  deliveredMs: number;
}

/** From a fault at `at` (console line `index`): the loss, the next CONNECTED and the next delivery. */
async function recovery(
  device: Device,
  at: number,
  index: number,
  lost = ANY_LOSS,
  timeoutMs = 70000,
): Promise<Timing> {
  const gone = await device.waitFor(lost, timeoutMs, index);
  const up = await device.waitFor(CONNECTED, timeoutMs, gone.index);
  const delivered = await device.waitFor(DELIVERED, timeoutMs, up.index);
  return {
    detectMs: gone.at - at,
    reason: lost.exec(gone.text)![1],
    connectedMs: up.at - at,
    deliveredMs: delivered.at - at,
  };
}

const summary = (timings: Timing[]) =>
  timings
    .map(
      (t) =>
        `detect ${seconds(t.detectMs)} connected ${seconds(t.connectedMs)} delivered ${isNaN(t.deliveredMs) ? "- (cut again first)" : seconds(t.deliveredMs)} [${t.reason}]`,
    )
    .join("; ");

async function setup(name: string, onTestFinished: Parameters<typeof cleanups>[0], viaProxy = true) {
  const data = `sensors/${name}/temperature`;
  const { broker, sub, proxy, device } = await watchedDevice(cleanups(onTestFinished), name, data, viaProxy);
  await firstReadings(device, sub, data);

  /** Every seq the device took arrived; reports duplicates; no queue overflow, no uncaught exception. */
  async function finish(expect: Expect, mode: string, timings: Timing[], extra = ""): Promise<number> {
    const n = device.lastSeq();
    const counts = await arrivals(sub, data, n);
    expect(missing(counts, n), `readings lost (${mode})`).toEqual([]);
    expectUnhurt(expect, device);
    const dups = duplicates(counts);
    report(
      `${mode} (${RUNTIME}): readings 1..${n} all delivered, ${dups} duplicates; ${timings.length} faults: ${summary(timings)}${extra}`,
    );
    return dups;
  }
  return { broker, sub, proxy: proxy as TcpProxy, device, data, finish };
}

describe.concurrent(`link faults, firmware on the ${RUNTIME}`, () => {
  it("cut: every connection destroyed at once", { timeout: 240_000 }, async ({ expect, onTestFinished }) => {
    const { proxy, device, finish } = await setup("rel-cut", onTestFinished);
    const random = seededRandom(11);
    const timings: Timing[] = [];
    for (let i = 0; i < count("CUTS", 3); i++) {
      await settled(device);
      await sleep(random() * 400);
      const at = Date.now();
      const index = device.lines.length;
      expect(proxy.cut()).toBeGreaterThan(0);
      const t = await recovery(device, at, index, LOST);
      expect(t.reason).toMatch(/connection closed/);
      expect(t.detectMs).toBeLessThan(SLACK_MS);
      timings.push(t);
    }
    await finish(expect, "cut", timings);
  });

  it("cuts at seeded-random moments of each connection", { timeout: 240_000 }, async ({ expect, onTestFinished }) => {
    const { proxy, device, finish } = await setup("rel-random", onTestFinished);
    const cuts: { at: number; index: number }[] = [];
    const wanted = count("RANDOM_CUTS", 5);
    const stop = proxy.randomCuts(7, 0, 2500, () => cuts.push({ at: Date.now(), index: device.lines.length }));
    await until(() => cuts.length >= wanted, 200_000, `${wanted} random cuts`);
    stop();
    const timings: Timing[] = [];
    for (const cut of cuts) {
      const next = cuts[cuts.indexOf(cut) + 1];
      // A cut can land in the handshake; the next cut may come before a reading is delivered.
      const gone = await device.waitFor(ANY_LOSS, 10000, cut.index);
      const up = await device.waitFor(CONNECTED, 70000, gone.index);
      const delivered = next
        ? device.find(DELIVERED, up.index)
        : (await device.waitFor(DELIVERED, 70000, up.index)).index;
      const deliveredAt =
        delivered >= 0 && (!next || device.lines[delivered].at <= next.at) ? device.lines[delivered].at : NaN;
      const [, state, why] = /(\w+) -> BACKOFF \((.*)\)$/.exec(gone.text)!;
      timings.push({
        detectMs: gone.at - cut.at,
        reason: `in ${state}: ${why}`,
        connectedMs: up.at - cut.at,
        deliveredMs: deliveredAt - cut.at,
      });
    }
    for (const t of timings) expect(t.detectMs).toBeLessThan(SLACK_MS);
    await finish(expect, "random cuts", timings);
  });

  it(
    "stall: a short one is ridden out; a long one only the keepalive notices",
    { timeout: 240_000 },
    async ({ expect, onTestFinished }) => {
      const { proxy, device, finish } = await setup("rel-stall", onTestFinished);
      const timings: Timing[] = [];
      for (let i = 0; i < count("STALLS", 1); i++) {
        // Short: held bytes arrive late, the connection survives.
        await settled(device);
        const shortAt = device.lines.length;
        proxy.stall();
        await sleep(2000);
        proxy.resume();
        await device.waitFor(DELIVERED, 10000, device.lines.length);
        expect(device.find(/-> BACKOFF/, shortAt)).toBe(-1);
        // Long: silence both ways until the device gives up on the link.
        await settled(device);
        const at = Date.now();
        const index = device.lines.length;
        proxy.stall();
        const t = await recovery(device, at, index, LOST);
        expect(t.reason).toMatch(/no packet from the broker for \d+ s/);
        expect(t.detectMs).toBeLessThan(DEAD_LINK_MS + SLACK_MS);
        expect(t.detectMs).toBeGreaterThan(KEEPALIVE_S * 1000);
        proxy.resume();
        timings.push(t);
      }
      await finish(expect, "stall", timings);
    },
  );

  for (const direction of ["up", "down"] as const) {
    const what =
      direction === "up"
        ? "device -> broker swallowed, broker -> device flows"
        : "broker -> device swallowed, device -> broker flows";
    it(`drop one direction: ${what}`, { timeout: 240_000 }, async ({ expect, onTestFinished }) => {
      const { proxy, device, finish } = await setup(`rel-drop-${direction}`, onTestFinished);
      const timings: Timing[] = [];
      for (let i = 0; i < count("DROPS", 1); i++) {
        await settled(device);
        const at = Date.now();
        const index = device.lines.length;
        proxy.drop(direction);
        const t = await recovery(device, at, index, LOST);
        // Up: the device's keepalive, or mosquitto's (its close flows down); down: the device's.
        expect(t.reason).toMatch(
          direction === "up" ? /no packet from the broker|connection closed/ : /no packet from the broker/,
        );
        expect(t.detectMs).toBeLessThan(DEAD_LINK_MS + SLACK_MS);
        timings.push(t);
      }
      const dups = await finish(expect, `drop ${direction}`, timings, ` (${proxy.stats.swallowed} bytes swallowed)`);
      // PUBACKs lost on the way down: the broker had the reading, the device sends it again.
      if (direction === "down") expect(dups).toBeGreaterThanOrEqual(1);
    });
  }

  it("broker restarted twice in the middle of a stream", { timeout: 240_000 }, async ({ expect, onTestFinished }) => {
    const { broker, sub, device, data, finish } = await setup("rel-restart", onTestFinished, false);
    const timings: Timing[] = [];
    for (let i = 0; i < 2; i++) {
      await settled(device);
      const at = Date.now();
      const index = device.lines.length;
      await broker.restart(1500);
      const t = await recovery(device, at, index, LOST);
      expect(t.reason).toMatch(/connection closed/);
      timings.push(t);
      const seen = seqCounts(sub.messages, data).size;
      await until(() => seqCounts(sub.messages, data).size >= seen + 5, 30000, "readings after the restart");
    }
    await finish(expect, "broker restart x2", timings);
  });
});
