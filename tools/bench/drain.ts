/**
 * Figure 5: drain rate of the stored backlog after reconnect, QoS 1, beside Espruino's own MQTT
 * module publishing QoS 1 stop-and-wait on the same interpreter, to the same broker, in the same run.
 *
 * Ours: the `linux` bundle built at LOG_LEVEL=info (what ships: no line per packet), one reading
 * every 100 ms (the shortest interval the build accepts), starts with its broker unreachable (the
 * bench's TCP proxy refuses connections) until the console says `stored (N waiting)`; then the
 * proxy opens onto the broker, and the figure is N readings over the time from the CONNACK to the
 * Nth PUBACK of a reading, both seen at the proxy (so no console line is needed: an info build
 * has none per packet). The retained `online` status goes first and is not counted. Readings taken
 * during the drain queue behind the backlog.
 *
 * The peer: modules/MQTT.js of espruino/EspruinoDocs (ESPRUINO_MQTT_MODULE, a copy kept outside
 * this repository), minified with the build's terser settings, connects through its own proxy and
 * publishes N QoS 1 messages of the same topic shape and payload length, each after the previous
 * PUBACK (stop-and-wait: the firmware's in-flight window is 1 too); N over CONNACK to the Nth PUBACK.
 *
 * Also measured: the same bundle built at LOG_LEVEL=debug (three console lines per reading), and
 * the host runtime. The in-flight window (1) is checked at the proxy: PUBLISHes sent and not yet
 * acknowledged, and PUBLISH bytes between two PUBACKs.
 *
 * All contenders fill their stores at once (each behind its own proxy); the drains and the peer
 * run one after the other, with nothing else measured meanwhile.
 *
 *   ESPRUINO=/path/to/espruino [ESPRUINO_MQTT_MODULE=/path/to/MQTT.js] npx tsx tools/bench/drain.ts
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { IN_FLIGHT_WINDOW } from "../build/firmware-config";
import type { Broker } from "./broker";
import { startTcpProxy, type TcpProxy } from "../support/tcp-proxy";
import { espruinoVersion } from "../espruino-binary";
import { HOST_RUNTIME, newestSeq, startEspruino, startHost, type Device } from "./device";
import { measureDrainCost } from "./drain-cost";
import { mqttModuleScript } from "./mqtt-module";
import { missingRow, type BenchRow } from "./table";
import { buildLinuxBundle, readingAcks, runAlone, tempDir, type BenchOptions } from "./shared";

/** Readings in the backlog at reconnect (about 111 s of filling at 100 ms, 10 % of reads failing). */
export const DRAIN_BACKLOG = Number(process.env.BENCH_DRAIN_BACKLOG || 1000);
/** The firmware's in-flight window (tools/build/firmware-config.ts). */
const WINDOW = IN_FLIGHT_WINDOW;
/** A Wi-Fi link's round trip to a broker on the local network, ms: what a board drains across. */
export const WIFI_ROUND_TRIP_MS = 20;

interface Drained {
  label: string;
  runtime: string;
  rate: number;
  ms: number;
  proxy: TcpProxy["stats"];
  /** Mean ms from a PUBACK crossing the proxy to the client's next PUBLISH (the client's own time per message). */
  turnaroundMs: number;
  /** Mean ms from a PUBLISH crossing the proxy to its PUBACK (proxy, broker, loopback). */
  brokerMs: number;
  /** Console bytes (lines and their CR LF) printed per drained reading, CONNACK to the Nth PUBACK. */
  consoleBytes: number;
  /** Host runtime: Storage wear from start (boot, the outage, the drain). */
  wear?: { bytesWritten: number; pagesErased: number; readings: number };
}

/**
 * The client's and the broker's legs, from the proxy's timestamps: each PUBACK to the first PUBLISH
 * after it (the client's turnaround), and each PUBLISH to its PUBACK (the broker acknowledges in order).
 */
