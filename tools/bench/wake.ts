/**
 * Figure 8: battery mode (SLEEP_MS), the time awake per wake, from the bundle's first statement to
 * the deep sleep, as the firmware itself reports it (`[sleep] awake N ms; sleeping M ms`, timed by
 * the session's clock from the top of the bundle: the interpreter's own boot before it is not in
 * it; figure 4 puts the Linux interpreter's whole start to a first PUBACK at about 20 ms).
 *
 * The `linux` bundle at LOG_LEVEL=info, AWAKE_MAX_MS 10 s, run by tools/firmware-runner.ts's
 * runFirmware(), which starts it again after each E.reboot() "deep sleep" in the same directory
 * (so the store, seq and boot carry on, as on a board), on Espruino's Linux interpreter (booting
 * from `.bootcde`, as a board does) and in the host runtime. The first start is a power-on and is
 * not counted; the next `WAKES` are timer wakes. The broker is reached through the bench's TCP
 * proxy, with no delay ("loopback") or with 50 ms added to every round trip (25 ms each way), so
 * the PUBLISHes and PUBACKs of every wake are seen and timed at the proxy.
 *
 * Two sensors: the linux board as shipped (boards/linux.json: simulated, 10 % failures, seed 1:
 * its first two reads after every boot fail, and a wake retries a failed read a second later, so a
 * wake reads for about 2 s), and the same board with a sensor that never fails (a copy of
 * boards/linux.json with failureRate 0, built by `npm run build` with BOARDS_DIR): there the
 * reading is at hand at once and the wake is the firmware's and the network's work alone.
 *
 * Target (the issue): a round trip added to the link adds at most one CONNACK round trip plus one
 * PUBACK round trip to a wake: p50(50 ms) - p50(loopback) <= 2 round trips, the loopback wake being
 * "the work itself", and the round trip the one the proxy really adds (a raw client's CONNECT to
 * CONNACK through each proxy, before the firmware runs: its timers fire a little late, ~50.5 ms).
 * A wake ends on its 50 ms poll (src/app/wake-cycle.ts), so the difference moves by up to 25 ms
 * between runs.
 *
 * Energy: an ESP32 at 100 mA awake and 10 uA in deep sleep; the charge per reading is
 * awake x 100 mA + (period - awake) x 0.01 mA, from the measured awake time (Espruino's when
 * ESPRUINO is set, else the host runtime's), against staying awake at 100 mA for the same period.
 *
 *   [ESPRUINO=/path/to/espruino] npx tsx tools/bench/wake.ts
 */
import { execFile } from "node:child_process";
import { connect } from "node:net";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { promisify } from "node:util";
import { buildBundle } from "../build/build-bundle";
import { espruinoVersion } from "../espruino-binary";
import { recordConsole, runFirmware, type ConsoleLine } from "../firmware-runner";
import { startTcpProxy, type TcpProxy } from "../support/tcp-proxy";
import { HOST_RUNTIME } from "./device";
import { missingRow, type BenchRow } from "./table";
import { median, REPO_ROOT, runAlone, tempDir, type BenchOptions } from "./shared";

/** The round trip the proxy adds for the second link, ms (a Wi-Fi hop to a broker further away). */
export const WAKE_ROUND_TRIP_MS = 50;
export const WAKE_AWAKE_MAX_MS = 10000;
/** Round trips a wake may add per round trip of the link: the CONNACK's and one PUBACK's. */
const ALLOWED_ROUND_TRIPS = 2;
/** ESP32 figures for the energy estimate, mA. */
const AWAKE_MA = 100;
const ASLEEP_MA = 0.01;
/** Periods for the estimate, ms: the esp32 board's default interval, and the README's SLEEP_MS example. */
const ESP32_DEFAULT_INTERVAL_MS = 10000;
const README_SLEEP_MS = 300000;

