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
import { afterEach, describe, expect, it } from "vitest";
import { startMosquitto } from "../../tools/support/mosquitto";
import { subscribe } from "../support/subscriber";
import { buildLinux } from "../support/firmware";
import { runFirmware } from "../../tools/firmware-runner";
import { report } from "./harness";

const SMALL = process.env.ESPRUINO_SMALL ?? "";
const DEVICE = "rel-lowmem";
const DATA = `sensors/${DEVICE}/temperature`;
/** Leave this many JsVars free: under the firmware's reserve (400), above what one reading needs. */
const LEAVE_FREE = 330;

const cleanups: (() => Promise<unknown> | unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe.skipIf(!SMALL)(`low memory, firmware on Espruino with a fixed 2,500 JsVars (${SMALL}), from flash`, () => {
  it(
    "sheds below its reserve, says so, keeps delivering every reading, and recovers",
    { timeout: 120_000 },
    async () => {
      const broker = await startMosquitto();
      cleanups.push(() => broker.stop());
      const sub = await subscribe(broker.url, DATA, { clientId: "rel-lowmem-watcher", clean: false });
      cleanups.push(() => sub.close());
      const file = await buildLinux({
        MQTT_URL: broker.url,
        DEVICE_ID: DEVICE,
        PUBLISH_INTERVAL_MS: "500",
        KEEPALIVE_S: "5",
        LOG_LEVEL: "info",
      });
      const lines: string[] = [];
      const device = runFirmware(file, { console: (l) => lines.push(l), espruino: SMALL });
      cleanups.push(() => device.kill());
      const waitFor = async (pattern: RegExp, ms: number) => {
        const end = Date.now() + ms;
        while (!lines.some((l) => pattern.test(l))) {
          if (Date.now() > end) throw new Error(`no line like ${pattern}; last lines:\n${lines.slice(-20).join("\n")}`);
          await sleep(50);
        }
      };
      await waitFor(/-> CONNECTED/, 30000);
      await sub.waitFor((m) => m.length >= 5, 20000, "5 readings");
      const before = await device.memory();
      // Taken from the console, as another module's allocation would: an array of small ints is
      // about one JsVar each.
      device.eval(`var hog=[],n=process.memory().free-${LEAVE_FREE};while(n-->0)hog.push(0)`);
      await waitFor(
        /\[memory\] low: \d+ JsVars free \(reserve 400\): shedding the read-ahead and the line per reading/,
        15000,
      );
      const during = await device.memory();
      const shedAt = lines.length;
      const seqBefore = Math.max(...sub.messages.map((m) => JSON.parse(m.payload).seq));
      await sleep(10000);
      const seqAfter = Math.max(...sub.messages.map((m) => JSON.parse(m.payload).seq));
      if (seqAfter - seqBefore < 10) console.log(lines.slice(shedAt - 5).join("\n"));
      expect(seqAfter - seqBefore, "readings delivered while memory is low").toBeGreaterThanOrEqual(10);
      expect(lines.slice(shedAt).filter((l) => /\[app\] reading #\d+ /.test(l))).toEqual([]);
      device.eval("hog=undefined");
      await waitFor(/\[memory\] recovered: \d+ JsVars free: read-ahead and reading lines back/, 15000);
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
