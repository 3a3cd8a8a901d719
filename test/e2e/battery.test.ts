/**
 * Battery mode end to end: the built `linux` bundle with SLEEP_MS, in the host runtime or on
 * Espruino's Linux interpreter (ESPRUINO=...), against a real mosquitto. Each wake takes a reading,
 * delivers everything stored, DISCONNECTs and sleeps (E.reboot(); the runner starts it again after
 * the sleep, in the same directory, as the RTC timer would), and keeps its period retained on
 * `<prefix>/<id>/schedule`. A broker outage spans several wakes.
 */
import { describe, expect, it } from "vitest";
import { cleanupAfterEach, startFirmware, watchedBroker } from "../support/e2e";
import { RUNTIME } from "../support/firmware";

const DEVICE = "e2e-battery";
const DATA = `sensors/${DEVICE}/temperature`;
const STATUS = `sensors/${DEVICE}/status`;
const SLEEP_MS = 3000;
const AWAKE_MAX_MS = 4000;
/** Beyond AWAKE_MAX_MS: the DISCONNECT's 0.1 s to leave, and timers that run late on a loaded machine. */
const AWAKE_MARGIN_MS = 1000;
const AWAKE = /\[sleep\] awake (\d+) ms; sleeping (\d+) ms$/;

const cleanup = cleanupAfterEach();

describe(`battery mode, firmware on the ${RUNTIME} against mosquitto`, () => {
  it(
    "wakes, delivers and sleeps; through a broker outage over several wakes every seq arrives and the status never says offline",
    { timeout: 120_000 },
    async () => {
      const { broker, sub } = await watchedBroker(cleanup, `sensors/${DEVICE}/#`, "e2e-battery-watcher");
      const { device } = await startFirmware(cleanup, {
        MQTT_URL: broker.url,
        DEVICE_ID: DEVICE,
        SLEEP_MS: String(SLEEP_MS),
        AWAKE_MAX_MS: String(AWAKE_MAX_MS),
        KEEPALIVE_S: "5",
        RECONNECT_MAX_MS: "1000",
      });
      const seqs = () => [...new Set(sub.on(DATA).map((m) => JSON.parse(m.payload).seq as number))];
      await sub.waitFor(() => seqs().length >= 3, 30000, "3 wakes' readings");
      const wakesBefore = device.lines.filter((l) => AWAKE.test(l)).length;
      // Down for 12 s: three or four wakes find no broker and sleep at AWAKE_MAX_MS.
      await broker.restart(12000);
      const timedOut = device.lines.filter((l) => /\[sleep\] awake 4000 ms: \d+ readings wait in flash/.test(l)).length;
      await sub.waitFor(() => Math.max(0, ...seqs()) >= 10, 60000, "readings up to seq 10");
      // Before the stop: a stop mid-wake is a reset(), which the Will reports, as it should.
      const statuses = sub.on(STATUS).map((m) => m.payload);
      const brokerLog = broker.log();
      await device.firmware.stop();

      const got = seqs().sort((a, b) => a - b);
      expect(got, "every seq from the first to the last").toEqual(got.map((_, i) => i + 1));
      expect(statuses.length).toBeGreaterThan(0);
      expect(
        statuses.filter((s) => s !== "online"),
        "a scheduled sleep never says offline (no Will)",
      ).toEqual([]);
      expect(brokerLog).not.toMatch(new RegExp(`Client ${DEVICE} closed its connection`));
      // The period, retained, for a consumer to tell a device that missed its wake.
      const schedule = sub.on(`sensors/${DEVICE}/schedule`);
      expect(schedule.length).toBeGreaterThan(0);
      expect(JSON.parse(schedule[0].payload)).toEqual({ sleep_ms: SLEEP_MS, awake_max_ms: AWAKE_MAX_MS });
      const awake = device.lines
        .map((l) => AWAKE.exec(l))
        .filter((m) => m !== null)
        .map((m) => Number(m![1]));
      expect(Math.max(...awake), "no wake past AWAKE_MAX_MS + margin").toBeLessThanOrEqual(
        AWAKE_MAX_MS + AWAKE_MARGIN_MS,
      );
      expect(timedOut, "wakes during the outage that slept at AWAKE_MAX_MS").toBeGreaterThanOrEqual(2);
      // Every start is a boot: seq and boot continue across wakes.
      const boots = sub.on(DATA).map((m) => JSON.parse(m.payload).boot as number);
      expect(Math.max(...boots)).toBeGreaterThanOrEqual(awake.length);
      expect(device.lines.filter((l) => /\[sleep\] woke: timer/.test(l)).length).toBeGreaterThanOrEqual(
        awake.length - 1,
      );
      const sorted = [...awake].sort((a, b) => a - b);
      console.log(
        `battery (${RUNTIME}): ${awake.length} wakes (${wakesBefore} before the outage, ${timedOut} timed out in it), awake p50 ${sorted[sorted.length >> 1]} ms, max ${sorted[sorted.length - 1]} ms; seq 1..${got.length}, ${sub.on(DATA).length - got.length} duplicates`,
      );
    },
  );
});
