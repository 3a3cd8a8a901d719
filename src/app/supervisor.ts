/**
 * The session's supervisor. The session keeps exactly one state timer; a callback interrupted
 * part-way (on Espruino, running out of memory aborts it wherever it is) can leave it with none,
 * or waiting in a state nothing will ever leave. Every few seconds this checks how late that
 * timer is and, past a grace that covers a blocking connect, logs it and restarts the session
 * (not the board). It kicks the hardware watchdog only when it finds the session healthy: an
 * interpreter that hangs, or a session that restarting does not mend, stops the kicks and the
 * board resets (the readings wait in flash).
 */
import type { Clock, Log } from "../session/ports";
import type { MqttSession } from "../session/session";
import { stateName } from "../session/state";

/** How often the supervisor looks, ms. */
export const SUPERVISE_EVERY_MS = 5000;
/** How late the state timer may be before the session counts as stuck, ms. */
export const STUCK_AFTER_MS = 10000;

export interface Supervisor {
  /** Restarts so far. */
  restarts(): number;
  stop(): void;
}

/** The board's watchdog (E.kickWatchdog on Espruino), when it has one turned on. */
export interface Watchdog {
  kick(): void;
}

/** `alsoEach`: run at every check after the session's (the memory guard's look: one timer for both). */
export function superviseSession(
  session: MqttSession,
  clock: Clock,
  log: Log,
  watchdog?: Watchdog,
  alsoEach?: () => void,
): Supervisor {
  let restarts = 0;
  let timer = 0;
  function check(): void {
    timer = clock.setTimeout(check, SUPERVISE_EVERY_MS);
    const late = session.overdue();
    if (late <= STUCK_AFTER_MS) {
      if (watchdog) watchdog.kick();
    } else {
      restarts++;
      log(
        "[supervisor] session stuck in " +
          stateName(session.state()) +
          (late === Infinity ? " with no timer" : ", its timer " + Math.round(late / 1000) + " s late") +
          ": restarting it (" +
          restarts +
          " so far)",
      );
      session.restart("restarted by the supervisor");
    }
    if (alsoEach) alsoEach();
  }
  timer = clock.setTimeout(check, SUPERVISE_EVERY_MS);
  return {
    restarts: () => restarts,
    stop() {
      clock.clearTimeout(timer);
      timer = 0;
    },
  };
}
