/**
 * Figure 6: JsVars of the firmware run from flash with a backlog of stored readings, against the
 * same firmware connected with its store empty. Target: RAM does not grow with the
 * backlog, the two within 64 JsVars, on the fixed 2,500-JsVar build of Espruino (ESPRUINO_SMALL:
 * no resizable pool, no Unicode: the memory an ESP32 leaves with Wi-Fi on), and the same on the
 * normal Linux build (ESPRUINO) for comparison.
 *
 * The `linux` bundle, LOG_LEVEL=info, a reading every 100 ms, stored as `.bootcde` (typed in
 * pieces at the console, tools/firmware-runner.ts) and booted from flash, behind the bench's proxy:
 *
 * - store empty: the proxy open from the start; measured once 20 readings have been acknowledged
 *   (each reading is stored, sent and settled as it comes);
 * - backlog: a fresh flash with the proxy refusing connections until the console says
 *   `stored (1500 waiting)`, measured there (disconnected, backing off); then the proxy opens and
 *   the firmware is measured 300 ms after its CONNACK, while it drains, and once every reading
 *   taken so far has been acknowledged (those taken during the drain go out after the backlog);
 * - the control: the same with an outage of 60 readings (a drain of a few seconds), so the
 *   backlog's own effect is told apart from that of the refused connects, the reconnect and the
 *   drain itself (two readings handed to the session at a time).
 *
 * Each figure is the most of 8 readings 130 ms apart, each process.memory().usage minus .history,
 * read from a timer (tools/firmware-runner.ts, memory({ fromTimer })) after 300 ms in the state, as
 * memory.ts reads them.
 *
 *   ESPRUINO_SMALL=/path/to/espruino_small [ESPRUINO=/path/to/espruino] npx tsx tools/bench/backlog-memory.ts
 */
import { copyFileSync } from "node:fs";
import { join } from "node:path";
import type { Broker } from "./broker";
import { startTcpProxy, type TcpProxy } from "../support/tcp-proxy";
import { espruinoVersion } from "../espruino-binary";
import {
  bootDirectory,
  jsVarsAfter,
  newestSeq,
  OUT_OF_MEMORY,
  SETTLE_MS,
  startEspruino,
  type EspruinoDevice,
} from "./device";
import { missingRow, type BenchRow } from "./table";
import { buildLinuxBundle, readingAcks, runAlone, tempDir, type BenchOptions } from "./shared";

export const BACKLOG = Number(process.env.BENCH_BACKLOG || 1500);
export const SAME_WITHIN = 64;
/**
 * Readings of a short outage: the control, with the same history (refused connects, a reconnect,
 * a drain) and a drain long enough to be sampled (a few seconds), but no backlog to speak of.
 */
export const SHORT_BACKLOG = 60;
const SAMPLES = 8;
/** Not a multiple of the 100 ms reading interval: the samples fall at different points of it. */
const SAMPLE_GAP_MS = 130;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Sampled {
  /** The most of the samples (usage - history). */
  max: number;
  min: number;
  /** Least free JsVars seen. */
  free: number;
}

async function sample(device: EspruinoDevice): Promise<Sampled> {
  const got: Array<{ used: number; free: number }> = [];
  for (let i = 0; i < SAMPLES; i++) {
    const m = await jsVarsAfter(device, i ? SAMPLE_GAP_MS : SETTLE_MS);
    got.push(m);
    if (process.env.BENCH_VERBOSE)
      console.error(`[backlog] ${device.runtime}: usage ${m.usage} history ${m.history} free ${m.free}`);
  }
  return {
    max: Math.max(...got.map((g) => g.used)),
    min: Math.min(...got.map((g) => g.used)),
    free: Math.min(...got.map((g) => g.free)),
  };
}

const acked = (proxy: TcpProxy) => readingAcks(proxy.stats).length;

async function until(test: () => boolean, timeoutMs: number, what: string, device: EspruinoDevice): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!test()) {
    const bad = device.lines.find((l) => OUT_OF_MEMORY.test(l.text) || /Uncaught/.test(l.text));
    if (bad) throw new Error(`${device.runtime}: ${bad.text}`);
    if (Date.now() > deadline)
      throw new Error(
        `${device.runtime}: no ${what} after ${timeoutMs} ms; last lines:\n${device.lines
          .slice(-8)
          .map((l) => l.text)
          .join("\n")}`,
      );
    await sleep(20);
  }
}

