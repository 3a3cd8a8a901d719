/**
 * Time on Espruino. The session's clock must never jump, but Espruino has one clock, and SNTP
 * (Wi-Fi builds) sets it: from 1970 to today in one step. So `now` follows Date.now() and absorbs
 * any step backwards or of more than a day forwards, which no running code takes.
 * clearTimeout(undefined) throws there.
 */
import type { Clock } from "../src/session/ports";

/** A wall clock before this (2017-07) has not been set. */
const CLOCK_SET_MS = 1.5e12;
const MAX_STEP_MS = 864e5;

let lastRaw = Date.now();
let offset = 0;

function monotonic(): number {
  const raw = Date.now();
  const step = raw - lastRaw;
  if (step < 0 || step > MAX_STEP_MS) offset -= step;
  lastRaw = raw;
  return raw + offset;
}

export const espruinoClock: Clock = {
  now: monotonic,
  setTimeout: setTimeout as Clock["setTimeout"],
  clearTimeout: (id) => {
    if (id) clearTimeout(id);
  },
};

const startedAt = monotonic();

/** Whole seconds since this start, and Unix seconds (0 while the clock is not set). */
export const readingClock = {
  uptime: () => Math.floor((monotonic() - startedAt) / 1000),
  unixTime: () => {
    const now = Date.now();
    return now > CLOCK_SET_MS ? Math.floor(now / 1000) : 0;
  },
};
