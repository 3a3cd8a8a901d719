/**
 * Figure 9: JsVars connected, from flash, on the fixed 2,500-JsVar build (what an ESP32 leaves
 * with Wi-Fi on), with Home Assistant discovery, diagnostics and the set topic on (the default),
 * and with parts of them off in the same run: the peer is the same firmware less a feature, so
 * the difference is that feature's cost. Target: at most 1,000 with everything on.
 *
 *   ESPRUINO_SMALL=/path/to/espruino_small npx tsx tools/bench/features-memory.ts
 *
 * Each figure is process.memory().usage minus .history, read from a timer, SETTLE_MS after the
 * session's CONNECTED line, when the status, discovery config and diagnostics are acknowledged
 * (loopback). LOG_LEVEL=info and a reading interval of an hour: no reading in RAM.
 */
import type { Broker } from "./broker";
import { espruinoVersion } from "../espruino-binary";
import { bootDirectory, jsVarsAfter, OUT_OF_MEMORY, startEspruino } from "./device";
import { missingRow, type BenchRow } from "./table";
import { buildLinuxBundle, runAlone } from "./shared";

const SETTLE_MS = 2000;
export const FEATURES_TARGET_JSVARS = 1000;

const VARIANTS: Array<{ name: string; settings: Record<string, string> }> = [
  { name: "everything on (discovery, diagnostics every 5 min, set topic)", settings: {} },
  { name: "HA_DISCOVERY=off", settings: { HA_DISCOVERY: "off" } },
  { name: "HA_DISCOVERY=off, DIAGNOSTICS_MS=0", settings: { HA_DISCOVERY: "off", DIAGNOSTICS_MS: "0" } },
];

async function measure(
  espruino: string,
  broker: Broker,
  settings: Record<string, string>,
): Promise<{ used: number; free: number; lines: string[] }> {
  const { code } = await buildLinuxBundle(broker.port, "bench-features", {
    PUBLISH_INTERVAL_MS: "3600000",
    LOG_LEVEL: "info",
    ...settings,
  });
  const device = startEspruino(espruino, undefined, await bootDirectory(espruino, code), "features");
  try {
    await device.waitFor(/-> CONNECTED/, 15000);
    const m = await jsVarsAfter(device, SETTLE_MS);
    const lines = device.lines.map((l) => l.text);
    if (lines.some((t) => OUT_OF_MEMORY.test(t) || /-> BACKOFF/.test(t)))
      throw new Error("the firmware ran short or lost its connection:\n" + lines.join("\n"));
    return { used: m.used, free: m.free, lines };
  } finally {
    await device.kill();
  }
}

export async function benchFeaturesMemory(o: { small?: string; broker: Broker }): Promise<BenchRow[]> {
  const names = VARIANTS.map((v) => "2,500-JsVar build, connected: " + v.name);
  if (!o.small) return names.map((n) => missingRow(n, "JsVars", "", "needs ESPRUINO_SMALL"));
  const runtime = espruinoVersion(o.small) + ", ESPRUINO_SMALL, from flash (.bootcde)";
  const got: number[] = [];
  const rows: BenchRow[] = [];
  for (let i = 0; i < VARIANTS.length; i++) {
    const r = await measure(o.small, o.broker, VARIANTS[i].settings);
    got.push(r.used);
    const ok = i === 0 ? r.used <= FEATURES_TARGET_JSVARS : undefined;
    rows.push({
      name: names[i],
      value: r.used,
      unit: "JsVars",
      target: i === 0 ? `<= ${FEATURES_TARGET_JSVARS}` : "",
      ok,
      runtime: runtime + ` (${r.free} free)`,
    });
  }
  rows.push({
    name: "discovery's share (everything on - HA_DISCOVERY=off)",
    value: got[0] - got[1],
    unit: "JsVars",
    target: "",
    runtime,
  });
  rows.push({
    name: "periodic diagnostics' share (HA off - HA off and DIAGNOSTICS_MS=0)",
    value: got[1] - got[2],
    unit: "JsVars",
    target: "",
    runtime,
  });
  return rows;
}

await runAlone(import.meta.url, (broker) => benchFeaturesMemory({ small: process.env.ESPRUINO_SMALL, broker }));