interface Measured {
  runtime: string;
  empty: Sampled;
  offline: Sampled;
  draining: Sampled & { ackedAtEnd: number };
  drained: Sampled;
  /** The control: a short outage (SHORT_BACKLOG readings), while draining and drained. */
  shortDraining: Sampled & { ackedAtEnd: number };
  shortDrained: Sampled;
  shortWaiting: number;
  /** Readings waiting when the proxy opened. */
  waiting: number;
  outOfMemory: boolean;
}

async function measure(espruino: string, label: string, broker: Broker, backlog: number): Promise<Measured> {
  const version = espruinoVersion(espruino);
  const runtime = `${version}, ${label}, from flash (.bootcde)`;
  const proxy = await startTcpProxy(broker.port, { listening: false, timeline: true });
  const devices: EspruinoDevice[] = [];
  try {
    const { code } = await buildLinuxBundle(
      proxy.port,
      `bench-backlog-${label === "ESPRUINO_SMALL" ? "small" : "linux"}`,
      { PUBLISH_INTERVAL_MS: "100", RECONNECT_MAX_MS: "1000", LOG_LEVEL: "info" },
    );
    const emptyDir = await bootDirectory(espruino, code);
    const backlogDir = tempDir("bench-backlog-");
    copyFileSync(join(emptyDir, "espruino.flash"), join(backlogDir, "espruino.flash"));
    const shortDir = tempDir("bench-backlog-short-");
    copyFileSync(join(emptyDir, "espruino.flash"), join(shortDir, "espruino.flash"));

    // Store empty, connected: readings delivered as they come.
    await proxy.open();
    const live = startEspruino(espruino, undefined, emptyDir, runtime);
    devices.push(live);
    await until(() => proxy.stats.connacks.length > 0 && acked(proxy) >= 20, 60000, "20 readings acknowledged", live);
    const empty = await sample(live);
    await live.kill();
    await proxy.close();

    // An outage: the broker unreachable until `n` readings wait in flash; then the drain.
    const outage = async (dir: string, n: number, during: boolean) => {
      proxy.reset();
      const device = startEspruino(espruino, undefined, dir, runtime);
      devices.push(device);
      const full = new RegExp(`stored \\(${n} waiting\\)`);
      await until(
        () => device.lines.some((l) => full.test(l.text)),
        60000 + n * 200,
        `"stored (${n} waiting)"`,
        device,
      );
      const offline = during ? await sample(device) : undefined;
      const waitingLine = [...device.lines].reverse().find((l) => /stored \((\d+) waiting\)/.test(l.text));
      const waiting = Number(/stored \((\d+) waiting\)/.exec(waitingLine?.text ?? "")?.[1] ?? n);
      await proxy.open();
      await until(() => proxy.stats.connacks.length > 0, 30000, "CONNACK", device);
      const draining = during ? { ...(await sample(device)), ackedAtEnd: acked(proxy) } : undefined;
      // Drained: every reading taken so far acknowledged (those taken during the drain queue
      // behind the backlog), bar the one that may be in flight.
      await until(
        () => acked(proxy) >= Math.max(waiting, newestSeq(device.lines) - 1),
        600000,
        "the store drained",
        device,
      );
      const drained = await sample(device);
      await device.kill();
      await proxy.close();
      return { offline, draining, drained, waiting };
    };
    const long = await outage(backlogDir, backlog, true);
    const short = await outage(shortDir, SHORT_BACKLOG, true);
    const outOfMemory = devices.some((d) => d.lines.some((l) => OUT_OF_MEMORY.test(l.text)));
    return {
      runtime,
      empty,
      offline: long.offline!,
      draining: long.draining!,
      drained: long.drained,
      shortDraining: short.draining!,
      shortDrained: short.drained,
      shortWaiting: short.waiting,
      waiting: long.waiting,
      outOfMemory,
    };
  } finally {
    for (const d of devices) await d.kill();
    await proxy.close();
  }
}

export interface BacklogMemoryOptions extends BenchOptions {
  /** The fixed 2,500-JsVar build (ESPRUINO_SMALL). */
  small?: string;
  backlog?: number;
}

