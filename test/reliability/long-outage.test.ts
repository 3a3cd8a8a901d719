/**
 * A long broker outage with readings every 100 ms: the backlog waits in flash, RAM stays at its
 * connected baseline, and everything is delivered once the broker is back. On the fixed
 * 2,500-JsVar build of Espruino (the memory an ESP32 leaves with Wi-Fi on), run from flash:
 *
 *   ESPRUINO_SMALL=/path/to/espruino_small npx vitest run test/reliability/long-outage.test.ts
 *
 * uses a 150 s outage (about 1,500 readings) and checks JsVars within 64 of the baseline. Without
 * it, the outage is RELIABILITY_OUTAGE_S (default 20 s) on ESPRUINO or the host runtime, whose
 * memory figure is only an estimate (not checked).
 */
import { describe, expect, it } from "vitest";
import { cleanupAfterEach, startFirmware, watchedBroker } from "../support/e2e";
import { report } from "./harness";

const SMALL = process.env.ESPRUINO_SMALL ?? "";
const ESPRUINO = SMALL || process.env.ESPRUINO || "";
const OUTAGE_S = Number(process.env.RELIABILITY_OUTAGE_S || (SMALL ? 150 : 20));
const RUNTIME = SMALL
  ? `Espruino, fixed 2,500 JsVars (${SMALL}), from flash`
  : ESPRUINO
    ? `Espruino (${ESPRUINO}), from flash`
    : "host runtime";
const DEVICE = "rel-outage";
const DATA = `sensors/${DEVICE}/temperature`;
/** What the issue allows the JsVars in use to move during the outage. */
const MEMORY_SLACK = 64;

const cleanup = cleanupAfterEach();

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe(`long outage, firmware on the ${RUNTIME}`, () => {
  it(`keeps ${OUTAGE_S} s of readings at 100 ms in flash with flat RAM, and delivers them all`, async () => {
    const { broker, sub } = await watchedBroker(cleanup, DATA, "rel-outage-watcher");
    const { device } = await startFirmware(
      cleanup,
      {
        MQTT_URL: broker.url,
        DEVICE_ID: DEVICE,
        PUBLISH_INTERVAL_MS: "100",
        KEEPALIVE_S: "5",
        RECONNECT_MAX_MS: "2000",
        LOG_LEVEL: "info",
      },
      { espruino: ESPRUINO },
    );
    const { firmware, lines } = device;
    await device.waitForLine(/-> CONNECTED/, 30000);
    await sub.waitFor((m) => m.length >= 20, 20000, "20 readings");
    const baseline = (await firmware.memory()).usage;

    const outage = broker.restart(OUTAGE_S * 1000);
    const usage: number[] = [];
    const started = Date.now();
    while (Date.now() - started < OUTAGE_S * 1000 - 2000) {
      await sleep(5000);
      usage.push((await firmware.memory()).usage);
    }
    await outage;
    const newest = () =>
      Math.max(0, ...lines.map((l) => Number(/\[app\] reading #(\d+) .* stored \((\d+) waiting\)/.exec(l)?.[1] ?? 0)));
    const peakWaiting = Math.max(0, ...lines.map((l) => Number(/ stored \((\d+) waiting\)/.exec(l)?.[1] ?? 0)));
    const target = newest();
    const got = () => new Set(sub.on(DATA).map((m) => JSON.parse(m.payload).seq as number));
    const returned = Date.now();
    await sub.waitFor(
      () => got().size >= target && [...Array(target).keys()].every((i) => got().has(i + 1)),
      240000,
      `every seq 1..${target}`,
    );
    const drainS = (Date.now() - returned) / 1000;
    const after = (await firmware.memory()).usage;

    const max = Math.max(...usage);
    report(
      `long outage (${RUNTIME}): ${OUTAGE_S} s, ${peakWaiting} readings waiting at most, seq 1..${target} all delivered ${drainS.toFixed(1)} s after the broker came back; ` +
        `JsVars: baseline ${baseline}, during the outage ${Math.min(...usage)}..${max} (${usage.length} samples), after ${after}`,
    );
    expect(lines.filter((l) => /OUT OF MEMORY|Execution Interrupted|uncaught/i.test(l))).toEqual([]);
    expect(lines.some((l) => /\[store\] full/.test(l))).toBe(false);
    expect(peakWaiting).toBeGreaterThanOrEqual(OUTAGE_S * 5); // the readings really waited
    if (ESPRUINO) expect(max - baseline).toBeLessThanOrEqual(MEMORY_SLACK);
  }, 600000);
});
