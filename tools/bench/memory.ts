/**
 * Figure 2: JsVars of the whole `linux` firmware on Espruino's real Linux interpreter, after load
 * (started, no broker: backing off, no socket) and connected with the store empty (the `online`
 * status acknowledged, seen at the bench's proxy: the bundle is built at LOG_LEVEL=info, which
 * logs no packet; a reading interval of an hour, so none is taken), with the bundle run from RAM (`espruino
 * bundle.js`) and from flash (written to Storage as `.bootcde`, booted by starting the
 * interpreter without a script). The peer: Espruino's own MQTT module (modules/MQTT.js of
 * espruino/EspruinoDocs), minified with the build's terser settings and connected to the same
 * broker the same way, when ESPRUINO_MQTT_MODULE names a copy of it (its code is never part of
 * this repository, nor downloaded here); otherwise a reference figure measured once, labelled as such.
 *
 *   ESPRUINO=/path/to/espruino [ESPRUINO_MQTT_MODULE=/path/to/MQTT.js] npx tsx tools/bench/memory.ts
 *
 * Every figure is process.memory().usage minus .history (the console's history holds the probe
 * line), read from a timer 300 ms after the console line that marks the state. Target (retired, kept as a figure):
 * our firmware connected uses no more JsVars than the MQTT module alone connected (ratio <= 1.0).
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { startTcpProxy, type TcpProxy } from "../support/tcp-proxy";
import { espruinoVersion } from "../espruino-binary";
import { bootDirectory, jsVarsAfter, SETTLE_MS, startEspruino, type EspruinoDevice } from "./device";
import { mqttModuleScript } from "./mqtt-module";
import { missingRow, type BenchRow } from "./table";
import { buildLinuxBundle, runAlone, tempDir, type BenchOptions } from "./shared";

/** modules/MQTT.js, minified, connected, on Espruino 2v29 for Linux, measured once. */
export const MQTT_MODULE_REFERENCE_JSVARS = 607;
export const MQTT_MODULE_REFERENCE_AFTER_LOAD = 445;
/** The peer connects this long after load, so its after-load figure is read before. */
const PEER_CONNECT_AFTER_MS = 1500;

type Mode = "RAM" | "flash";
interface Program {
  label: string;
  /** Script text to run. */
  code: string;
  /** Console lines that mark each state. */
  loaded: RegExp;
  connected: RegExp;
  /** Extra wait after `connected`, until the state is steady (our queue empty). */
  settle?: (device: EspruinoDevice, from: number) => Promise<void>;
}

/**
 * Waits until the broker has acknowledged the retained `online` status (the first PUBACK through
 * the proxy), and the session is still connected. The firmware is built at LOG_LEVEL=info, which
 * has no console line per packet, so the proxy is the witness. Its reading interval is an hour and
 * the simulated sensor fails its first read: no reading is stored or sent while measured.
 */
function statusAcknowledged(proxy: TcpProxy) {
  return async (device: EspruinoDevice, from: number): Promise<void> => {
    const deadline = Date.now() + 10000;
    for (;;) {
      const text = device.lines.slice(from).map((l) => l.text);
      if (text.some((t) => /-> BACKOFF/.test(t)))
        throw new Error("the firmware lost its connection while measured:\n" + text.join("\n"));
      if (proxy.stats.pubacks >= 1) return;
      if (Date.now() > deadline) throw new Error("no PUBACK of the online status after 10 s");
      await new Promise((r) => setTimeout(r, 20));
    }
  };
}

/** One run: start, wait for `marker`, settle, read memory, kill. */
async function measureOnce(
  espruino: string,
  program: Program,
  mode: Mode,
  flashDir: string | undefined,
  file: string,
  marker: RegExp,
  settle?: Program["settle"],
): Promise<number> {
  const device =
    mode === "RAM"
      ? startEspruino(espruino, file, tempDir("bench-ram-"), program.label)
      : startEspruino(espruino, undefined, flashDir!, program.label);
  try {
    const line = await device.waitFor(marker, 15000);
    if (settle) await settle(device, line.index);
    return (await jsVarsAfter(device, SETTLE_MS)).used;
  } finally {
    await device.kill();
  }
}

async function measureProgram(
  espruino: string,
  program: Program,
  proxy: TcpProxy,
): Promise<Record<Mode, { loaded: number; connected: number }>> {
  const dir = tempDir("bench-mem-");
  const file = join(dir, "program.js");
  writeFileSync(file, program.code);
  const flashDir = await bootDirectory(espruino, program.code);
  const out = {} as Record<Mode, { loaded: number; connected: number }>;
  for (const mode of ["RAM", "flash"] as Mode[]) {
    await proxy.close();
    const loaded = await measureOnce(espruino, program, mode, flashDir, file, program.loaded);
    proxy.reset();
    await proxy.open();
    const connected = await measureOnce(espruino, program, mode, flashDir, file, program.connected, program.settle);
    await proxy.close();
    out[mode] = { loaded, connected };
  }
  return out;
}

/** The MQTT module, loaded as Espruino loads a module (a function of `exports`), connected like the firmware. */
export async function peerProgram(modulePath: string, port: number): Promise<Program> {
  const code = await mqttModuleScript(
    modulePath,
    port,
    "bench-peer",
    `mqtt.on("connected",function(){console.log("[peer] connected")});\n` +
      // After load: read before connect() is called (a script with nothing pending ends the
      // interpreter, so a failed connect cannot be the marker as it is for the firmware).
      `setTimeout(function(){console.log("[peer] loaded")},0);\n` +
      `setTimeout(function(){mqtt.connect()},${PEER_CONNECT_AFTER_MS});\n`,
  );
  return { label: "MQTT module", code, loaded: /\[peer\] loaded/, connected: /\[peer\] connected/ };
}

