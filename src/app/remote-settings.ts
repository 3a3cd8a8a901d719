/**
 * Settings changed over MQTT. A set message is checked whole (runtime-settings.ts); an accepted
 * one is written to flash first, so it outlives a reset, then put into effect, logged and
 * confirmed on the diagnostics topic; a refused one changes nothing and says why there. The
 * broker sends a retained set message again at every subscribe: it is acted on once, known by
 * its CRC, which flash keeps beside the values.
 *
 * Plain functions whose ports are made by the caller when a message comes: nothing of this is
 * in RAM between messages (each function object held costs JsVars; docs/espruino-runtime.md).
 * The file is `<crc32 hex> <json>`: a write cut by a power loss fails its check, and the build's
 * values stay.
 */
import type { Log } from "../session/ports";
import type { Checksum, FlashStorage } from "../store/ports";
import {
  describeValues,
  parseSetMessage,
  settingError,
  type RuntimeRule,
  type SettingValues,
} from "./runtime-settings";

export const SETTINGS_FILE = ".settings";

export interface RemoteSettingsPorts {
  flash: Pick<FlashStorage, "read" | "write">;
  crc: Checksum;
  /** The rules, built at build time. */
  rules: RuntimeRule[];
  /** Puts a value into effect: the sensor loop's interval, the diagnostics' period. */
  apply(name: string, value: number): void;
  log: Log;
}

export interface SetMessagePorts extends RemoteSettingsPorts {
  /** Says on the diagnostics topic how a set message went. */
  confirm(result: string): void;
  /** Restarts the firmware (after a clean stop). */
  restart(): void;
}

/** What flash keeps. */
export interface KeptSettings {
  values: SettingValues;
  /**
   * CRC of the last set message acted on. The broker passes a retained message on to a live
   * subscription without the retain flag, then sends it flagged at every subscribe: a flagged one
   * equal to the last acted on is not acted on again. A retained message is the desired state: one
   * that differs from the last (a live change came after it) is acted on again, once.
   */
  last?: number;
}

/** The settings in flash; none when there are none, or their check fails. */
export function readKeptSettings(p: RemoteSettingsPorts): KeptSettings {
  const file = p.flash.read(SETTINGS_FILE);
  if (file !== undefined) {
    const space = file.indexOf(" ");
    const body = file.substr(space + 1);
    try {
      if (space > 0 && parseInt(file.substr(0, space), 16) === p.crc(body) >>> 0) return JSON.parse(body);
    } catch (e) {
      // Unreadable is the same as cut short: below.
    }
    p.log("[settings] the settings in flash fail their check (a write cut short?): the build's values stay");
  }
  return { values: {} };
}

/** At boot: puts the values kept in flash into effect, each checked again (the build may be newer). */
export function restoreSettings(p: RemoteSettingsPorts): void {
  const values = readKeptSettings(p).values;
  const names = Object.keys(values);
  for (let i = 0; i < names.length; i++) {
    const why = settingError(p.rules, names[i], values[names[i]]);
    if (why) {
      p.log("[settings] kept in flash but refused now, the build's value stays: " + why);
      delete values[names[i]];
    } else p.apply(names[i], values[names[i]]);
  }
  if (Object.keys(values).length) p.log("[settings] from flash (set over MQTT): " + describeValues(values));
}

/** A message on the set topic (a binary string); `retained` as the broker flagged it. */
export function handleSetMessage(text: string, retained: boolean, p: SetMessagePorts): void {
  // A zero-length retained message is how a retained one is cleared: nothing to act on.
  if (!text.length) return p.log("[settings] empty set message (a retained one cleared): nothing to do");
  const kept = readKeptSettings(p);
  const crc = p.crc(text) >>> 0;
  if (retained && crc === kept.last) return p.log("[settings] retained set message acted on already: ignored");
  const request = parseSetMessage(text, p.rules);
  kept.last = crc;
  if (typeof request === "string") {
    writeKept(p, kept);
    p.log("[settings] set message refused: " + request);
    return p.confirm("refused: " + request);
  }
  const names = Object.keys(request.values);
  for (let i = 0; i < names.length; i++) kept.values[names[i]] = request.values[names[i]];
  const stored = writeKept(p, kept);
  // A restart whose message flash could not mark as done would come again from the broker (retained)
  // after every boot: a restart loop. Without the mark, no restart.
  if (request.restart && !stored) {
    p.log(
      "[settings] restart refused: flash could not keep the set message, and a retained one would restart the board again at every boot",
    );
    request.restart = false;
    if (!names.length) return p.confirm("refused: restart: flash could not keep it");
  }
  for (let i = 0; i < names.length; i++) p.apply(names[i], request.values[names[i]]);
  const what = describeValues(request.values) + (request.restart ? (names.length ? ", " : "") + "restart" : "");
  p.log("[settings] set over MQTT: " + what + (stored ? "" : " (flash refused it: until the next reset only)"));
  p.confirm("applied: " + what);
  if (request.restart) p.restart();
}

function writeKept(p: RemoteSettingsPorts, kept: KeptSettings): boolean {
  const body = JSON.stringify(kept);
  try {
    return p.flash.write(SETTINGS_FILE, (p.crc(body) >>> 0).toString(16) + " " + body);
  } catch (e) {
    return false;
  }
}
