/**
 * Figure 5: drain rate of a full queue after reconnect, QoS 1. The `linux` bundle built with
 * one reading every 100 ms (the shortest interval the build accepts) starts with
 * its broker unreachable (the bench's TCP proxy refuses connections) until the console says
 * `stored (200 waiting)`; then the proxy opens onto the broker, and the figure is 200 readings over
 * the time from `CONNECTED` to the 200th `[app] reading #n delivered` (wall-clock arrival of the
 * lines; the retained `online` status goes first and is not counted).
 *
 * The in-flight window (1) is checked two ways: at the proxy (PUBLISHes sent and not yet
 * acknowledged by the broker; bytes the firmware sent between two PUBACKs) and on the console
 * (each `PUBLISH #n` followed by `PUBACK #n` before the next PUBLISH).
 *
 * Several runtimes fill their queues at once (each behind its own proxy); their drains run one
 * after the other.
 *
 *   [ESPRUINO=/path/to/espruino] npx tsx tools/bench/drain.ts
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { buildBundle } from "../build/build-bundle";
import { startBroker, startProxy, type Broker, type Proxy } from "./broker";
import { espruinoVersion, startEspruino, startHost, type Device } from "./device";
import { formatRows, missingRow, type BenchRow } from "./table";

export const DRAIN_QUEUE = 200;
const WINDOW = 1;

interface Drained {
  runtime: string;
  rate: number;
  ms: number;
  /** PUBLISH lines logged before the previous one's PUBACK line (console order). */
  overlaps: number;
  /** PUBACKs the firmware ignored (its message had left the queue). */
  ignored: number;
  /** Readings the full queue dropped after CONNECTED. */
  dropped: number;
  proxy: Proxy["stats"];
}

/**
 * Console order between lines `from` and `to`: PUBLISHes logged while `WINDOW` were already
 * waiting for their PUBACK (a PUBACK the firmware ignores still ends the wait: the broker has
 * the message), and PUBACKs the firmware ignored as "for no message in flight".
 */
