/** A reading's validation and its JSON payload, built by hand so the bytes are the same on every build. */
import type { WireString } from "../mqtt/packets";

/** The DS18B20's range, and a sane range for any sensor on this board. */
export const MIN_CELSIUS = -55;
export const MAX_CELSIUS = 125;

/** Why `value` is not a temperature worth publishing, or "" when it is. */
export function readingError(value: unknown): string {
  if (typeof value !== "number" || !isFinite(value)) return "not a number: " + value;
  if (value < MIN_CELSIUS || value > MAX_CELSIUS) return "outside " + MIN_CELSIUS + ".." + MAX_CELSIUS + " C: " + value;
  return "";
}

/** A number with at most 2 decimals, as JSON text ("21.5", "-3", never "-0" or "1e21"). */
export function twoDecimals(value: number): string {
  let text = value.toFixed(2);
  // Trailing zeros go, and the dot with them: toFixed's text is not a JSON number Node would print.
  while (text.charAt(text.length - 1) === "0") text = text.slice(0, -1);
  if (text.charAt(text.length - 1) === ".") text = text.slice(0, -1);
  return text === "-0" ? "0" : text;
}

/**
 * `{"device":"<id>","seq":N,"temperature":T,"uptime":U}`. `prefix` is `{"device":"<id>","seq":`
 * with the id already JSON-escaped and UTF-8 encoded at build time.
 */
export function readingPayload(prefix: WireString, seq: number, celsius: number, uptimeSeconds: number): WireString {
  return prefix + seq + ',"temperature":' + twoDecimals(celsius) + ',"uptime":' + uptimeSeconds + "}";
}
