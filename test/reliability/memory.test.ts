/**
 * Memory: the firmware's memory, sampled once a second from the test's timer over many
 * publishes and reconnects (the TCP proxy's cuts), is back to its baseline at the end: no growth.
 * On Espruino's interpreter (ESPRUINO=...) the figure is process.memory().usage in JsVars; in the
 * host runtime it is this worker's V8 heap after a full GC, in bytes (the runtime's own estimate,
 * tools/host-runtime/memory.ts, counts from the heap at start and reads 0 below it: after the
 * bundle's build is collected, it stays 0).
 *
 * Counts: RELIABILITY_PUBLISHES / RELIABILITY_RECONNECTS, else 200 / 3 x RELIABILITY_SCALE. The
 * issue's full run is RELIABILITY_PUBLISHES=10000 RELIABILITY_RECONNECTS=500 on the interpreter.
 * The device's backoff is capped at 2 s (RECONNECT_MAX_MS): with the default cap of a minute, cuts
 * faster than one a minute make it wait ~30 s each, and the full run would take hours.
 * RELIABILITY_MEMORY_LOG=<file> saves the samples.
 */
import { appendFileSync, writeFileSync } from "node:fs";
import v8 from "node:v8";
import vm from "node:vm";
import { describe, it } from "vitest";
import { startMosquitto } from "../../tools/support/mosquitto";
import { startTcpProxy } from "../../tools/support/tcp-proxy";
import { cleanups, count, ON_INTERPRETER, report, RUNTIME, sleep, startDevice, until } from "./harness";

// The host runtime's estimate is the V8 heap of this worker, so: a full GC before each sample, and
// no optimising JIT tiers. With them, V8's optimised code and its deopt data grow the heap by
// ~150 bytes per publish for minutes (heap snapshots: only code objects grow), hiding any real leak;
// and feedback vectors are allocated at a function's first call (in the warm-up), not later.
if (!ON_INTERPRETER) {
  for (const flag of ["--no-opt", "--no-maglev", "--no-sparkplug", "--no-lazy-feedback-allocation"])
    v8.setFlagsFromString(flag);
  if (typeof (globalThis as { gc?: unknown }).gc !== "function") {
    v8.setFlagsFromString("--expose-gc");
    (globalThis as { gc?: unknown }).gc = vm.runInNewContext("gc");
  }
}

const PUBLISHES = count("PUBLISHES", 200);
const RECONNECTS = count("RECONNECTS", 3);
/**
 * Growth allowed from the baseline to the end. Interpreter: about two queue entries' worth of JsVars
 * (measured: +0). Host: the heap's noise (measured +4 KB at the default scale, +7 KB over 2,300
 * publishes and 10 reconnects), so a leak of ~200 bytes a publish fails at the default scale.
 */
const TOLERANCE = ON_INTERPRETER ? 30 : 32 * 1024;

interface Sample {
  at: number;
  /** JsVars on the interpreter; heap bytes in the host runtime. */
  usage: number;
  /** Connected, and at most the one reading in flight queued. */
  steady: boolean;
  delivered: number;
  connects: number;
}