export async function benchBacklogMemory(o: BacklogMemoryOptions): Promise<BenchRow[]> {
  const group = o.group;
  const backlog = o.backlog ?? BACKLOG;
  const rows: BenchRow[] = [];
  const interpreters: Array<[string, string | undefined, string]> = [
    ["ESPRUINO_SMALL", o.small, "2,500-JsVar build"],
    ["ESPRUINO", o.espruino, "Linux build"],
  ];
  // Both fill their stores at the same time (a reading every 100 ms each is little work).
  const measured = await Promise.all(
    interpreters.map(([label, path]) => (path ? measure(path, label, o.broker, backlog) : Promise.resolve(undefined))),
  );
  const range = (s: Sampled) => `${SAMPLES} samples ${s.min}..${s.max}, least free ${s.free}`;
  const sampled = (s: Sampled, more = "") => ({ value: s.max, note: range(s) + more });
  const ackedAtEnd = (s: Measured["draining"], waiting: number) =>
    `; ${s.ackedAtEnd} of ${waiting} acknowledged at the last sample`;
  /** Each state's figure: the most of its samples. */
  const states: Array<[string, (m: Measured) => { value: number; note: string }]> = [
    ["connected, store empty", (m) => sampled(m.empty)],
    [`disconnected, ${backlog} stored`, (m) => sampled(m.offline)],
    [`connected, draining ${backlog} stored`, (m) => sampled(m.draining, ackedAtEnd(m.draining, m.waiting))],
    [`connected, ${backlog} drained`, (m) => sampled(m.drained)],
    [
      `connected, draining ${SHORT_BACKLOG} stored (control: a short outage)`,
      (m) => sampled(m.shortDraining, ackedAtEnd(m.shortDraining, m.shortWaiting)),
    ],
    [`connected, ${SHORT_BACKLOG} drained (control)`, (m) => sampled(m.shortDrained)],
  ];
  const within = (d: number) => ({ value: d, ok: Math.abs(d) <= SAME_WITHIN });
  /** The differences the targets are about, each with its target. */
  const differences: Array<[string, string, (m: Measured) => { value: number; ok: boolean; note?: string }]> = [
    [`draining ${backlog} stored - store empty`, `within ${SAME_WITHIN}`, (m) => within(m.draining.max - m.empty.max)],
    [
      `disconnected ${backlog} stored - store empty`,
      `<= +${SAME_WITHIN}`,
      (m) => ({
        value: m.offline.max - m.empty.max,
        ok: m.offline.max - m.empty.max <= SAME_WITHIN,
        note: "as the long-outage test checks it: not more than 64 above the connected baseline",
      }),
    ],
    [
      `draining ${backlog} stored - draining ${SHORT_BACKLOG} stored`,
      `within ${SAME_WITHIN}`,
      (m) => ({
        ...within(m.draining.max - m.shortDraining.max),
        note: "the backlog's own effect: the same history of refused connects, a reconnect and a drain",
      }),
    ],
    [`${backlog} drained - store empty`, `within ${SAME_WITHIN}`, (m) => within(m.drained.max - m.empty.max)],
  ];
  interpreters.forEach(([label, path, what], i) => {
    const name = (state: string) => `${what}: ${state}`;
    const m = path ? measured[i] : undefined;
    for (const [state, figure] of states)
      rows.push(
        m
          ? { group, name: name(state), unit: "JsVars", target: "", runtime: m.runtime, ...figure(m) }
          : missingRow(name(state), "JsVars", "", `needs ${label}`, group),
      );
    for (const [difference, target, figure] of differences)
      rows.push(
        m
          ? { group, name: name(difference), unit: "JsVars", target, runtime: m.runtime, ...figure(m) }
          : missingRow(name(difference), "JsVars", target, `needs ${label}`, group),
      );
    if (!m) return;
    rows.push({
      group,
      name: name("OUT OF MEMORY or Execution Interrupted on the console"),
      value: m.outOfMemory ? 1 : 0,
      unit: "",
      target: "0",
      ok: !m.outOfMemory,
      runtime: m.runtime,
    });
  });
  return rows;
}

await runAlone(import.meta.url, (broker) =>
  benchBacklogMemory({ espruino: process.env.ESPRUINO, small: process.env.ESPRUINO_SMALL, broker }),
);
