/**
 * What arrives on a device's topics, checked: a reading, a status, diagnostics. Anything a person
 * should know about (not JSON, a missing field, an unknown key) comes back as text, never a throw.
 */

export interface Reading {
  device?: string;
  seq: number;
  temperature: number;
  uptime?: number;
  /** 0 when absent (firmware older than `boot`). */
  boot: number;
  /** Unix seconds when the reading was taken; undefined when absent (then arrival is used). */
  time?: number;
}

export type Parsed<T> = { ok: true; value: T; warnings: string[] } | { ok: false; error: string };

const READING_KEYS = new Set(["device", "seq", "temperature", "uptime", "boot", "time"]);
/** 2001-09-09 .. 2286-11-20: a `time` outside is not Unix seconds (milliseconds, or an unset clock). */
const TIME_RANGE = [1e9, 1e10];

export function parseReading(topicDevice: string, payload: string): Parsed<Reading> {
  const json = parseJsonObject(payload);
  if (!json.ok) return json;
  const o = json.value;
  const warnings: string[] = [];
  if (!isWhole(o.seq) || (o.seq as number) < 0)
    return { ok: false, error: `reading without a valid seq: ${excerpt(payload)}` };
  if (typeof o.temperature !== "number" || !Number.isFinite(o.temperature)) {
    return { ok: false, error: `reading without a numeric temperature: ${excerpt(payload)}` };
  }
  const unknown = Object.keys(o).filter((k) => !READING_KEYS.has(k));
  if (unknown.length) warnings.push(`unknown keys ${unknown.join(", ")} in ${excerpt(payload)}`);
  if (o.device !== undefined && o.device !== topicDevice)
    warnings.push(`"device":${JSON.stringify(o.device)} differs from the topic's ${topicDevice}`);
  let boot = 0;
  if (o.boot !== undefined) {
    if (isWhole(o.boot) && (o.boot as number) >= 0) boot = o.boot as number;
    else warnings.push(`boot ${JSON.stringify(o.boot)} is not a whole number: taken as 0`);
  }
  let time: number | undefined;
  if (o.time !== undefined) {
    if (typeof o.time === "number" && o.time >= TIME_RANGE[0] && o.time < TIME_RANGE[1]) time = o.time;
    else warnings.push(`time ${JSON.stringify(o.time)} is not Unix seconds: arrival time used`);
  }
  let uptime: number | undefined;
  if (o.uptime !== undefined) {
    if (typeof o.uptime === "number" && o.uptime >= 0) uptime = o.uptime;
    else warnings.push(`uptime ${JSON.stringify(o.uptime)} is not a number of seconds`);
  }
  const device = typeof o.device === "string" ? o.device : undefined;
  return {
    ok: true,
    value: { device, seq: o.seq as number, temperature: o.temperature, uptime, boot, time },
    warnings,
  };
}

export type Status = "online" | "offline";

export function parseStatus(payload: string): Parsed<Status> {
  const text = payload.trim();
  if (text === "online" || text === "offline") return { ok: true, value: text, warnings: [] };
  return { ok: false, error: `status is neither online nor offline: ${excerpt(payload)}` };
}

export function parseDiagnostics(payload: string): Parsed<Record<string, unknown>> {
  const json = parseJsonObject(payload);
  return json.ok ? { ok: true, value: json.value, warnings: [] } : { ok: false, error: "diagnostics " + json.error };
}

function parseJsonObject(payload: string): Parsed<Record<string, unknown>> {
  let value: unknown;
  try {
    value = JSON.parse(payload);
  } catch {
    return { ok: false, error: `not JSON: ${excerpt(payload)}` };
  }
  if (typeof value !== "object" || value === null || Array.isArray(value))
    return { ok: false, error: `not a JSON object: ${excerpt(payload)}` };
  return { ok: true, value: value as Record<string, unknown>, warnings: [] };
}

function isWhole(v: unknown): boolean {
  return typeof v === "number" && Number.isInteger(v);
}

/** The payload as a person can read it in one line. */
export function excerpt(payload: string, max = 80): string {
  const oneLine = payload.replace(/[\x00-\x1f\x7f]/g, "?");
  return oneLine.length > max ? JSON.stringify(oneLine.slice(0, max)) + "..." : JSON.stringify(oneLine);
}
