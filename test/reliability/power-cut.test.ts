/**
 * Power cuts: the built `linux` bundle killed (SIGKILL on the interpreter, kill() in the host
 * runtime: no `kill` event, nothing flushed) at seeded random moments, again and again, with a
 * broker outage in the middle, and started again in the same flash directory each time. Every
 * seq from the first to the last must reach a real broker; `boot` grows by one per start.
 *
 * The same in battery mode (SLEEP_MS): the cuts come mid-wake or during a sleep; each wake is a
 * boot of its own, so `boot` only has to grow.
 *
 *   [ESPRUINO=...] RELIABILITY_POWER_CUTS=100 npx vitest run test/reliability/power-cut.test.ts
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { cleanupAfterEach, watchedBroker } from "../support/e2e";
import { buildLinux, runDevice, RUNTIME, type Device } from "../support/firmware";
import { seededRandom } from "../../tools/support/random";
import { count, report } from "./harness";

const DEVICE = "rel-power";
const DATA = `sensors/${DEVICE}/temperature`;
const CUTS = count("POWER_CUTS", 25);

const cleanup = cleanupAfterEach();

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Cuts the power `cuts` times at seeded random moments, with a broker outage among them. */
async function powerCuts(
  cuts: number,
  settings: Record<string, string>,
  battery: boolean,
  cutWithinMs: number,
): Promise<void> {
  const CUTS = cuts;
  {
    const { broker, sub } = await watchedBroker(cleanup, DATA, "rel-power-watcher");
    const file = await buildLinux({
      MQTT_URL: broker.url,
      DEVICE_ID: DEVICE,
      KEEPALIVE_S: "5",
      RECONNECT_MAX_MS: "1000",
      ...settings,
    });
    const flash = mkdtempSync(join(tmpdir(), "power-cut-"));
    const random = seededRandom(42);
    const outageFrom = Math.floor(CUTS / 3);
    const OUTAGE_MS = 8000;
    let outage: Promise<void> = Promise.resolve();
    const boots: number[] = [];
    let device: Device | undefined;
    cleanup(() => device?.firmware.kill());
    let stored = 0;

    for (let run = 0; run <= CUTS; run++) {
      if (run === outageFrom) outage = broker.restart(OUTAGE_MS);
      device = runDevice(file, { cwd: flash });
      const boot = await device.waitForLine(/\[boot\] .* boot (\d+),/, 30000);
      boots.push(Number(/ boot (\d+),/.exec(boot)![1]));
      if (run === CUTS) break;
      // Cut anywhere: at boot, mid-scan, while storing, while publishing, between PUBLISH and
      // PUBACK; in battery mode also while disconnecting or asleep (a wake takes about 2 s).
      await sleep(200 + Math.floor(random() * (cutWithinMs - 200)));
      device.firmware.kill();
      await device.firmware.exited;
      stored += device.lines.filter((l) => /\[app\] reading #\d+ .* stored/.test(l)).length;
    }

    // The last start runs until everything stored has arrived.
    await outage;
    const last = device!;
    const newest = () =>
      Math.max(0, ...last.lines.map((l) => Number(/\[app\] reading #(\d+) .* stored/.exec(l)?.[1] ?? 0)));
    await sub.waitFor(() => newest() > 0, 20000, "a reading on the last start");
    const target = newest();
    const got = () => new Set(sub.on(DATA).map((m) => JSON.parse(m.payload).seq as number));
    await sub
      .waitFor(() => [...Array(target).keys()].every((i) => got().has(i + 1)), 120000, `every seq 1..${target}`)
      .catch(() => undefined);

    const seqs = sub.on(DATA).map((m) => JSON.parse(m.payload).seq as number);
    const unique = new Set(seqs);
    const duplicates = seqs.length - unique.size;
    const missing = [...Array(target).keys()].map((i) => i + 1).filter((s) => !unique.has(s));
    report(
      `power cuts${battery ? " in battery mode" : ""} (${RUNTIME}): ${CUTS} cuts, broker down ${OUTAGE_MS / 1000} s from start ${outageFrom}; seq 1..${target} ` +
        `(${stored} stored lines before cuts): ${missing.length} missing, ${duplicates} duplicates; boots ${boots[0]}..${boots[boots.length - 1]}`,
    );
    expect(missing).toEqual([]);
    // Each run's first boot: one per power-on, or (battery mode) later, after the wakes between.
    if (battery) expect(boots.every((b, i) => i === 0 || b > boots[i - 1])).toBe(true);
    else expect(boots).toEqual(boots.map((_, i) => i + 1));
    // Each reading carries the boot it was taken in: never one that did not happen.
    const lastBoot = Math.max(...last.lines.map((l) => Number(/ boot (\d+),/.exec(l)?.[1] ?? 0)));
    for (const m of sub.on(DATA)) expect(JSON.parse(m.payload).boot).toBeLessThanOrEqual(lastBoot);
    expect(last.lines.some((l) => /uncaught/i.test(l))).toBe(false);
  }
}

describe(`power cuts, firmware on the ${RUNTIME}`, () => {
  it(
    `loses no stored reading over ${CUTS} power cuts with a broker outage among them`,
    () => powerCuts(CUTS, { PUBLISH_INTERVAL_MS: "100" }, false, 2000),
    600000,
  );
  it(
    `battery mode: loses no stored reading over ${Math.ceil(CUTS / 2)} power cuts mid-wake or asleep`,
    () => powerCuts(Math.ceil(CUTS / 2), { SLEEP_MS: "2000", AWAKE_MAX_MS: "4000" }, true, 7000),
    600000,
  );
});
