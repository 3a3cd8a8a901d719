/** A rollup plugin that gives the firmware its per-board modules: config, sensor driver, network link, deep sleep. */
import { resolve } from "node:path";
import type { Plugin } from "rollup";
import type { FirmwareConfig } from "../../firmware/config";
import { NETWORKS, SENSOR_DRIVERS, type Board } from "./boards";
import { asciiSource } from "./firmware-config";

const ROOT = new URL("../../", import.meta.url).pathname;

function constant(value: unknown): string {
  return value === undefined ? "undefined" : asciiSource(value);
}

/**
 * Each setting as an export of its own, not one object: the firmware reads them one by one
 * (`import * as config`), so the minifier inlines the numbers and strings where they are used,
 * and no object of every setting stays in RAM.
 */
function namedExports(o: object): string {
  return Object.entries(o)
    .map(([k, v]) => `export const ${k} = ${constant(v)};\n`)
    .join("");
}

export function boardModules(board: Board, config: FirmwareConfig): Plugin {
  // TLS as constants, and only there (certificates are kilobytes): a build without TLS then
  // drops the TLS code, as the minifier sees `undefined`.
  const { tls, tlsPoolGrowthVars, logLevel, sleepMs, awakeMaxMs, schedule, discovery, runtimeRules, ...device } = config;
  const modules: Record<string, string> = {
    "virtual:config": `${namedExports(device)}
export const tls = ${constant(tls)};
export const tlsPoolGrowthVars = ${constant(tlsPoolGrowthVars)};
export const sleepMs = ${constant(sleepMs)};
export const awakeMaxMs = ${constant(awakeMaxMs)};
export const schedule = ${constant(schedule)};
// Functions, so their text stays in the code (flash) until asked for.
export const discoveryTopic = ${discovery ? asciiSource(discovery.topic) : "undefined"};
export function discoveryPayload() { return ${discovery ? asciiSource(discovery.payload) : '""'}; }
export function runtimeRules() { return ${asciiSource(runtimeRules)}; }`,
    "virtual:sensor": `export { createSensor } from ${JSON.stringify(resolve(ROOT, SENSOR_DRIVERS[board.sensor.type].module))};`,
    "virtual:network": `export { ${NETWORKS[board.network]} as createNetwork } from ${JSON.stringify(resolve(ROOT, "firmware/network.ts"))};`,
    "virtual:sleep": `export { ${board.chip}Sleep as deepSleep } from ${JSON.stringify(resolve(ROOT, "firmware/sleep.ts"))};`,
  };
  return {
    name: "board-modules",
    resolveId: (id) => (id in modules ? "\0" + id : null),
    load: (id) => (id.startsWith("\0") && id.slice(1) in modules ? modules[id.slice(1)] : null),
  };
}