const SLEPT = /\[sleep\] awake (\d+) ms; sleeping (\d+) ms$/;
const WOKE = /\[sleep\] woke: (.*?);/;
const DELIVERED = /\[sleep\] (.*); (\d+) delivered this wake$/;
const STORED = /\[app\] reading #\d+ .* stored/;
const BAD = /\[app\] bad reading skipped/;

type SensorKey = "shipped" | "steady";
type LinkKey = "loopback" | "rtt";

interface Wake {
  cause: string;
  awakeMs: number;
  delivered: number;
  why: string;
  badReads: number;
  /** PUBLISHes the proxy saw during this wake (the `online` status and the readings). */
  publishes: number;
  /** What was acknowledged in this wake, by the topic's last level: "status + temperature". */
  kinds: string;
  /** ms from the wake's first console line: CONNACK, the reading stored, the last PUBACK, the sleep line. */
  connackMs: number;
  storedMs: number;
  lastAckMs: number;
  sleepLineMs: number;
}

interface Measured {
  runtime: string;
  wakes: Wake[];
  p50: number;
  max: number;
}

/**
 * Splits a run's console into wakes (each from its `[sleep] woke:` line) and times each at the
 * proxy; `downMs`, the proxy's delay towards the client, is added to what the broker sent (the
 * proxy times a CONNACK or PUBACK as it arrives from the broker, the client gets it that much later).
 */
function wakesOf(lines: ConsoleLine[], proxy: TcpProxy["stats"], downMs: number): Wake[] {
  const starts = lines.map((l, i) => (WOKE.test(l.text) ? i : -1)).filter((i) => i >= 0);
  const wakes: Wake[] = [];
  starts.forEach((s, k) => {
    const end = k + 1 < starts.length ? starts[k + 1] : lines.length;
    const own = lines.slice(s, end);
    const slept = own.map((l) => ({ l, m: SLEPT.exec(l.text) })).find((x) => x.m);
    if (!slept) return; // the run was stopped during this wake
    // The wake's first console line is the `[boot] board` line just before `woke:`.
    const t0 = s > 0 && /\[boot\] board /.test(lines[s - 1].text) ? lines[s - 1].at : lines[s].at;
    const t1 = slept.l.at;
    const inWake = (t: number) => t >= t0 && t <= t1;
    const delivered = own.map((l) => DELIVERED.exec(l.text)).find((m) => m);
    const acked = proxy.acks.filter((a) => inWake(a.at + downMs));
    const acks = acked.map((a) => a.at + downMs);
    const connack = proxy.connacks.map((c) => c + downMs).find(inWake);
    const stored = own.find((l) => STORED.test(l.text));
    wakes.push({
      cause: WOKE.exec(lines[s].text)![1],
      awakeMs: Number(slept.m![1]),
      delivered: delivered ? Number(delivered[2]) : 0,
      why: delivered ? delivered[1] : "?",
      badReads: own.filter((l) => BAD.test(l.text)).length,
      publishes: proxy.sends.filter(inWake).length,
      kinds: acked.map((a) => a.topic.split("/").pop()).join(" + "),
      connackMs: connack === undefined ? NaN : connack - t0,
      storedMs: stored ? stored.at - t0 : NaN,
      lastAckMs: acks.length ? acks[acks.length - 1] - t0 : NaN,
      sleepLineMs: t1 - t0,
    });
  });
  return wakes;
}

