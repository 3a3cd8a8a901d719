/**
 * Issue 7, memory: the firmware's memory, sampled once a second from the test's timer over many
 * publishes and reconnects (fault-proxy cuts), is back to its baseline at the end: no growth.
 * On Espruino's interpreter (ESPRUINO=...) the figure is process.memory().usage in JsVars; in the
 * host runtime it is this worker's V8 heap after a full GC, in bytes (the runtime's own estimate,
 * tools/host-runtime/memory.ts, counts from the heap at start and reads 0 below it: after the
 * bundle's build is collected, it stays 0).
 *
 * Counts: RELIABILITY_PUBLISHES / RELIABILITY_RECONNECTS, else 300 / 4 x RELIABILITY_SCALE. The
 * issue's full run is RELIABILITY_PUBLISHES=10000 RELIABILITY_RECONNECTS=500 on the interpreter:
 * hours, as the backoff (full jitter, cap 60 s, reset only after 60 s up) waits ~30 s on average
 * once reconnects come faster than one a minute. RELIABILITY_MEMORY_LOG=<file> saves the samples.
 */
import { writeFileSync } from "node:fs";
import v8 from "node:v8";
import vm from "node:vm";
import { describe, it } from "vitest";
import { startMosquitto } from "../support/mosquitto";
import { startFaultProxy } from "../support/fault-proxy";
import { cleanups, count, ON_INTERPRETER, report, RUNTIME, sleep, startDevice, until } from "./harness";

// The host runtime's estimate is the V8 heap of this worker, so: a full GC before each sample, and
// no optimising JIT tiers. With them, V8's optimised code and its deopt data grow the heap by
// ~150 bytes per publish for minutes (heap snapshots: only code objects grow), hiding any real leak.
if (!ON_INTERPRETER) {
  for (const flag of ["--no-opt", "--no-maglev", "--no-sparkplug"]) v8.setFlagsFromString(flag);
  if (typeof (globalThis as { gc?: unknown }).gc !== "function") {
    v8.setFlagsFromString("--expose-gc");
    (globalThis as { gc?: unknown }).gc = vm.runInNewContext("gc");
  }
}

const PUBLISHES = count("PUBLISHES", 300);
const RECONNECTS = count("RECONNECTS", 4);
/** Growth allowed between the baseline and the end: a few queue entries' worth, or GC noise. */
const TOLERANCE = ON_INTERPRETER ? 60 : 48 * 1024;

interface Sample {
  at: number;
  /** JsVars on the interpreter; heap bytes in the host runtime. */
  usage: number;
  /** Connected, and at most the one reading in flight queued. */
  steady: boolean;
  delivered: number;
  connects: number;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

describe(`memory, firmware on the ${RUNTIME}`, () => {
  it(`no growth over ${PUBLISHES} publishes and ${RECONNECTS} reconnects`, { timeout: 180_000 + RECONNECTS * 70_000 + PUBLISHES * 200 }, async ({ expect, onTestFinished }) => {
    const add = cleanups(onTestFinished);
    const broker = await startMosquitto();
    add(() => broker.stop());
    const proxy = await startFaultProxy(broker.port);
    add(() => proxy.close());

    // Counters only: the test process keeps no per-publish state (its heap is the host runtime's too).
    const s = { connected: false, waiting: 0, delivered: 0, connects: 0, queueFull: 0 };
    let deliveredAtConnect = 0;
    const device = await startDevice(
      { MQTT_URL: proxy.url, DEVICE_ID: "rel-memory", PUBLISH_INTERVAL_MS: "100", QUEUE_SIZE: "1000" },
      {
        keepLines: false,
        onLine(text) {
          if (text.includes("] reading #") && text.endsWith(" delivered")) s.delivered++;
          else if (text.includes(" waiting)")) s.waiting = Number(/queued \((\d+) waiting\)/.exec(text)?.[1] ?? 0);
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

    const samples: Sample[] = [];
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        const started = Date.now();
        const steady = () => s.connected && s.waiting <= 1;
        const before = steady();
        const info = await device.firmware.memory();
        const usage = ON_INTERPRETER ? info.usage : process.memoryUsage().heapUsed; // after memory()'s GC
        samples.push({ at: started, usage, steady: before && steady(), delivered: s.delivered, connects: s.connects });
        await sleep(Math.max(0, 1000 - (Date.now() - started)));
      }
    })();
    add(async () => {
      sampling = false;
      await sampler;
    });
    /** The median of the next `n` steady samples. */
    const steadyMedian = async (n: number) => {
      const from = samples.length;
      await until(() => samples.slice(from).filter((x) => x.steady).length >= n, 120_000, `${n} steady memory samples`);
      return median(samples.slice(from).filter((x) => x.steady).map((x) => x.usage));
    };

    // Warm-up: connected, readings delivered, one reconnect: every code path has run once.
    await until(() => s.connected && s.delivered >= 20, 30000, "20 readings delivered");
    proxy.cut();
    await until(() => s.connected && s.delivered >= 40, 30000, "reconnected after the warm-up cut");
    const warmupConnects = s.connects;
    const baseline = await steadyMedian(5);
    const startedAt = Date.now();

    // Work: publishes at 10 per second; a cut after each share of them, once the queue has drained.
    const share = Math.max(1, Math.floor(PUBLISHES / RECONNECTS));
    const reconnects = () => s.connects - warmupConnects;
    const delivered0 = s.delivered;
    while (reconnects() < RECONNECTS || s.delivered - delivered0 < PUBLISHES) {
      await until(() => s.connected && s.waiting <= 1 && s.delivered - deliveredAtConnect >= share, 180_000, "a drained queue");
      if (reconnects() < RECONNECTS) {
        const connects = s.connects;
        proxy.cut();
        await until(() => s.connects > connects, 120_000, "reconnect after a cut");
      }
    }
    const workMs = Date.now() - startedAt;
    const final = await steadyMedian(5);
    sampling = false;
    await sampler;

    const steady = samples.filter((x) => x.steady).map((x) => x.usage);
    if (process.env.RELIABILITY_MEMORY_LOG) writeFileSync(process.env.RELIABILITY_MEMORY_LOG, JSON.stringify(samples));
    const unit = ON_INTERPRETER ? "JsVars" : "heap bytes";
    report(
      `memory (${RUNTIME}): ${s.delivered - delivered0} publishes delivered, ${reconnects()} reconnects in ${(workMs / 1000).toFixed(0)} s; ` +
        `usage ${unit}: baseline ${baseline}, end ${final} (${final - baseline >= 0 ? "+" : ""}${final - baseline}), ` +
        `steady min ${Math.min(...steady)} max ${Math.max(...steady)}, overall max ${Math.max(...samples.map((x) => x.usage))}, ${samples.length} samples`,
    );
    expect(s.delivered - delivered0).toBeGreaterThanOrEqual(PUBLISHES);
    expect(reconnects()).toBeGreaterThanOrEqual(RECONNECTS);
    expect(s.queueFull).toBe(0);
    expect(device.uncaught).toEqual([]);
    expect(device.alive()).toBe(true);
    expect(final - baseline, `memory grew from ${baseline} to ${final}`).toBeLessThanOrEqual(TOLERANCE);
  });
});