export interface MemoryOptions extends BenchOptions {
  mqttModule?: string;
}

export async function benchMemory(o: MemoryOptions): Promise<BenchRow[]> {
  const group = o.group;
  const rows: BenchRow[] = [];
  const names = {
    loaded: (mode: Mode) => `linux firmware after load (no broker), ${mode}`,
    connected: (mode: Mode) => `linux firmware connected, store empty, ${mode}`,
    peerLoaded: (mode: Mode) => `Espruino MQTT module after load, ${mode}`,
    peerConnected: (mode: Mode) => `Espruino MQTT module connected, ${mode}`,
    ratio: (mode: Mode) => `ratio firmware/MQTT module connected, ${mode}`,
  };
  const jsVarsRow = (name: string, value: number, runtime: string, note?: string) =>
    rows.push({ group, name, value, unit: "JsVars", target: "", runtime, ...(note && { note }) });
  const referenceRows = (): void => {
    const note = "reference: 2v29 Linux, minified; not measured: set ESPRUINO_MQTT_MODULE";
    jsVarsRow(names.peerLoaded("RAM"), MQTT_MODULE_REFERENCE_AFTER_LOAD, "reference", note);
    jsVarsRow(names.peerConnected("RAM"), MQTT_MODULE_REFERENCE_JSVARS, "reference", note);
  };
  if (!o.espruino) {
    rows.push(missingRow("interpreter alone (same probe)", "JsVars", "", "needs ESPRUINO", group));
    for (const mode of ["RAM", "flash"] as Mode[]) {
      rows.push(missingRow(names.loaded(mode), "JsVars", "", "needs ESPRUINO", group));
      rows.push(missingRow(names.connected(mode), "JsVars", "", "needs ESPRUINO", group));
    }
    if (o.mqttModule) {
      for (const mode of ["RAM", "flash"] as Mode[]) {
        rows.push(missingRow(names.peerLoaded(mode), "JsVars", "", "needs ESPRUINO", group));
        rows.push(missingRow(names.peerConnected(mode), "JsVars", "", "needs ESPRUINO", group));
      }
    } else referenceRows();
    for (const mode of ["RAM", "flash"] as Mode[])
      rows.push(missingRow(names.ratio(mode), "x", "<= 1.0", "needs ESPRUINO", group));
    return rows;
  }

  const version = espruinoVersion(o.espruino);
  const runtime = (mode: Mode) =>
    `${version}, ${mode === "RAM" ? "RAM (espruino file.js)" : "flash (.bootcde, run at boot)"}`;
  const ratioRow = (mode: Mode, ratio: number, note?: string) =>
    rows.push({
      group,
      name: names.ratio(mode),
      value: ratio,
      unit: "x",
      target: "<= 1.0",
      ok: ratio <= 1,
      runtime: runtime(mode),
      ...(note && { note }),
    });
  const proxy = await startTcpProxy(o.broker.port, { listening: false });
  try {
    // The interpreter alone, read the same way: what every figure below includes.
    const idle = startEspruino(o.espruino, undefined, tempDir("bench-idle-"), "interpreter");
    let baseline: number;
    try {
      await idle.waitFor(/espruino\.com/, 5000);
      baseline = (await jsVarsAfter(idle, SETTLE_MS)).used;
    } finally {
      await idle.kill();
    }
    jsVarsRow("interpreter alone (same probe)", baseline, version);

    const { code } = await buildLinuxBundle(proxy.port, "bench-memory", {
      PUBLISH_INTERVAL_MS: "3600000",
      LOG_LEVEL: "info",
    });
    const ours = await measureProgram(
      o.espruino,
      {
        label: "firmware",
        code,
        loaded: /\[mqtt\] retry in/,
        connected: /\[mqtt\] \S+ -> CONNECTED/,
        settle: statusAcknowledged(proxy),
      },
      proxy,
    );
    for (const mode of ["RAM", "flash"] as Mode[]) {
      jsVarsRow(names.loaded(mode), ours[mode].loaded, runtime(mode));
      jsVarsRow(names.connected(mode), ours[mode].connected, runtime(mode));
    }
    if (o.mqttModule) {
      const theirs = await measureProgram(o.espruino, await peerProgram(o.mqttModule, proxy.port), proxy);
      for (const mode of ["RAM", "flash"] as Mode[]) {
        jsVarsRow(names.peerLoaded(mode), theirs[mode].loaded, runtime(mode));
        jsVarsRow(names.peerConnected(mode), theirs[mode].connected, runtime(mode));
      }
      for (const mode of ["RAM", "flash"] as Mode[]) {
        ratioRow(mode, ours[mode].connected / theirs[mode].connected);
      }
    } else {
      referenceRows();
      ratioRow("RAM", ours.RAM.connected / MQTT_MODULE_REFERENCE_JSVARS, "against the reference figure");
      rows.push(missingRow(names.ratio("flash"), "x", "<= 1.0", "needs ESPRUINO_MQTT_MODULE", group));
    }
  } finally {
    await proxy.close();
  }
  return rows;
}

await runAlone(import.meta.url, (broker) =>
  benchMemory({ espruino: process.env.ESPRUINO, mqttModule: process.env.ESPRUINO_MQTT_MODULE, broker }),
);