/** Runs the bundle until `wakes` timer wakes have gone to sleep (the power-on start before them is left out). */
async function measureWakes(
  file: string,
  espruino: string,
  proxy: TcpProxy,
  downMs: number,
  wakes: number,
  sleepMs: number,
  label: string,
): Promise<Measured> {
  proxy.reset();
  const cwd = tempDir("bench-wake-");
  const { firmware, lines } = recordConsole(label, (console) => runFirmware(file, { cwd, espruino, console }));
  const runtime = espruino ? espruinoVersion(espruino) + ", from .bootcde" : HOST_RUNTIME;
  const deadline = performance.now() + (wakes + 1) * (WAKE_AWAKE_MAX_MS + sleepMs + 5000);
  let ended = false;
  void firmware.exited.then(() => (ended = true));
  try {
    for (;;) {
      const slept = lines.filter((l) => SLEPT.test(l.text)).length;
      if (slept >= wakes + 1) break;
      if (ended || performance.now() > deadline) {
        throw new Error(
          `${label}: ${slept} of ${wakes + 1} wakes slept${ended ? " (the firmware ended)" : " in time"}; last lines: ${lines
            .slice(-6)
            .map((l) => l.text)
            .join(" / ")}`,
        );
      }
      await new Promise((r) => setTimeout(r, 20));
    }
  } finally {
    firmware.kill();
    await firmware.exited;
  }
  const all = wakesOf(lines, proxy.stats, downMs);
  const timed = all.slice(1);
  if (all.length && all[0].cause === "timer") throw new Error(`${label}: the first start says it woke from a timer`);
  if (timed.some((w) => w.cause !== "timer"))
    throw new Error(`${label}: a wake after the first is not a timer wake: ${timed.map((w) => w.cause).join(", ")}`);
  const awake = timed.map((w) => w.awakeMs);
  return { runtime, wakes: timed, p50: median(awake), max: Math.max(...awake) };
}

/**
 * The round trip through `port` as a client sees it: a raw MQTT CONNECT to its CONNACK, the
 * median of `n` connections (the proxy's timers fire a little late, so its added round trip is a
 * little over what it was asked for).
 */
async function connackRoundTrip(port: number, n: number, label: string): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < n; i++) {
    const id = Buffer.from(`bench-wake-ping-${label}-${i}`);
    const variable = Buffer.from([0, 4, 0x4d, 0x51, 0x54, 0x54, 4, 2, 0, 60]); // "MQTT", 3.1.1, clean session, keep-alive 60 s
    const body = Buffer.concat([variable, Buffer.from([id.length >> 8, id.length & 255]), id]);
    const packet = Buffer.concat([Buffer.from([0x10, body.length]), body]);
    times.push(
      await new Promise<number>((resolve, reject) => {
        const socket = connect({ host: "127.0.0.1", port }, () => {
          const t0 = performance.now();
          socket.once("data", (d) => {
            const ms = performance.now() - t0;
            socket.end(Buffer.from([0xe0, 0])); // DISCONNECT
            if (d[0] !== 0x20)
              reject(new Error(`round trip through port ${port}: no CONNACK (got 0x${d[0].toString(16)})`));
            else resolve(ms);
          });
          socket.write(packet);
        });
        socket.once("error", reject);
        socket.setTimeout(5000, () => {
          socket.destroy();
          reject(new Error(`round trip through port ${port}: no CONNACK within 5 s`));
        });
      }),
    );
  }
  return median(times);
}

/**
 * The linux board with its simulated sensor never failing: a copy of boards/linux.json with
 * failureRate 0, built by the build's own CLI (BOARDS_DIR is read when tools/build is loaded, so
 * in a child process), with only `settings` as the environment's settings.
 */
async function buildSteadySensor(settings: Record<string, string>, dir: string): Promise<string> {
  const boards = join(dir, "boards");
  mkdirSync(boards, { recursive: true });
  const board = JSON.parse(readFileSync(join(REPO_ROOT, "boards/linux.json"), "utf8"));
  board.sensor = { ...board.sensor, failureRate: 0 };
  board.description = "linux, with a simulated sensor that never fails (bench figure 8)";
  writeFileSync(join(boards, "linux.json"), JSON.stringify(board, null, 2));
  const out = join(dir, "out");
  const env = {
    PATH: process.env.PATH ?? "",
    HOME: process.env.HOME ?? "",
    BOARDS_DIR: boards,
    BOARD: "linux",
    ENV_FILE: "/dev/null",
    ...settings,
  };
  await promisify(execFile)(
    process.execPath,
    ["--import", "tsx", join(REPO_ROOT, "tools/build/main.ts"), "--out-dir", out],
    { cwd: REPO_ROOT, env, timeout: 120000 },
  );
  return join(out, "linux.js");
}

