/** A reading's validation and its JSON payload, built by hand so the bytes are the same on every build. */
import type { WireString } from "../mqtt/packets";
import type { StoredReading } from "../store/record";

/** The DS18B20's range, and a sane range for any sensor on this board. */
export const MIN_CELSIUS = -55;
export const MAX_CELSIUS = 125;

/** Why `value` is not a temperature worth publishing, or "" when it is. */
export function readingError(value: unknown): string {
  if (typeof value !== "number" || !isFinite(value)) return "not a number: " + value;
  if (value < MIN_CELSIUS || value > MAX_CELSIUS) return "outside " + MIN_CELSIUS + ".." + MAX_CELSIUS + " C: " + value;
  return "";
}

/** A value x 100 as JSON number text with at most 2 decimals ("21.5", "-3", "0.07"), from integers only. */
export function centiText(centi: number): string {
  const abs = centi < 0 ? -centi : centi;
  const fraction = abs % 100;
  const text =
    Math.floor(abs / 100) +
    (fraction ? "." + (fraction < 10 ? "0" + fraction : fraction % 10 ? fraction : fraction / 10) : "");
  return centi < 0 ? "-" + text : text;
}

/** What every payload starts with and how its value is named, built at build time. */
export interface PayloadFormat {
  /** `{"device":"<id>","seq":`, the id JSON-escaped and UTF-8 encoded. */
  prefix: WireString;
  /** `,"temperature":`: the measured quantity, named once (tools/build). */
  valueKey: WireString;
}

/**
 * `{"device":"<id>","seq":N,"temperature":T,"uptime":U,"boot":B,"time":E}`; `time` only when
 * known (`time` > 0).
 */
export function readingPayload(format: PayloadFormat, r: StoredReading, time: number): WireString {
  return (
    format.prefix +
    r.seq +
    format.valueKey +
    centiText(r.centi) +
    ',"uptime":' +
    r.uptime +
    ',"boot":' +
    r.boot +
    (time > 0 ? ',"time":' + time : "") +
    "}"
  );
}