describe(`memory, firmware on the ${RUNTIME}`, () => {
  it(
    `no growth over ${PUBLISHES} publishes and ${RECONNECTS} reconnects`,
    { timeout: 180_000 + RECONNECTS * 70_000 + PUBLISHES * 200 },
    async ({ expect, onTestFinished, onTestFailed }) => {
      const add = cleanups(onTestFinished);
      // The last console lines, shown if the test fails (the rest is not kept: see keepLines).
      const recent: string[] = [];
      onTestFailed(() =>
        console.log(`[reliability] memory: the device's last ${recent.length} console lines:\n${recent.join("\n")}`),
      );
      const broker = await startMosquitto();
      add(() => broker.stop());
      const proxy = await startTcpProxy(broker.port);
      add(() => proxy.close());

      // Counters only: the test process keeps no per-publish state (its heap is the host runtime's too).
      const s = { connected: false, waiting: 0, delivered: 0, connects: 0, queueFull: 0 };
      let deliveredAtConnect = 0;
      const device = await startDevice(
        { MQTT_URL: proxy.url, DEVICE_ID: "rel-memory", PUBLISH_INTERVAL_MS: "100", RECONNECT_MAX_MS: "2000" },
        {
          keepLines: false,
          onLine(text) {
            recent.push(text);
            if (recent.length > 60) recent.shift();
            if (text.includes("] reading #") && text.endsWith(" delivered")) s.delivered++;
            else if (text.includes(" waiting)")) s.waiting = Number(/stored \((\d+) waiting\)/.exec(text)?.[1] ?? 0);
            else if (text.includes("-> CONNECTED")) {
              s.connected = true;
              s.connects++;
              deliveredAtConnect = s.delivered;
            } else if (text.includes("-> BACKOFF")) s.connected = false;
            else if (text.includes("queue full")) s.queueFull++;
          },
        },
      );
      add(() => device.firmware.kill());

      // Samples are not kept (their array would grow the host's heap): running figures, the steady
      // values a measurement is waiting for, and with RELIABILITY_MEMORY_LOG one JSON line each.
      const log = process.env.RELIABILITY_MEMORY_LOG;
      if (log) writeFileSync(log, "");
      const figures = { samples: 0, steadyMin: Infinity, steadyMax: 0, max: 0 };
      let wanted: number[] | undefined;
      let sampling = true;
      let probeError = "";
      const steady = () => s.connected && s.waiting <= 1;
      const sampler = (async () => {
        while (sampling) {
          const started = Date.now();
          const before = steady();
          // An interpreter that stops answering fails the test with that reason, not an unhandled rejection.
          const info = await device.firmware.memory().catch((e: Error) => {
            sampling = false;
            probeError = e.message;
            return undefined;
          });
          if (!info) break;
          const usage = ON_INTERPRETER ? info.usage : process.memoryUsage().heapUsed; // after memory()'s GC
          const sample: Sample = {
            at: started,
            usage,
            steady: before && steady(),
            delivered: s.delivered,
            connects: s.connects,
          };
          figures.samples++;
          figures.max = Math.max(figures.max, usage);
          if (sample.steady) {
            figures.steadyMin = Math.min(figures.steadyMin, usage);
            figures.steadyMax = Math.max(figures.steadyMax, usage);
            wanted?.push(usage);
          }
          if (log) appendFileSync(log, JSON.stringify(sample) + "\n");
          await sleep(Math.max(0, 1000 - (Date.now() - started)));
        }
      })();
      add(async () => {
        sampling = false;
        await sampler;
      });
      /** The lowest of the next `n` steady samples (a transient allocation only ever adds). */
      const steadyLow = async (n: number) => {
        const values: number[] = (wanted = []);
        await until(() => values.length >= n, 120_000, `${n} steady memory samples`);
        wanted = undefined;
        return Math.min(...values);
      };

      // Warm-up: connected, readings delivered, one reconnect: every code path has run once.
      await until(() => s.connected && s.delivered >= 20, 30000, "20 readings delivered");
      proxy.cut();
      await until(() => s.connected && s.delivered >= 40, 30000, "reconnected after the warm-up cut");
      const warmupConnects = s.connects;
      const baseline = await steadyLow(5);
      const startedAt = Date.now();

      // Work: publishes at 10 per second; a cut after each share of them, once the queue has drained.
      const share = Math.max(1, Math.floor(PUBLISHES / RECONNECTS));
      const reconnects = () => s.connects - warmupConnects;
      const delivered0 = s.delivered;
      while (reconnects() < RECONNECTS || s.delivered - delivered0 < PUBLISHES) {
        if (probeError)
          throw new Error(
            `the device stopped answering the memory probe after ${reconnects()} reconnects: ${probeError}`,
          );
        await until(
          () => !!probeError || (s.connected && s.waiting <= 1 && s.delivered - deliveredAtConnect >= share),
          180_000,
          "a drained queue",
        );
        if (reconnects() < RECONNECTS) {
          const connects = s.connects;
          proxy.cut();
          await until(() => !!probeError || s.connects > connects, 120_000, "reconnect after a cut");
        }
      }
      const workMs = Date.now() - startedAt;
      const final = await steadyLow(5);
      sampling = false;
      await sampler;

      const unit = ON_INTERPRETER ? "JsVars" : "heap bytes";
      report(
        `memory (${RUNTIME}): ${s.delivered - delivered0} publishes delivered, ${reconnects()} reconnects in ${(workMs / 1000).toFixed(0)} s; ` +
          `usage ${unit}: baseline ${baseline}, end ${final} (${final - baseline >= 0 ? "+" : ""}${final - baseline}), ` +
          `steady min ${figures.steadyMin} max ${figures.steadyMax}, overall max ${figures.max}, ${figures.samples} samples`,
      );
      expect(s.delivered - delivered0).toBeGreaterThanOrEqual(PUBLISHES);
      expect(reconnects()).toBeGreaterThanOrEqual(RECONNECTS);
      expect(s.queueFull).toBe(0);
      expect(probeError).toBe("");
      expect(device.uncaught).toEqual([]);
      expect(device.alive()).toBe(true);
      expect(final - baseline, `memory grew from ${baseline} to ${final}`).toBeLessThanOrEqual(TOLERANCE);
    },
  );
});
