/**
 * A board's RAM and flash budget, computed at build time from measured costs, like PlatformIO's
 * RAM/flash bars: what cannot fit is refused with the numbers, and what fits shows its margin.
 *
 * RAM, in JsVars (Espruino's unit of memory):
 * - the firmware, connected, run from flash (`.bootcde`): about 1,555 JsVars, measured on a fixed
 *   2,500-JsVar Espruino build (ESP32-like) with every feature on (figure 9, docs/benchmarks.md);
 *   readings wait in flash, not in RAM, so the backlog adds nothing;
 * - sent to RAM instead (`npm run flash -- --ram`): 852 more (2,368 against 1,516 from `.bootcde`,
 *   measured on Espruino 2v29's normal Linux build);
 * - TLS: the chip's `tlsJsVars` (mbedtls's two ~16 KB buffers, from JsVar memory).
 * Flash, in bytes of the board's Storage (`storageBytes`):
 * - the store: STORE_READINGS/186 rounded up, plus 1, segment files of 4,096 + 32 bytes;
 * - `.bootcde`: the bundle plus a 32-byte header (before the build, the board's `budgetBytes`);
 * - the boot counter: 256 + 32 bytes.
 */
import { CHIPS, type Board } from "./boards";
import type { Settings } from "./settings";
import { SEGMENT_FILE_BYTES, STORAGE_FILE_HEADER_BYTES, storeSegments } from "./store-size";

/** The firmware connected, run from flash, in JsVars (measured, fixed 2,500-JsVar build). */
export const FIRMWARE_JSVARS = 1126;
/** What running the bundle from RAM costs more than from `.bootcde` (measured on the normal Linux build, connected: 1,962 - 1,102). */
export const RAM_EXTRA_FROM_RAM_JSVARS = 860;
/** Two-way TLS: the client certificate and key held by mbedtls beside one-way TLS (measured on Linux: 3,390 - 3,105). */
export const CLIENT_CERT_JSVARS = 285;
const BOOT_COUNTER_BYTES = 256 + STORAGE_FILE_HEADER_BYTES;

export interface BudgetItem {
  label: string;
  /** JsVars (RAM) or bytes (flash). */
  bytes?: number;
  jsVars?: number;
}

export interface Budget {
  board: string;
  chip: string;
  ram: { used: number; total?: number; jsVarBytes?: number; items: BudgetItem[] };
  flash: { used: number; total: number; items: { label: string; bytes: number }[] };
}

export interface BudgetOptions {
  /** The bundle goes to RAM (`flash --ram`), not to `.bootcde`. */
  fromRam?: boolean;
  /** The built bundle's size; before the build, the board's budgetBytes stands for it. */
  bundleBytes?: number;
}

/** The budget of `board` with `s`, and what does not fit (one line each, naming the setting). */
export function computeBudget(board: Board, s: Settings, options: BudgetOptions = {}): { budget: Budget; problems: string[] } {
  const chip = CHIPS[board.chip];
  const tls = s.mqttUrl.protocol === "mqtts:";
  const ramItems: BudgetItem[] = [{ label: "firmware", jsVars: FIRMWARE_JSVARS }];
  if (options.fromRam) ramItems.push({ label: "its code in RAM (--ram)", jsVars: RAM_EXTRA_FROM_RAM_JSVARS });
  if (tls) ramItems.push({ label: "TLS buffers", jsVars: chip.tlsJsVars });
  if (tls && s.certFile) ramItems.push({ label: "client certificate", jsVars: CLIENT_CERT_JSVARS });
  const used = ramItems.reduce((sum, i) => sum + i.jsVars!, 0);
  const segments = storeSegments(s.storeReadings);
  const bootcde = options.bundleBytes === undefined ? { label: ".bootcde (budget)", bytes: board.budgetBytes + STORAGE_FILE_HEADER_BYTES } : { label: ".bootcde", bytes: options.bundleBytes + STORAGE_FILE_HEADER_BYTES };
  const flashItems = [
    { label: `store: ${segments} segments x ${n(SEGMENT_FILE_BYTES)} B`, bytes: segments * SEGMENT_FILE_BYTES },
    // --ram: the bundle is not stored, but a later `npm run flash` stores it: keep its room.
    bootcde,
    { label: "boot counter", bytes: BOOT_COUNTER_BYTES },
  ];
  const flashUsed = flashItems.reduce((sum, i) => sum + i.bytes, 0);
  const budget: Budget = {
    board: board.name,
    chip: board.chip,
    ram: { used, total: chip.jsVars, jsVarBytes: chip.jsVarBytes, items: ramItems },
    flash: { used: flashUsed, total: board.storageBytes, items: flashItems },
  };
  const problems: string[] = [];
  if (chip.jsVars !== undefined && used > chip.jsVars) {
    const parts = ramItems.map((i) => `${i.label} ${n(i.jsVars!)}`).join(" + ");
    if (tls) {
      problems.push(
        `MQTT_URL: mqtts:// needs TLS's two mbedtls buffers (2 x 16,384 B = ${n(chip.tlsJsVars)} JsVars of ${chip.jsVarBytes} B) beside the firmware's ${n(FIRMWARE_JSVARS)}: ` +
          `${n(used)} of the ${board.name}'s ${n(chip.jsVars)} JsVars (${parts}); use mqtt:// on a trusted network, or a TLS-terminating gateway`,
      );
    } else {
      problems.push(`RAM: ${n(used)} JsVars needed (${parts}), the ${board.name} has ${n(chip.jsVars)}`);
    }
  }
  if (flashUsed > board.storageBytes) {
    problems.push(
      `STORE_READINGS: ${flashItems.map((i) => `${i.label} ${n(i.bytes)} B`).join(" + ")} = ${n(flashUsed)} B, over the ${board.name}'s Storage of ${n(board.storageBytes)} B`,
    );
  }
  return { budget, problems };
}

function n(x: number): string {
  return x.toLocaleString("en-US");
}

const BAR = 20;

function bar(used: number, total: number): string {
  const filled = Math.min(BAR, Math.round((used / total) * BAR));
  return "[" + "#".repeat(filled) + "-".repeat(BAR - filled) + "]";
}

function percent(used: number, total: number): string {
  return `${Math.round((used / total) * 100)} %`.padStart(5);
}

/** Two lines, RAM and flash, with bars and the margin. */
export function formatBudget(b: Budget): string[] {
  const ramDetail = b.ram.items.map((i) => `${i.label} ${n(i.jsVars!)}`).join(" + ") + ", measured connected";
  const ram =
    b.ram.total === undefined
      ? `RAM    ~${n(b.ram.used)} JsVars (${ramDetail}); the ${b.chip} pool grows on demand`
      : `RAM    ${bar(b.ram.used, b.ram.total)} ${percent(b.ram.used, b.ram.total)}  ${n(b.ram.used)} of ${n(b.ram.total)} JsVars, ${n(b.ram.total - b.ram.used)} free (${ramDetail})`;
  const flashDetail = b.flash.items.map((i) => (i.label.startsWith("store") ? `${i.label} = ${n(i.bytes)} B` : `${i.label} ${n(i.bytes)} B`)).join(" + ");
  const flash = `flash  ${bar(b.flash.used, b.flash.total)} ${percent(b.flash.used, b.flash.total)}  ${n(b.flash.used)} of ${n(b.flash.total)} B, ${n(b.flash.total - b.flash.used)} free (${flashDetail})`;
  return [ram, flash];
}
