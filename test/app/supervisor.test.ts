/** The supervisor on a fake clock: a session left without its timer is restarted; a healthy one never is. */
import { describe, expect, it } from "vitest";
import { superviseSession } from "../../src/app/supervisor";
import { SessionState } from "../../src/session/state";
import { connect, rig } from "../session/harness";

describe("session supervisor", () => {
  it("restarts a session an interrupted callback left with no timer, and it connects again", () => {
    const r = rig();
    const supervisor = superviseSession(r.session, r.clock, (l) => r.logs.push(l));
    const c = connect(r);
    // Out of memory while arming the backoff timer: the callback stops there.
    const setTimeout = r.clock.setTimeout.bind(r.clock);
    r.clock.setTimeout = () => {
      r.clock.setTimeout = setTimeout;
      throw new Error("OUT OF MEMORY");
    };
    expect(() => c.events.closed("reset")).toThrow("OUT OF MEMORY");
    expect(r.session.state()).toBe(SessionState.BACKOFF);
    expect(r.session.overdue()).toBe(Infinity);
    const connections = r.transport.connections.length;
    r.clock.advance(60000);
    expect(r.logs).toContain("[supervisor] session stuck in BACKOFF with no timer: restarting it (1 so far)");
    expect(r.transport.connections.length).toBeGreaterThan(connections);
    expect(supervisor.restarts()).toBe(1);
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
});