export interface WakeOptions extends BenchOptions {
  /** Timer wakes measured per case (default 8). */
  wakes?: number;
}

export async function benchWake(o: WakeOptions): Promise<BenchRow[]> {
  const group = o.group;
  const wakes = o.wakes ?? 8;
  const rows: BenchRow[] = [];
  const sleepMs: Record<SensorKey, number> = { shipped: 3000, steady: 2000 };
  const proxies: Record<LinkKey, TcpProxy> = {
    loopback: await startTcpProxy(o.broker.port, { listening: false, timeline: true }),
    rtt: await startTcpProxy(o.broker.port, { roundTripMs: WAKE_ROUND_TRIP_MS, listening: false, timeline: true }),
  };
  const results: Partial<Record<string, Measured>> = {};
  /** CONNECT -> CONNACK through each proxy, ms (a raw client, before the firmware runs). */
  const pings = {} as Record<LinkKey, number>;
  const key = (runtime: "espruino" | "host", sensor: SensorKey, link: LinkKey) => `${runtime}/${sensor}/${link}`;
  try {
    for (const p of Object.values(proxies)) await p.open();
    pings.loopback = await connackRoundTrip(proxies.loopback.port, 7, "loopback");
    pings.rtt = await connackRoundTrip(proxies.rtt.port, 7, "rtt");
    // One bundle per sensor and link (the proxy's port is baked in).
    const dir = tempDir("bench-wake-build-");
    const settings = (sensor: SensorKey, link: LinkKey) => ({
      MQTT_URL: `mqtt://127.0.0.1:${proxies[link].port}`,
      DEVICE_ID: `bench-wake-${sensor}-${link}`,
      SLEEP_MS: String(sleepMs[sensor]),
      AWAKE_MAX_MS: String(WAKE_AWAKE_MAX_MS),
      LOG_LEVEL: "info",
    });
    const files = {} as Record<SensorKey, Record<LinkKey, string>>;
    const shipped = async (link: LinkKey) => {
      const file = join(dir, `shipped-${link}.js`);
      await buildBundle("linux", settings("shipped", link), file);
      return file;
    };
    const [shippedLoop, shippedRtt, steadyLoop, steadyRtt] = await Promise.all([
      shipped("loopback"),
      shipped("rtt"),
      buildSteadySensor(settings("steady", "loopback"), join(dir, "steady-loopback")),
      buildSteadySensor(settings("steady", "rtt"), join(dir, "steady-rtt")),
    ]);
    files.shipped = { loopback: shippedLoop, rtt: shippedRtt };
    files.steady = { loopback: steadyLoop, rtt: steadyRtt };
    // One case at a time: nothing else measured meanwhile.
    const runtimes: Array<["espruino" | "host", string]> = [];
    if (o.espruino) runtimes.push(["espruino", o.espruino]);
    runtimes.push(["host", ""]);
    for (const [rt, espruino] of runtimes)
      for (const sensor of ["shipped", "steady"] as const)
        for (const link of ["loopback", "rtt"] as const) {
          const k = key(rt, sensor, link);
          results[k] = await measureWakes(
            files[sensor][link],
            espruino,
            proxies[link],
            link === "rtt" ? WAKE_ROUND_TRIP_MS / 2 : 0,
            wakes,
            sleepMs[sensor],
            k,
          );
        }
  } finally {
    for (const p of Object.values(proxies)) await p.close();
  }

  const sensorLabel: Record<SensorKey, string> = {
    shipped: "linux board's sensor (fails 2 reads a wake)",
    steady: "a sensor that never fails",
  };
  const rttLabel = `${WAKE_ROUND_TRIP_MS} ms round trip`;
  const p50 = (xs: number[]) => (xs.some((x) => Number.isNaN(x)) ? NaN : median(xs));
  const legs = (m: Measured) => {
    const ms = (x: number) => (Number.isNaN(x) ? "?" : String(Math.round(x)));
    const w = m.wakes;
    return (
      `p50 from the wake's first line: CONNACK at the client +${ms(p50(w.map((x) => x.connackMs)))}, reading stored +${ms(p50(w.map((x) => x.storedMs)))}, ` +
      `last PUBACK +${ms(p50(w.map((x) => x.lastAckMs)))}, sleep line +${ms(p50(w.map((x) => x.sleepLineMs)))} ms`
    );
  };
  // The round trip the 50 ms link really adds (the proxy's timers fire a little late): the unit of the target.
  const added = pings.rtt - pings.loopback;
  const allowed = ALLOWED_ROUND_TRIPS * added;
  const target = `<= ${ALLOWED_ROUND_TRIPS} round trips, ${Math.round(allowed)} ms (1 CONNACK + 1 PUBACK)`;
  rows.push({
    group,
    name: "round trip through the proxy, CONNECT -> CONNACK (a raw client), loopback",
    value: pings.loopback,
    unit: "ms",
    target: "",
    runtime: `${o.broker.name} via proxy, median of 7`,
  });
  rows.push({
    group,
    name: `round trip through the proxy, CONNECT -> CONNACK (a raw client), ${rttLabel}`,
    value: pings.rtt,
    unit: "ms",
    target: "",
    runtime: `${o.broker.name} via proxy, median of 7`,
    note: `adds ${added.toFixed(1)} ms a round trip: the unit of the targets below`,
  });
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  for (const rt of ["espruino", "host"] as const) {
    const where = rt === "espruino" ? "Espruino" : "host runtime";
    for (const sensor of ["shipped", "steady"] as const) {
      const loop = results[key(rt, sensor, "loopback")];
      const far = results[key(rt, sensor, "rtt")];
      const name = (what: string) => `awake per wake, ${what}, ${sensorLabel[sensor]}, ${where}`;
      const addedName = `added to a wake by the ${rttLabel}, p50 - p50 loopback, ${sensorLabel[sensor]}, ${where}`;
      if (!loop || !far) {
        rows.push(missingRow(name("loopback, p50"), "ms", "", "needs ESPRUINO", group));
        rows.push(missingRow(name("loopback, max"), "ms", "", "needs ESPRUINO", group));
        rows.push(missingRow(name(`${rttLabel}, p50`), "ms", "", "needs ESPRUINO", group));
        rows.push(missingRow(name(`${rttLabel}, max`), "ms", "", "needs ESPRUINO", group));
        rows.push(missingRow(addedName, "ms", target, "needs ESPRUINO", group));
        continue;
      }
      for (const [m, link] of [
        [loop, "loopback"],
        [far, rttLabel],
      ] as const) {
        const runtime = `${m.runtime}, ${m.wakes.length} timer wakes, SLEEP_MS ${sleepMs[sensor]}, ${o.broker.name} via proxy`;
        const bad = median(m.wakes.map((w) => w.badReads));
        const timedOut = m.wakes.filter((w) => w.why !== "everything delivered").length;
        rows.push({
          group,
          name: name(`${link}, p50`),
          value: m.p50,
          unit: "ms",
          target: "",
          runtime,
          note: `${legs(m)}; ${bad} failed reads a wake (p50)${timedOut ? `; ${timedOut} wakes ended by AWAKE_MAX_MS` : ""}`,
        });
        rows.push({ group, name: name(`${link}, max`), value: m.max, unit: "ms", target: "", runtime });
      }
      const diff = far.p50 - loop.p50;
      const meanDiff = mean(far.wakes.map((w) => w.awakeMs)) - mean(loop.wakes.map((w) => w.awakeMs));
      const ackDiff = p50(far.wakes.map((w) => w.lastAckMs)) - p50(loop.wakes.map((w) => w.lastAckMs));
      rows.push({
        group,
        name: addedName,
        value: diff,
        unit: "ms",
        target,
        ok: diff <= allowed,
        runtime: "same run, same broker",
        note: `${(diff / added).toFixed(1)} round trips; means: ${Math.round(meanDiff)} ms; the last PUBACK moved ${Math.round(ackDiff)} ms (p50)`,
      });
    }
    // Messages per wake, from the proxy and from the console, over every case of this runtime.
    const all = (["shipped", "steady"] as const)
      .flatMap((s) => (["loopback", "rtt"] as const).map((l) => results[key(rt, s, l)]))
      .filter((m): m is Measured => !!m);
    const msgName = `PUBLISHes per wake (proxy), ${where}`;
    if (!all.length) {
      rows.push(missingRow(msgName, "", "", "needs ESPRUINO", group));
      continue;
    }
    const pubs = all.flatMap((m) => m.wakes.map((w) => w.publishes));
    const delivered = all.flatMap((m) => m.wakes.map((w) => w.delivered));
    rows.push({
      group,
      name: msgName,
      value: median(pubs),
      unit: "",
      target: "",
      runtime: `${all[0].runtime}, ${pubs.length} wakes`,
      note: `${Math.min(...pubs)}..${Math.max(...pubs)} a wake, acknowledged: ${[...new Set(all.flatMap((m) => m.wakes.map((w) => w.kinds)))].join(" / ")}; console: ${Math.min(...delivered)}..${Math.max(...delivered)} readings delivered this wake`,
    });
  }

  // Energy per reading, for an ESP32, from the measured wake (Espruino's if measured).
  const source = (sensor: SensorKey) =>
    results[key("espruino", sensor, "loopback")] ?? results[key("host", sensor, "loopback")];
  const charge = (awakeMs: number, periodMs: number) =>
    (awakeMs / 1000) * AWAKE_MA + (Math.max(0, periodMs - awakeMs) / 1000) * ASLEEP_MA;
  const current = (mA: number) => (mA >= 1 ? `${mA.toFixed(1)} mA` : `${Math.round(mA * 1000)} uA`);
  const uAh = (mAs: number) => (mAs / 3.6).toFixed(mAs < 36 ? 2 : 0);
  const assumptions = `${AWAKE_MA} mA awake, ${ASLEEP_MA * 1000} uA asleep; Wi-Fi join, DHCP and the ESP32's boot from deep sleep not measured (not in the awake time)`;
  for (const [periodMs, why] of [
    [ESP32_DEFAULT_INTERVAL_MS, "the esp32 board's default interval"],
    [README_SLEEP_MS, "the README's SLEEP_MS example"],
  ] as const) {
    const s = periodMs / 1000;
    for (const sensor of ["steady", "shipped"] as const) {
      const m = source(sensor);
      const name = `ESP32 charge per reading, a reading every ${s} s (${why}), battery mode, awake as measured with ${sensorLabel[sensor]}`;
      if (!m) {
        rows.push(missingRow(name, "mAs", "", "needs a measured wake", group));
        continue;
      }
      const q = charge(m.p50, periodMs);
      const always = (periodMs / 1000) * AWAKE_MA;
      rows.push({
        group,
        name,
        value: q,
        unit: "mAs",
        target: "",
        runtime: `estimate from ${m.runtime} on loopback, p50 ${Math.round(m.p50)} ms awake`,
        note: `${uAh(q)} uAh; average ${current(q / s)}; ${(always / q).toFixed(1)}x less than always on; ${assumptions}`,
      });
    }
    rows.push({
      group,
      name: `ESP32 charge per reading, a reading every ${s} s (${why}), always on (SLEEP_MS 0)`,
      value: (periodMs / 1000) * AWAKE_MA,
      unit: "mAs",
      target: "",
      runtime: "estimate",
      note: `${uAh((periodMs / 1000) * AWAKE_MA)} uAh; ${AWAKE_MA} mA the whole interval`,
    });
  }
  return rows;
}

await runAlone(import.meta.url, (broker) =>
  benchWake({ espruino: process.env.ESPRUINO, broker, wakes: Number(process.env.BENCH_WAKES || 8) }),
);
