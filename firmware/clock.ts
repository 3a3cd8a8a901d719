/** The session's clock on Espruino: its own functions, but clearTimeout(undefined) throws there. */
import type { Clock } from "../src/session/ports";

export const espruinoClock: Clock = {
  now: Date.now,
  setTimeout: setTimeout as Clock["setTimeout"],
  clearTimeout: (id) => {
    if (id) clearTimeout(id);
  },
};
