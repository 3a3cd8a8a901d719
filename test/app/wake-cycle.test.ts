/**
 * One battery-mode wake on a fake clock and the scripted transport: it sleeps once everything is
 * delivered, with a DISCONNECT and no `offline`; past AWAKE_MAX_MS it sleeps anyway, and a CONNECT
 * on the wire then is followed by a DISCONNECT, so the broker drops the Will; the sleep is the
 * period less the time awake.
 */
import { describe, expect, it } from "vitest";
import { runWake, type WakePorts } from "../../src/app/wake-cycle";
import { SessionState } from "../../src/session/state";
import { puback, rig, type Rig } from "../session/harness";

const OPTIONS = { sleepMs: 60000, awakeMaxMs: 10000, readAttempts: 3 };

/** A wake on the rig with `pending` readings stored; `readOk`: whether the reading succeeds, and after how long. */
function wake(r: Rig, pending: number, read: { ok: boolean; afterMs: number }) {
  const slept: number[] = [];
  let delivered = 0;
  const ports: WakePorts = {
    session: r.session,
    pending: () => pending,
    delivered: () => delivered,
    readOnce: (_attempts, done) => void r.clock.setTimeout(() => done(read.ok), read.afterMs),
    clock: r.clock,
    log: (l) => r.logs.push(l),
    sleep: (ms) => void slept.push(ms),
  };
  runWake(OPTIONS, ports, r.clock.now());
  return {
    slept,
    deliver() {
      pending--;
      delivered++;
    },
  };
}

describe("battery-mode wake", () => {
  it("sleeps once connected with nothing pending: DISCONNECT, no offline status, period less the time awake", () => {
    const r = rig();
    const w = wake(r, 1, { ok: true, afterMs: 800 });
    const c = r.transport.last;
    c.events.open();
    r.clock.advance(300);
    c.receive({ cmd: "connack", returnCode: 0, sessionPresent: false });
    const [online] = c.take().filter((p) => p.cmd === "publish");
    expect(String(online.payload)).toBe("online");
    puback(c, online.messageId);
    r.clock.advance(1000);
    expect(w.slept).toEqual([]); // the reading is still pending
    w.deliver();
    r.clock.advance(200);
    const sent = c.take();
    expect(sent.map((p) => p.cmd)).toEqual(["disconnect"]);
    expect(r.session.state()).toBe(SessionState.STOPPED);
    expect(w.slept).toHaveLength(1);
    expect(w.slept[0]).toBeGreaterThan(OPTIONS.sleepMs - 2000);
    expect(w.slept[0]).toBeLessThan(OPTIONS.sleepMs - 1300);
    expect(r.logs).toContain("[sleep] everything delivered; 1 delivered this wake");
  });

  it("does not sleep before the reading is taken, even with nothing pending", () => {
    const r = rig();
    const w = wake(r, 0, { ok: false, afterMs: 3000 });
    const c = r.transport.last;
    c.events.open();
    c.receive({ cmd: "connack", returnCode: 0, sessionPresent: false });
    r.clock.advance(2500);
    expect(w.slept).toEqual([]);
    r.clock.advance(1000);
    expect(w.slept).toHaveLength(1);
    expect(r.logs).toContain("[sleep] no good reading in 3 tries this wake");
  });

  it("sleeps at AWAKE_MAX_MS without a broker, the readings left in flash", () => {
    const r = rig();
    r.transport.throwOnConnect = new Error("Unable to create socket");
    const w = wake(r, 5, { ok: true, afterMs: 100 });
    r.clock.advance(9900);
    expect(w.slept).toEqual([]);
    r.clock.advance(200);
    expect(w.slept).toEqual([OPTIONS.sleepMs - OPTIONS.awakeMaxMs]);
    expect(r.logs).toContain("[sleep] awake 10000 ms: 5 readings wait in flash; 0 delivered this wake");
  });

  it("a CONNECT on the wire at AWAKE_MAX_MS: a DISCONNECT at once, without waiting for the CONNACK, then the flush and sleep", () => {
    const r = rig();
    const w = wake(r, 1, { ok: true, afterMs: 100 });
    const c = r.transport.last;
    r.clock.advance(9500);
    c.events.open(); // CONNECT goes
    expect(c.take().map((p) => p.cmd)).toEqual(["connect"]);
    r.clock.advance(500); // time is up, the CONNACK not yet in
    expect(c.take().map((p) => p.cmd)).toEqual(["disconnect"]);
    expect(c.closed).toBe(true);
    expect(w.slept).toEqual([]); // the DISCONNECT's time to leave
    r.clock.advance(100);
    expect(w.slept).toEqual([OPTIONS.sleepMs - OPTIONS.awakeMaxMs - 100]);
  });
});
