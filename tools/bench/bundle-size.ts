/**
 * Figure 1: bundle bytes per board, minified as the build makes it (and gzipped, for scale),
 * built with the test suite's placeholder settings (test/build.env).
 *
 *   npx tsx tools/bench/bundle-size.ts
 *
 * Target (retired, kept as a regression figure): the esp32 bundle, everything included, at most 12 KB.
 */
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { buildBundle } from "../build/build-bundle";
import { boardNames } from "../build/boards";
import type { BenchRow } from "./table";
import { printAlone, tempDir } from "./shared";

export const ESP32_TARGET_BYTES = 12288;

/** The placeholders of test/build.env: the esp32 bundle is only measured, never run. */
export const PLACEHOLDER_SETTINGS = {
  MQTT_URL: "mqtt://192.0.2.10:1883",
  DEVICE_ID: "test-device",
  WIFI_SSID: "test-network",
  WIFI_PASSWORD: "test-password",
};

export async function benchBundleSize(group?: string): Promise<BenchRow[]> {
  const dir = tempDir("bench-bundle-");
  const rows: BenchRow[] = [];
  for (const board of boardNames()) {
    const code = await buildBundle(board, PLACEHOLDER_SETTINGS, join(dir, `${board}.js`));
    const bytes = Buffer.byteLength(code, "latin1");
    const gzip = gzipSync(code, { level: 9 }).length;
    const targeted = board === "esp32";
    rows.push({
      group,
      name: `${board} bundle, minified`,
      value: bytes,
      unit: "B",
      target: targeted ? `<= ${ESP32_TARGET_BYTES}` : "",
      ok: targeted ? bytes <= ESP32_TARGET_BYTES : undefined,
      runtime: "build: rollup + terser",
    });
    rows.push({
      group,
      name: `${board} bundle, minified + gzip -9`,
      value: gzip,
      unit: "B",
      target: "",
      runtime: "build: rollup + terser",
    });
  }
  return rows;
}

await printAlone(import.meta.url, () => benchBundleSize());
