/** The supervisor on a fake clock: a session left without its timer is restarted; a healthy one never is. */
import { describe, expect, it } from "vitest";
import { superviseSession, SUPERVISE_EVERY_MS } from "../../src/app/supervisor";
import { SessionState } from "../../src/session/state";
import { connect, rig, type Rig } from "../session/harness";

/**
 * Connects, then loses the connection with the clock out of memory while the session arms its
 * backoff timer: the callback stops there, and the session is left with no timer.
 */
function stuckWithoutTimer(r: Rig): void {
  const c = connect(r);
  const setTimeout = r.clock.setTimeout.bind(r.clock);
  r.clock.setTimeout = () => {
    r.clock.setTimeout = setTimeout;
    throw new Error("OUT OF MEMORY");
  };
  expect(() => c.events.closed("reset")).toThrow("OUT OF MEMORY");
}

describe("session supervisor", () => {
  it("restarts a session an interrupted callback left with no timer, and it connects again", () => {
    const r = rig();
    const supervisor = superviseSession(r.session, r.clock, (l) => r.logs.push(l));
    stuckWithoutTimer(r);
    expect(r.session.state()).toBe(SessionState.BACKOFF);
    expect(r.session.overdue()).toBe(Infinity);
    const connections = r.transport.connections.length;
    r.clock.advance(60000);
    expect(r.logs).toContain("[supervisor] session stuck in BACKOFF with no timer: restarting it (1 so far)");
    expect(r.transport.connections.length).toBeGreaterThan(connections);
    expect(supervisor.restarts()).toBe(1);
  });

  it("runs its `alsoEach` at every check, the session healthy or stuck (the memory guard's look)", () => {
    const r = rig();
    let looks = 0;
    superviseSession(
      r.session,
      r.clock,
      (l) => r.logs.push(l),
      undefined,
      () => looks++,
    );
    r.clock.advance(SUPERVISE_EVERY_MS * 3);
    expect(looks).toBe(3);
    stuckWithoutTimer(r);
    r.clock.advance(SUPERVISE_EVERY_MS * 3);
    expect(r.logs.some((l) => l.startsWith("[supervisor] session stuck"))).toBe(true);
    expect(looks).toBe(6);
  });

  it("leaves a healthy session alone: connected for ten minutes, then backing off at its cap against a broker that is gone", () => {
    const r = rig({ keepalive: 30, backoff: { baseMs: 1000, capMs: 60000, minMs: 100 } });
    const supervisor = superviseSession(r.session, r.clock, (l) => r.logs.push(l));
    const c = connect(r);
    for (let t = 0; t < 600; t++) {
      r.clock.advance(1000);
      if (c.take().some((p) => p.cmd === "pingreq")) c.receive({ cmd: "pingresp" });
    }
    r.transport.throwOnConnect = new Error("Unable to create socket");
    c.events.closed("broker gone");
    r.clock.advance(30 * 60000);
    expect(r.session.state()).toBe(SessionState.BACKOFF);
    expect(supervisor.restarts()).toBe(0);
    expect(r.session.overdue()).toBeLessThanOrEqual(0);
  });

  it("kicks the watchdog at every check of a healthy session, and stops kicking one restarts cannot mend", () => {
    const r = rig();
    const kicks: number[] = [];
    superviseSession(r.session, r.clock, (l) => r.logs.push(l), { kick: () => kicks.push(r.clock.now()) });
    const c = connect(r);
    for (let t = 0; t < 60; t++) {
      r.clock.advance(1000);
      if (c.take().some((p) => p.cmd === "pingreq")) c.receive({ cmd: "pingresp" });
    }
    expect(kicks.length).toBe(12); // every 5 s for a minute
  });

  it("never kicks a session that restarting does not mend: the watchdog resets the board", () => {
    const r = rig();
    const kicks: number[] = [];
    let restarts = 0;
    // A session whose restart never gets a timer armed again (e.g. memory that never comes back).
    const broken = {
      ...r.session,
      overdue: () => Infinity,
      state: () => SessionState.BACKOFF,
      restart: () => void restarts++,
    };
    superviseSession(broken, r.clock, (l) => r.logs.push(l), { kick: () => kicks.push(r.clock.now()) });
    r.clock.advance(120000);
    expect(restarts).toBe(24);
    expect(kicks).toEqual([]);
  });

  it("does not kick while the session is stuck, and kicks again once the restart has mended it", () => {
    const r = rig();
    const kicks: number[] = [];
    superviseSession(r.session, r.clock, (l) => r.logs.push(l), { kick: () => kicks.push(r.clock.now()) });
    stuckWithoutTimer(r);
    const stuckAt = r.clock.now();
    r.clock.advance(5000);
    // The check that finds it stuck restarts it and does not kick.
    expect(r.logs.some((l) => l.startsWith("[supervisor] session stuck"))).toBe(true);
    expect(kicks.filter((t) => t > stuckAt)).toEqual([]);
    r.clock.advance(10000);
    expect(kicks.filter((t) => t > stuckAt).length).toBeGreaterThan(0);
  });
});
