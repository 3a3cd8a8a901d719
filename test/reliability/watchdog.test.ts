/**
 * The watchdog (WATCHDOG_S): the supervisor kicks it while the session is healthy, so a firmware
 * that works is never reset by it. The host runtime models the ESP32's (a reset when no kick comes
 * in time); on the Linux interpreter E.enableWatchdog is a no-op, so there this checks the wiring only.
 * test/app/supervisor.test.ts checks that a stuck session gets no kicks.
 */
import { describe, it } from "vitest";
import { startMosquitto } from "../../tools/support/mosquitto";
import { cleanups, DELIVERED, report, RUNTIME, sleep, startDevice, until } from "./harness";

describe(`the watchdog, firmware on the ${RUNTIME}`, () => {
  it(
    "WATCHDOG_S=10: connected and delivering for 25 s, never reset by it",
    { timeout: 60_000 },
    async ({ expect, onTestFinished }) => {
      const add = cleanups(onTestFinished);
      const broker = await startMosquitto();
      add(() => broker.stop());
      const device = await startDevice({
        MQTT_URL: broker.url,
        DEVICE_ID: "rel-watchdog",
        PUBLISH_INTERVAL_MS: "1000",
        WATCHDOG_S: "10",
      });
      add(() => device.firmware.kill());
      let exited = false;
      void device.firmware.exited.then(() => (exited = true));
      await until(
        () => device.find(/\[boot\] watchdog 10 s, kicked while the session is healthy/) >= 0,
        20000,
        "the watchdog's boot line",
      );
      await sleep(25000);
      expect(
        exited,
        "the firmware ended: " +
          device.lines
            .slice(-3)
            .map((l) => l.text)
            .join(" / "),
      ).toBe(false);
      expect(device.lines.some((l) => /watchdog timeout/.test(l.text))).toBe(false);
      const delivered = device.lines.filter((l) => DELIVERED.test(l.text)).length;
      expect(delivered).toBeGreaterThanOrEqual(15); // one a second, less the simulated failed reads
      expect(device.uncaught).toEqual([]);
      report(`watchdog (${RUNTIME}): 10 s, 25 s running, ${delivered} readings delivered, no reset`);
    },
  );
});
