/** The session's clock on Espruino. */
import type { Clock } from "../src/session/ports";

export const espruinoClock: Clock = {
  now: () => Date.now(),
  setTimeout: (callback, ms) => setTimeout(callback, ms),
  clearTimeout: (id) => {
    if (id) clearTimeout(id);
  },
};
