/**
 * Low memory on the fixed 2,500-JsVar build (what an ESP32 leaves with Wi-Fi on), firmware run from
 * flash: something else takes the free JsVars down to below the firmware's reserve (an array held
 * from the console); the firmware says so and sheds, keeps delivering every reading without
 * OUT OF MEMORY, and takes back what it shed once the memory is free again.
 *
 *   ESPRUINO_SMALL=/path/to/espruino_small npx vitest run test/reliability/low-memory.test.ts
 *
 * Only there: the host runtime's memory figure is an estimate, and the normal Linux build grows
 * its pool instead of running short. test/app/memory-guard.test.ts covers the rules on any machine.
 */
import { describe, expect, it } from "vitest";
import { cleanupAfterEach, startFirmware, watchedBroker } from "../support/e2e";
import { report } from "./harness";

const SMALL = process.env.ESPRUINO_SMALL ?? "";
const DEVICE = "rel-lowmem";
const DATA = `sensors/${DEVICE}/temperature`;
/** Leave this many JsVars free: under the firmware's reserve (400), above what one reading needs. */
const LEAVE_FREE = 330;

const cleanup = cleanupAfterEach();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe.skipIf(!SMALL)(`low memory, firmware on Espruino with a fixed 2,500 JsVars (${SMALL}), from flash`, () => {
  it(
    "sheds below its reserve, says so, keeps delivering every reading, and recovers",
    { timeout: 120_000 },
    async () => {
      const { broker, sub } = await watchedBroker(cleanup, DATA, "rel-lowmem-watcher");
      const { device } = await startFirmware(
        cleanup,
        { MQTT_URL: broker.url, DEVICE_ID: DEVICE, PUBLISH_INTERVAL_MS: "500", KEEPALIVE_S: "5", LOG_LEVEL: "info" },
        { espruino: SMALL },
      );
      const { firmware, lines } = device;
      await device.waitForLine(/-> CONNECTED/, 30000);
      await sub.waitFor((m) => m.length >= 5, 20000, "5 readings");
      const before = await firmware.memory();
      // Taken from the console, as another module's allocation would: an array of small ints is
      // about one JsVar each.
      firmware.eval(`var hog=[],n=process.memory().free-${LEAVE_FREE};while(n-->0)hog.push(0)`);
      await device.waitForLine(
        /\[memory\] low: \d+ JsVars free \(reserve 400\): shedding the read-ahead and the line per reading/,
        15000,
      );
      const during = await firmware.memory();
      const shedAt = lines.length;
      const seqBefore = Math.max(...sub.messages.map((m) => JSON.parse(m.payload).seq));
      await sleep(10000);
      const seqAfter = Math.max(...sub.messages.map((m) => JSON.parse(m.payload).seq));
      if (seqAfter - seqBefore < 10) console.log(lines.slice(shedAt - 5).join("\n"));
      expect(seqAfter - seqBefore, "readings delivered while memory is low").toBeGreaterThanOrEqual(10);
      expect(lines.slice(shedAt).filter((l) => /\[app\] reading #\d+ /.test(l))).toEqual([]);
      firmware.eval("hog=undefined");
      await device.waitForLine(/\[memory\] recovered: \d+ JsVars free: read-ahead and reading lines back/, 15000);
      await sleep(2000);
      const last = Math.max(...sub.messages.map((m) => JSON.parse(m.payload).seq));
      const seqs = new Set(sub.messages.map((m) => JSON.parse(m.payload).seq as number));
      const lost = [];
      for (let s = 1; s <= last; s++) if (!seqs.has(s)) lost.push(s);
      expect(lost, "seqs never delivered").toEqual([]);
      expect(lines.filter((l) => /OUT OF MEMORY|Execution Interrupted|uncaught/i.test(l))).toEqual([]);
      report(
        `low memory (2,500-JsVar build, from flash): ${before.free} JsVars free connected, ${during.free} with the hog; shed, ${seqAfter - seqBefore} readings delivered in 10 s while low, recovered; seq 1..${last}, none lost`,
      );
    },
  );
});