function consoleOrder(device: Device, from: number, to: number): { overlaps: number; ignored: number; dropped: number } {
  let open: string[] = [];
  let overlaps = 0;
  let ignored = 0;
  let dropped = 0;
  for (const { text } of device.lines.slice(from, to + 1)) {
    const sent = /\[mqtt\] PUBLISH #(\d+)/.exec(text);
    if (sent) {
      if (open.length >= WINDOW) overlaps++;
      open.push(sent[1]);
    }
    const acked = /\[mqtt\] PUBACK #(\d+)/.exec(text);
    if (acked) open = open.filter((id) => id !== acked[1]);
    if (/\[mqtt\] PUBACK #\d+ for no message in flight/.test(text)) ignored++;
    if (/\[app\] queue full: dropped/.test(text)) dropped++;
  }
  return { overlaps, ignored, dropped };
}

async function drain(device: Device, proxy: Proxy): Promise<Drained> {
  const full = await device.waitFor(new RegExp(`stored \\(${DRAIN_QUEUE} waiting\\)`), 0);
  proxy.reset();
  await proxy.open();
  // The firmware is backing off: it connects at its next retry (up to the backoff ceiling).
  const connected = await device.waitFor(/\[mqtt\] \S+ -> CONNECTED/, 90000, full.index);
  const deadline = Date.now() + 60000;
  let last: { at: number; index: number } | undefined;
  for (;;) {
    const delivered = device.lines.map((l, index) => ({ ...l, index })).filter((l) => l.index > connected.index && /\[app\] reading #\d+ delivered/.test(l.text));
    if (delivered.length >= DRAIN_QUEUE) {
      last = delivered[DRAIN_QUEUE - 1];
      break;
    }
    if (device.lines.slice(connected.index).some((l) => /-> BACKOFF/.test(l.text))) throw new Error(`${device.runtime}: connection lost during the drain`);
    if (Date.now() > deadline) throw new Error(`${device.runtime}: ${delivered.length} of ${DRAIN_QUEUE} delivered after 60 s`);
    await new Promise((r) => setTimeout(r, 10));
  }
  const ms = last.at - connected.at;
  return { runtime: device.runtime, rate: (DRAIN_QUEUE / ms) * 1000, ms, ...consoleOrder(device, connected.index, last.index), proxy: { ...proxy.stats } };
}

export interface DrainOptions {
  espruino?: string;
  broker: Broker;
  group?: string;
}

export async function benchDrain(o: DrainOptions): Promise<BenchRow[]> {
  const group = o.group;
  const proxies: Proxy[] = [];
  const devices: Device[] = [];
  const rows: BenchRow[] = [];
  try {
    const contenders: Array<{ where: string; start: (file: string) => Device }> = [];
    if (o.espruino) {
      const espruino = o.espruino;
      const version = espruinoVersion(espruino);
      contenders.push({ where: "Espruino", start: (file) => startEspruino(espruino, [file], mkdtempSync(join(tmpdir(), "bench-drain-")), `${version}, RAM`) });
    }
    contenders.push({ where: "host runtime", start: (file) => startHost(file, `host runtime (Node ${process.versions.node})`) });
    // One bundle per contender: each behind its own proxy port, with its own client id.
    const started = [];
    for (const [k, c] of contenders.entries()) {
      const proxy = await startProxy(o.broker.port);
      proxies.push(proxy);
      const file = join(mkdtempSync(join(tmpdir(), "bench-drain-build-")), "linux.js");
      await buildBundle(
        "linux",
        { MQTT_URL: `mqtt://127.0.0.1:${proxy.port}`, DEVICE_ID: `bench-drain-${k}`, PUBLISH_INTERVAL_MS: "100" },
        file,
      );
      started.push({ ...c, proxy, file });
    }
    const running = started.map((c) => {
      const device = c.start(c.file);
      devices.push(device);
      return { ...c, device };
    });
    // Fill all at once (about 22 s at one reading per 100 ms, 10% of reads failing), then drain one by one.
    await Promise.all(running.map((c) => c.device.waitFor(new RegExp(`stored \\(${DRAIN_QUEUE} waiting\\)`), 60000)));
    const results: Record<string, Drained> = {};
    for (const c of running) {
      results[c.where] = await drain(c.device, c.proxy);
      await c.device.kill();
      await c.proxy.close();
    }
    for (const where of ["Espruino", "host runtime"]) {
      const name = (what: string) => `${what}, ${where}`;
      const r = results[where];
      if (!r) {
        rows.push(missingRow(name(`drain ${DRAIN_QUEUE} queued readings`), "msg/s", "", "needs ESPRUINO", group));
        rows.push(missingRow(name("PUBLISHes in flight at once (proxy)"), "", `<= ${WINDOW}`, "needs ESPRUINO", group));
        rows.push(missingRow(name("PUBLISH bytes sent between PUBACKs (proxy)"), "B", "", "needs ESPRUINO", group));
        rows.push(missingRow(name("PUBLISH before the last PUBACK (console)"), "", "0", "needs ESPRUINO", group));
        continue;
      }
      const runtime = `${r.runtime}, ${o.broker.name} via proxy`;
      rows.push({ group, name: name(`drain ${DRAIN_QUEUE} queued readings`), value: r.rate, unit: "msg/s", target: "", runtime, note: `${Math.round(r.ms)} ms from CONNECTED to the ${DRAIN_QUEUE}th delivered` });
      rows.push({ group, name: name("PUBLISHes in flight at once (proxy)"), value: r.proxy.maxInFlight, unit: "", target: `<= ${WINDOW}`, ok: r.proxy.maxInFlight <= WINDOW, runtime });
      rows.push({
        group,
        name: name("PUBLISH bytes sent between PUBACKs (proxy)"),
        value: r.proxy.maxBytesBetweenAcks,
        unit: "B",
        target: `<= ${WINDOW} PUBLISH (${r.proxy.maxPublishBytes} B)`,
        ok: r.proxy.maxBytesBetweenAcks <= WINDOW * r.proxy.maxPublishBytes,
        runtime,
        note: `${r.proxy.publishes} PUBLISHes, ${r.proxy.pubacks} PUBACKs seen`,
      });
      rows.push({
        group,
        name: name("PUBLISH before the last PUBACK (console)"),
        value: r.overlaps,
        unit: "",
        target: "0",
        ok: r.overlaps === 0,
        runtime,
        note: r.overlaps || r.ignored ? `${r.ignored} PUBACK ignored "for no message in flight"; ${r.dropped} oldest reading dropped by the full queue after CONNECTED` : undefined,
      });
    }
  } finally {
    for (const d of devices) await d.kill();
    for (const p of proxies) await p.close();
  }
  return rows;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const broker = await startBroker();
  try {
    console.log(formatRows(await benchDrain({ espruino: process.env.ESPRUINO, broker })));
  } finally {
    await broker.stop();
  }
  process.exit(0);
}
