/**
 * Figure 4: time from start to the first PUBACK on loopback. The `linux` bundle (publishing every
 * 100 ms, the shortest interval the build accepts) against the bench broker; the clock starts just
 * before the interpreter is spawned (or the host runtime is started, in this process) and each
 * figure is the wall-clock arrival of a console line: the first `[mqtt] PUBACK` (the retained
 * `online` status) and `[app] reading #1 delivered`, so the bundle is built at LOG_LEVEL=debug
 * (the only level with a line per packet). The median of several runs.
 *
 *   [ESPRUINO=/path/to/espruino] npx tsx tools/bench/startup.ts
 *
 * Target: the first PUBACK under 100 ms on the Linux interpreter.
 */
import { espruinoVersion } from "../espruino-binary";
import { HOST_RUNTIME, startEspruino, startHost, type Device } from "./device";
import { missingRow, type BenchRow } from "./table";
import { buildLinuxBundle, median, runAlone, tempDir, type BenchOptions } from "./shared";

export const FIRST_PUBACK_TARGET_MS = 100;
export const STARTUP_INTERVAL_MS = 100;

export interface StartupOptions extends BenchOptions {
  runs?: number;
}

export async function benchStartup(o: StartupOptions): Promise<BenchRow[]> {
  const group = o.group;
  const runs = o.runs ?? 5;
  const { file } = await buildLinuxBundle(o.broker.port, "bench-startup", {
    PUBLISH_INTERVAL_MS: String(STARTUP_INTERVAL_MS),
    LOG_LEVEL: "debug",
  });
  const rows: BenchRow[] = [];
  const measure = async (
    start: () => Device,
  ): Promise<{ puback: number; reading: number; roundTrip: number; failedReads: number; runtime: string }> => {
    const puback: number[] = [];
    const reading: number[] = [];
    const roundTrip: number[] = [];
    let failedReads = 0;
    let runtime = "";
    for (let i = 0; i < runs; i++) {
      const device = start();
      runtime = device.runtime;
      try {
        const first = await device.waitFor(/\[mqtt\] PUBACK #\d+/, 10000);
        const delivered = await device.waitFor(/\[app\] reading #1 delivered/, 10000);
        // Reading #1's PUBLISH and its PUBACK: the client's own round trip, without the sensor's schedule.
        const sent = await device.waitFor(/\[mqtt\] PUBLISH #\d+ \S+\/temperature/, 0);
        const id = /#(\d+)/.exec(sent.text)![1];
        const acked = await device.waitFor(new RegExp(`\\[mqtt\\] PUBACK #${id}$`), 0, sent.index);
        puback.push(first.at - device.startedAt);
        reading.push(delivered.at - device.startedAt);
        roundTrip.push(acked.at - sent.at);
        failedReads = device.lines
          .slice(0, delivered.index)
          .filter((l) => /\[app\] bad reading skipped/.test(l.text)).length;
      } finally {
        await device.kill();
      }
      // The broker notices the dropped connection before the next run connects with the same id.
      await new Promise((r) => setTimeout(r, 100));
    }
    return {
      puback: median(puback),
      reading: median(reading),
      roundTrip: median(roundTrip),
      failedReads,
      runtime: `${runtime}, median of ${runs}, ${o.broker.name}`,
    };
  };
  const names = {
    puback: (where: string) => `first PUBACK (online status), ${where}`,
    reading: (where: string) => `first reading's PUBACK, ${where}`,
    roundTrip: (where: string) => `first reading, PUBLISH -> PUBACK, ${where}`,
  };
  const target = `< ${FIRST_PUBACK_TARGET_MS}`;
  const readingNote = (failed: number) =>
    `the simulated sensor fails its first ${failed} read${failed === 1 ? "" : "s"}: reading #1 is read at +${failed * STARTUP_INTERVAL_MS} ms`;
  if (o.espruino) {
    const espruino = o.espruino;
    const version = espruinoVersion(espruino);
    const m = await measure(() => startEspruino(espruino, file, tempDir("bench-run-"), `${version}, from spawn`));
    rows.push({
      group,
      name: names.puback("Espruino"),
      value: m.puback,
      unit: "ms",
      target,
      ok: m.puback < FIRST_PUBACK_TARGET_MS,
      runtime: m.runtime,
    });
    rows.push({
      group,
      name: names.reading("Espruino"),
      value: m.reading,
      unit: "ms",
      target: "",
      runtime: m.runtime,
      note: readingNote(m.failedReads),
    });
    rows.push({
      group,
      name: names.roundTrip("Espruino"),
      value: m.roundTrip,
      unit: "ms",
      target: "",
      runtime: m.runtime,
    });
  } else {
    rows.push(missingRow(names.puback("Espruino"), "ms", target, "needs ESPRUINO", group));
    rows.push(missingRow(names.reading("Espruino"), "ms", "", "needs ESPRUINO", group));
    rows.push(missingRow(names.roundTrip("Espruino"), "ms", "", "needs ESPRUINO", group));
  }
  const h = await measure(() => startHost(file, `${HOST_RUNTIME}, from start`));
  rows.push({ group, name: names.puback("host runtime"), value: h.puback, unit: "ms", target: "", runtime: h.runtime });
  rows.push({
    group,
    name: names.reading("host runtime"),
    value: h.reading,
    unit: "ms",
    target: "",
    runtime: h.runtime,
    note: readingNote(h.failedReads),
  });
  rows.push({
    group,
    name: names.roundTrip("host runtime"),
    value: h.roundTrip,
    unit: "ms",
    target: "",
    runtime: h.runtime,
  });
  return rows;
}

await runAlone(import.meta.url, (broker) => benchStartup({ espruino: process.env.ESPRUINO, broker }));