function legs(stats: TcpProxy["stats"], n: number): { turnaroundMs: number; brokerMs: number } {
  const count = Math.min(stats.sends.length, stats.acks.length, n);
  let turnaround = 0;
  let turns = 0;
  let broker = 0;
  for (let i = 0; i < count; i++) broker += stats.acks[i].at - stats.sends[i];
  for (let i = 0, j = 0; i + 1 < count; i++) {
    while (j < stats.sends.length && stats.sends[j] < stats.acks[i].at) j++;
    if (j >= stats.sends.length) break;
    turnaround += stats.sends[j] - stats.acks[i].at;
    turns++;
  }
  return { turnaroundMs: turnaround / Math.max(1, turns), brokerMs: broker / Math.max(1, count) };
}

/** N over the time from the first CONNACK to the Nth PUBACK of a reading, at the proxy. */
async function untilAcked(proxy: TcpProxy, n: number, label: string, alive: () => void): Promise<{ ms: number }> {
  const deadline = performance.now() + 120000 + n * 50;
  for (;;) {
    const s = proxy.stats;
    const acks = readingAcks(s);
    if (s.connacks.length && acks.length >= n) return { ms: acks[n - 1].at - s.connacks[0] };
    alive();
    if (performance.now() > deadline)
      throw new Error(`${label}: ${acks.length} of ${n} acknowledged in time (${s.connacks.length} CONNACKs)`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

async function drainOurs(label: string, device: Device, proxy: TcpProxy, n: number): Promise<Drained> {
  await device.waitFor(new RegExp(`stored \\(${n} waiting\\)`), 0);
  proxy.reset();
  const from = device.lines.length;
  await proxy.open();
  const { ms } = await untilAcked(proxy, n, label, () => {
    if (proxy.stats.connacks.length > 1 || device.lines.slice(from).some((l) => /\sCONNECTED -> /.test(l.text)))
      throw new Error(`${label}: connection lost during the drain`);
  });
  const stats = { ...proxy.stats };
  const t0 = stats.connacks[0];
  const t1 = t0 + ms;
  const consoleBytes =
    device.lines.filter((l) => l.at >= t0 && l.at <= t1).reduce((sum, l) => sum + l.text.length + 2, 0) / n;
  let wear: Drained["wear"];
  if (device.flashStats) {
    const w = device.flashStats();
    wear = { bytesWritten: w.bytesWritten, pagesErased: w.pagesErased, readings: newestSeq(device.lines) };
  }
  return {
    label,
    runtime: device.runtime,
    rate: (n / ms) * 1000,
    ms,
    proxy: stats,
    ...legs(stats, n + 1),
    consoleBytes,
    wear,
  };
}

/** The MQTT module: connect, then `n` QoS 1 PUBLISHes, each sent when the previous one's PUBACK came. */
export async function peerDrainProgram(
  modulePath: string,
  port: number,
  n: number,
  payloadLength: number,
): Promise<string> {
  // The payload of a stored reading, padded to the firmware's length (same bytes on the wire).
  const head = `{"device":"bench-drain-peer","seq":`;
  const tail = `,"temperature":21.5,"uptime":12,"boot":1,"time":1767225600}`;
  const pad = Math.max(0, payloadLength - head.length - tail.length - String(n).length);
  return mqttModuleScript(
    modulePath,
    port,
    "bench-drain-peer",
    `var n=0,N=${n},PAD=${JSON.stringify(" ".repeat(pad))};\n` +
      `function pub(){n++;mqtt.publish("sensors/bench-drain-peer/temperature",${JSON.stringify(head)}+n+PAD+${JSON.stringify(tail)},{qos:1})}\n` +
      `mqtt.on("connected",function(){console.log("[peer] connected");pub()});\n` +
      `mqtt.on("puback",function(){if(n<N)pub();else console.log("[peer] done "+n)});\n` +
      `mqtt.on("disconnected",function(){console.log("[peer] disconnected")});\n` +
      `setTimeout(function(){mqtt.connect()},200);\n`,
    { keep_alive: 30 },
  );
}

async function drainPeer(
  espruino: string,
  version: string,
  modulePath: string,
  broker: Broker,
  n: number,
  payloadLength: number,
  roundTripMs = 0,
): Promise<Drained> {
  const proxy = await startTcpProxy(broker.port, { roundTripMs, listening: false, timeline: true });
  await proxy.open();
  const dir = tempDir("bench-drain-peer-");
  const file = join(dir, "peer.js");
  writeFileSync(file, await peerDrainProgram(modulePath, proxy.port, n, payloadLength));
  const device = startEspruino(espruino, file, dir, `${version}, RAM`);
  try {
    const { ms } = await untilAcked(proxy, n, "MQTT module", () => {
      if (device.lines.some((l) => /\[peer\] disconnected|Uncaught/.test(l.text)))
        throw new Error(
          "MQTT module: " +
            device.lines
              .slice(-5)
              .map((l) => l.text)
              .join(" / "),
        );
    });
    return {
      label: "Espruino MQTT module, stop-and-wait",
      runtime: device.runtime,
      rate: (n / ms) * 1000,
      ms,
      proxy: { ...proxy.stats },
      ...legs(proxy.stats, n),
      consoleBytes: 0,
    };
  } finally {
    await device.kill();
    await proxy.close();
  }
}

/** Bytes of a reading's payload as the firmware sends it at seq `seq` (the bench's device id). */
function payloadLengthOf(deviceId: string, seq: number): number {
  return JSON.stringify({ device: deviceId, seq, temperature: 21.5, uptime: 12, boot: 1, time: 1767225600 }).length;
}

export interface DrainOptions extends BenchOptions {
  mqttModule?: string;
  backlog?: number;
}

export async function benchDrain(o: DrainOptions): Promise<BenchRow[]> {
  const group = o.group;
  const n = o.backlog ?? DRAIN_BACKLOG;
  const proxies: TcpProxy[] = [];
  const devices: Device[] = [];
  const rows: BenchRow[] = [];
  const version = o.espruino ? espruinoVersion(o.espruino) : "";
  const names = {
    ours: `drain ${n} stored readings, LOG_LEVEL=info, Espruino`,
    debug: `drain ${n} stored readings, LOG_LEVEL=debug, Espruino`,
    peer: `Espruino MQTT module, ${n} QoS 1 PUBLISHes stop-and-wait`,
    ratio: "ratio drain / MQTT module, Espruino",
    wifi: `drain ${n} stored readings, LOG_LEVEL=info, Espruino, ${WIFI_ROUND_TRIP_MS} ms round trip`,
    peerWifi: `Espruino MQTT module, ${n} QoS 1 PUBLISHes stop-and-wait, ${WIFI_ROUND_TRIP_MS} ms round trip`,
    ratioWifi: `ratio drain / MQTT module, Espruino, ${WIFI_ROUND_TRIP_MS} ms round trip`,
    host: `drain ${n} stored readings, LOG_LEVEL=info, host runtime`,
  };
  try {
    interface Contender {
      key: "ours" | "debug" | "host" | "wifi";
      logLevel: string;
      start: (file: string) => Device;
      roundTripMs?: number;
    }
    const contenders: Contender[] = [];
    if (o.espruino) {
      const espruino = o.espruino;
      const onEspruino = (file: string) => startEspruino(espruino, file, tempDir("bench-drain-"), `${version}, RAM`);
      contenders.push({ key: "ours", logLevel: "info", start: onEspruino });
      contenders.push({ key: "debug", logLevel: "debug", start: onEspruino });
      contenders.push({ key: "wifi", logLevel: "info", start: onEspruino, roundTripMs: WIFI_ROUND_TRIP_MS });
    }
    contenders.push({
      key: "host",
      logLevel: "info",
      start: (file) => startHost(file, `${HOST_RUNTIME}, linux Storage layout`),
    });
    // One bundle per contender: each behind its own proxy port, with its own client id.
    const running = [];
    for (const [k, c] of contenders.entries()) {
      const proxy = await startTcpProxy(o.broker.port, {
        roundTripMs: c.roundTripMs,
        listening: false,
        timeline: true,
      });
      proxies.push(proxy);
      const { file } = await buildLinuxBundle(proxy.port, `bench-drain-${k}`, {
        PUBLISH_INTERVAL_MS: "100",
        RECONNECT_MAX_MS: "1000",
        LOG_LEVEL: c.logLevel,
      });
      const device = c.start(file);
      devices.push(device);
      running.push({ ...c, proxy, device, deviceId: `bench-drain-${k}` });
    }
    // Fill all at once, then drain one by one.
    await Promise.all(running.map((c) => c.device.waitFor(new RegExp(`stored \\(${n} waiting\\)`), 60000 + n * 200)));
    const results: Partial<Record<Contender["key"] | "peer" | "peerWifi", Drained>> = {};
    for (const c of running) {
      results[c.key] = await drainOurs(names[c.key], c.device, c.proxy, n);
      await c.device.kill();
      await c.proxy.close();
    }
    if (o.espruino && o.mqttModule) {
      const payloadLength = payloadLengthOf("bench-drain-ours", n);
      results.peer = await drainPeer(o.espruino, version, o.mqttModule, o.broker, n, payloadLength);
      results.peerWifi = await drainPeer(
        o.espruino,
        version,
        o.mqttModule,
        o.broker,
        n,
        payloadLength,
        WIFI_ROUND_TRIP_MS,
      );
    }

    const via = `${o.broker.name} via proxy`;
    const rateRow = (key: "ours" | "debug" | "host" | "peer" | "wifi" | "peerWifi", name: string) => {
      const r = results[key];
      if (!r)
        return rows.push(
          missingRow(
            name,
            "msg/s",
            "",
            key.startsWith("peer") && o.espruino ? "needs ESPRUINO_MQTT_MODULE" : "needs ESPRUINO",
            group,
          ),
        );
      return rows.push({
        group,
        name,
        value: r.rate,
        unit: "msg/s",
        target: "",
        runtime: `${r.runtime}, ${via}`,
        note: `${Math.round(r.ms)} ms from CONNACK to the ${n}th PUBACK`,
      });
    };
    const ratioRow = (ours: "ours" | "wifi", peer: "peer" | "peerWifi", name: string) => {
      const a = results[ours];
      const b = results[peer];
      if (!a || !b)
        return rows.push(
          missingRow(name, "x", ">= 1.0", o.espruino ? "needs ESPRUINO_MQTT_MODULE" : "needs ESPRUINO", group),
        );
      const ratio = a.rate / b.rate;
      return rows.push({
        group,
        name,
        value: ratio,
        unit: "x",
        target: ">= 1.0",
        ok: ratio >= 1,
        runtime: `${a.runtime}, same run, same broker`,
      });
    };
    rateRow("ours", names.ours);
    rateRow("peer", names.peer);
    ratioRow("ours", "peer", names.ratio);
    rateRow("wifi", names.wifi);
    rateRow("peerWifi", names.peerWifi);
    ratioRow("wifi", "peerWifi", names.ratioWifi);
    rateRow("debug", names.debug);
    rateRow("host", names.host);
    const legLabel = {
      ours: "drain, LOG_LEVEL=info, Espruino",
      peer: "MQTT module, Espruino",
      debug: "drain, LOG_LEVEL=debug, Espruino",
      host: "drain, host runtime",
    } as const;
    for (const key of ["ours", "peer", "debug", "host"] as const) {
      const r = results[key];
      if (!r) continue;
      rows.push({
        group,
        name: `client's time per message (PUBACK in -> next PUBLISH out), ${legLabel[key]}`,
        value: r.turnaroundMs,
        unit: "ms",
        target: "",
        runtime: `${r.runtime}, at the proxy, mean`,
      });
      rows.push({
        group,
        name: `broker's time per message (PUBLISH -> PUBACK), ${legLabel[key]}`,
        value: r.brokerMs,
        unit: "ms",
        target: "",
        runtime: `${via}, mean`,
      });
    }
    for (const key of ["ours", "host"] as const) {
      const r = results[key];
      const where = key === "ours" ? "Espruino" : "host runtime";
      if (!r) {
        rows.push(
          missingRow(`PUBLISHes in flight at once (proxy), ${where}`, "", `<= ${WINDOW}`, "needs ESPRUINO", group),
        );
        continue;
      }
      const runtime = `${r.runtime}, ${via}`;
      rows.push({
        group,
        name: `PUBLISHes in flight at once (proxy), ${where}`,
        value: r.proxy.maxInFlight,
        unit: "",
        target: `<= ${WINDOW}`,
        ok: r.proxy.maxInFlight <= WINDOW,
        runtime,
      });
      rows.push({
        group,
        name: `PUBLISH bytes sent between PUBACKs (proxy), ${where}`,
        value: r.proxy.maxBytesBetweenAcks,
        unit: "B",
        target: `<= ${WINDOW} PUBLISH (${r.proxy.maxPublishBytes} B)`,
        ok: r.proxy.maxBytesBetweenAcks <= WINDOW * r.proxy.maxPublishBytes,
        runtime,
        note: `${r.proxy.publishes} PUBLISHes, ${r.proxy.pubacks} PUBACKs seen`,
      });
    }
    const w = results.host?.wear;
    if (w && w.readings) {
      const note = `whole run: boot, ${w.readings} readings stored through the outage, ${n} drained`;
      rows.push({
        group,
        name: "firmware's flash writes per 1,000 readings, outage + drain, host runtime",
        value: Math.round((w.bytesWritten / w.readings) * 1000),
        unit: "B",
        target: "",
        runtime: results.host!.runtime,
        note,
      });
      rows.push({
        group,
        name: "firmware's pages erased per 1,000 readings, outage + drain, host runtime",
        value: Math.round((w.pagesErased / w.readings) * 100000) / 100,
        unit: "pages",
        target: "",
        runtime: results.host!.runtime,
        note: "no compaction in so short a run: see the flash wear figures",
      });
    }
    for (const key of ["ours", "debug"] as const) {
      const r = results[key];
      if (!r) continue;
      const baud = (r.consoleBytes * 10 * 1000) / 115200;
      rows.push({
        group,
        name: `console bytes per drained reading, ${legLabel[key]}`,
        value: Math.round(r.consoleBytes),
        unit: "B",
        target: "",
        runtime: r.runtime,
        note: `${baud.toFixed(1)} ms a reading on a 115200-baud serial console (10 bits a byte)`,
      });
    }
    // Where the time goes, when the drain is slower than the peer (and whenever both are measured).
    if (o.espruino && results.ours) {
      let c: Awaited<ReturnType<typeof measureDrainCost>> | undefined;
      try {
        c = await measureDrainCost(o.espruino);
      } catch (e) {
        // The drain's figures stand without the breakdown.
        rows.push(
          missingRow(
            "where a drained reading's time goes (drain-cost.ts)",
            "ms",
            "",
            `FAILED: ${String((e as Error).message ?? e).split("\n")[0]}`,
            group,
          ),
        );
      }
      if (c) {
        const runtime = `${version}, RAM, fastest of 3 runs`;
        const row = (name: string, value: number, note?: string) =>
          rows.push({ group, name, value, unit: "ms", target: "", runtime, note });
        row(
          "per reading: session + delivery + store, no socket (src/ as built, Storage)",
          c.pipelineMs,
          `measured turnaround at the proxy: ${results.ours.turnaroundMs.toFixed(1)} ms`,
        );
        row(
          "per reading: the store alone, next + sent + delivered, on Storage",
          c.storeDrainMs,
          `${c.storageCallsPerReading.read.toFixed(1)} Storage.read + ${c.storageCallsPerReading.write.toFixed(1)} Storage.write a reading`,
        );
        row("per reading: the store alone, on a flash kept in RAM (JavaScript)", c.storeDrainRamMs);
        row("per reading: storing it while offline (append), on Storage", c.storeAppendMs);
        row(
          "publish()'s topic checks (topicNameError + isUtf8), now once per topic",
          c.topicCheckMs,
          "once per topic, not per message: the topic is fixed at build time",
        );
        row(
          "a PUBLISH by serializePublish + E.toString (a loop per byte: the codec's, not the session's)",
          c.serializeMs,
        );
        row("per message: the PUBLISH by publishText (native concatenation: the session's)", c.concatPublishMs);
        row("per message: PUBACK through the stream decoder", c.decodeAckMs);
        row("per message: the payload text (readingPayload)", c.payloadMs);
        row("one Storage.read of 1 byte / of 20 bytes", c.readMs, `20 bytes: ${c.readRecordMs.toFixed(3)} ms`);
        row("one Storage.write of 1 byte", c.writeMs);
      }
    }
  } finally {
    for (const d of devices) await d.kill();
    for (const p of proxies) await p.close();
  }
  return rows;
}

await runAlone(import.meta.url, (broker) =>
  benchDrain({ espruino: process.env.ESPRUINO, mqttModule: process.env.ESPRUINO_MQTT_MODULE, broker }),
);
