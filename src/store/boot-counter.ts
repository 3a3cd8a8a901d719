/**
 * Counts firmware starts in flash: `rb1`, 64 slots of 4 bytes (boot u24 + a check byte), one
 * slot written per start, the file rewritten once every 64 starts. A slot cut by a power loss
 * fails its check and is passed over.
 */
import type { Checksum, FlashStorage } from "./ports";

const FILE = "rb1";
const SLOT_BYTES = 4;
const SLOT_COUNT = 64;

function slot(boot: number, crc: Checksum): string {
  const body = String.fromCharCode((boot >>> 16) & 255, (boot >>> 8) & 255, boot & 255);
  return body + String.fromCharCode(crc(body) & 255);
}

/** Reads the last start's number, writes this start's (one more) and returns it; the first is 1. */
export function countBoot(flash: FlashStorage, crc: Checksum): number {
  const data = flash.read(FILE) || "";
  let used = 0;
  let previous = 0;
  for (let i = 0; i < SLOT_COUNT && i * SLOT_BYTES < data.length; i++) {
    const text = data.substr(i * SLOT_BYTES, SLOT_BYTES);
    if (text === "\xff\xff\xff\xff") break;
    used = i + 1;
    const boot = ((text.charCodeAt(0) << 16) | (text.charCodeAt(1) << 8) | text.charCodeAt(2)) >>> 0;
    if (text === slot(boot, crc)) previous = boot;
  }
  const boot = previous + 1;
  if (used < SLOT_COUNT && data.length) flash.write(FILE, slot(boot, crc), used * SLOT_BYTES);
  else flash.write(FILE, slot(boot, crc), 0, SLOT_BYTES * SLOT_COUNT);
  return boot;
}
