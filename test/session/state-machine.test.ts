/** Every transition of the reconnect state machine, on a fake clock with a scripted transport. */
import { describe, expect, it } from "vitest";
import { SessionState, STATE_NAMES } from "../../src/session/state";
import { CONNACK_CODE_NAMES } from "../../src/mqtt/packets";
import { connect, puback, rig } from "./harness";

const name = (s: SessionState) => STATE_NAMES[s];
/** The delay of the last "retry in N ms" log line. */
const lastDelay = (logs: string[]) =>
  Number(/retry in (\d+) ms/.exec(logs.filter((l) => l.includes("retry in")).pop()!)![1]);

describe("reconnect state machine", () => {
  it("goes STOPPED -> TCP_CONNECTING -> MQTT_CONNECTING -> CONNECTED when the link is up", () => {
    const r = rig();
    r.session.start();
    expect(name(r.session.state())).toBe("TCP_CONNECTING");
    expect(r.transport.last.host).toBe("broker.test");
    r.transport.last.events.open();
    expect(name(r.session.state())).toBe("MQTT_CONNECTING");
    const [connectPacket] = r.transport.last.take();
    expect(connectPacket.cmd).toBe("connect");
    expect(connectPacket.clientId).toBe("dev-1");
    expect(connectPacket.keepalive).toBe(30);
    expect(connectPacket.clean).toBe(true);
    expect(connectPacket.will).toMatchObject({ topic: "sensors/dev-1/status", qos: 1, retain: true });
    expect(Buffer.from(connectPacket.will.payload).toString()).toBe("offline");
    r.transport.last.receive({ cmd: "connack", returnCode: 0, sessionPresent: false });
    expect(name(r.session.state())).toBe("CONNECTED");
    expect(r.logs.filter((l) => l.includes(" -> "))).toEqual([
      "[mqtt] STOPPED -> TCP_CONNECTING (start)",
      "[mqtt] TCP_CONNECTING -> MQTT_CONNECTING (TCP open)",
      "[mqtt] MQTT_CONNECTING -> CONNECTED (new session)",
    ]);
  });

  it("brings the network up first when it is down: NETWORK_CONNECTING -> TCP_CONNECTING", () => {
    const r = rig({}, false);
    r.session.start();
    expect(name(r.session.state())).toBe("NETWORK_CONNECTING");
    expect(r.transport.connections).toHaveLength(0);
    r.link.comeUp();
    expect(name(r.session.state())).toBe("TCP_CONNECTING");
  });

  it("backs off when the network fails or times out, then tries the network again", () => {
    const r = rig({}, false);
    r.session.start();
    r.link.fail("wrong password");
    expect(name(r.session.state())).toBe("BACKOFF");
    expect(r.logs).toContain("[mqtt] NETWORK_CONNECTING -> BACKOFF (network: wrong password)");
    r.clock.advance(lastDelay(r.logs));
    expect(name(r.session.state())).toBe("NETWORK_CONNECTING");
    expect(r.link.connectCalls).toBe(2);
    r.clock.advance(9999);
    expect(name(r.session.state())).toBe("NETWORK_CONNECTING");
    r.clock.advance(1);
    expect(name(r.session.state())).toBe("BACKOFF");
    expect(r.logs).toContain("[mqtt] NETWORK_CONNECTING -> BACKOFF (network timeout)");
  });

  it("ends in BACKOFF when connect throws synchronously (Espruino's refusal on Linux)", () => {
    const r = rig();
    r.transport.throwOnConnect = new Error("Unable to create socket");
    r.session.start();
    expect(name(r.session.state())).toBe("BACKOFF");
    expect(r.logs).toContain("[mqtt] TCP_CONNECTING -> BACKOFF (connect failed: Unable to create socket)");
    expect(r.clock.pending()).toBe(1);
  });

  it("ends in BACKOFF when the connection fails later (error/close) or never opens", () => {
    const r = rig();
    r.session.start();
    r.transport.last.events.closed("ECONNREFUSED");
    expect(name(r.session.state())).toBe("BACKOFF");
    r.clock.advance(1000);
    expect(name(r.session.state())).toBe("TCP_CONNECTING");
    r.clock.advance(10000);
    expect(r.logs).toContain("[mqtt] TCP_CONNECTING -> BACKOFF (TCP connect timeout)");
    expect(r.transport.connections[1].closed).toBe(true);
  });

  it("backs off when no CONNACK arrives in time", () => {
    const r = rig();
    r.session.start();
    r.transport.last.events.open();
    r.clock.advance(10000);
    expect(name(r.session.state())).toBe("BACKOFF");
    expect(r.logs).toContain("[mqtt] MQTT_CONNECTING -> BACKOFF (no CONNACK)");
    expect(r.transport.last.closed).toBe(true);
  });

  it.each([1, 2, 3, 4, 5])("logs CONNACK refusal %i by name and backs off (longer for 4 and 5)", (code) => {
    const r = rig({ backoff: { baseMs: 1000, capMs: 60000, minMs: 100 } });
    r.session.start();
    r.transport.last.events.open();
    r.transport.last.receive({ cmd: "connack", returnCode: code, sessionPresent: false });
    expect(name(r.session.state())).toBe("BACKOFF");
    expect(r.logs).toContain(`[mqtt] MQTT_CONNECTING -> BACKOFF (refused: ${CONNACK_CODE_NAMES[code]} (${code}))`);
    const delay = lastDelay(r.logs);
    if (code >= 4) expect(delay).toBeGreaterThanOrEqual(30000);
    else expect(delay).toBeLessThanOrEqual(1000);
    expect(delay).toBeGreaterThanOrEqual(100);
  });

  it("CONNECTED -> BACKOFF on a close, on a malformed packet and on network loss", () => {
    const r = rig();
    let c = connect(r);
    c.events.closed("reset by peer");
    expect(r.logs).toContain("[mqtt] CONNECTED -> BACKOFF (connection closed: reset by peer)");
    r.clock.advance(2000);
    c = connect(r);
    c.events.data(new Uint8Array([0xf0, 0x00]));
    expect(r.logs).toContain("[mqtt] CONNECTED -> BACKOFF (malformed packet from broker: unexpected packet type 15)");
    expect(c.closed).toBe(true);
    r.clock.advance(4000);
    c = connect(r);
    r.link.goDown("beacon timeout");
    expect(r.logs).toContain("[mqtt] CONNECTED -> BACKOFF (network down: beacon timeout)");
    expect(c.closed).toBe(true);
    r.clock.advance(8000);
    expect(name(r.session.state())).toBe("NETWORK_CONNECTING");
  });

  it("ignores every event of a connection it has left", () => {
    const r = rig();
    const old = connect(r);
    old.events.closed("gone");
    r.clock.advance(2000);
    const fresh = r.transport.last;
    expect(fresh).not.toBe(old);
    old.events.open();
    old.events.closed("late");
    old.receive({ cmd: "connack", returnCode: 0, sessionPresent: false });
    expect(name(r.session.state())).toBe("TCP_CONNECTING");
  });

  it("CONNECTED -> CLOSING -> STOPPED on stop(): offline status, then DISCONNECT, and no Will", () => {
    const r = rig();
    const c = connect(r);
    puback(c, c.take().find((p) => p.cmd === "publish")!.messageId);
    let stopped = false;
    r.session.stop(() => (stopped = true));
    expect(name(r.session.state())).toBe("CLOSING");
    const [offline] = c.take();
    expect(offline).toMatchObject({ cmd: "publish", topic: "sensors/dev-1/status", qos: 1, retain: true });
    expect(offline.payload.toString()).toBe("offline");
    puback(c, offline.messageId);
    expect(c.take().map((p) => p.cmd)).toEqual(["disconnect"]);
    expect(c.closed).toBe(true);
    expect(stopped).toBe(true);
    expect(name(r.session.state())).toBe("STOPPED");
    expect(r.clock.pending()).toBe(0);
  });

  it("disconnects anyway when the offline status is not acknowledged in time", () => {
    const r = rig();
    const c = connect(r);
    r.session.stop();
    r.clock.advance(2000);
    expect(c.take().map((p) => p.cmd)).toEqual(["publish", "publish", "disconnect"]);
    expect(name(r.session.state())).toBe("STOPPED");
  });

  it("MQTT_CONNECTING -> STOPPED on stop(): the CONNECT on the wire is followed by a DISCONNECT (no Will), then closed", () => {
    const r = rig();
    r.session.start();
    const c = r.transport.last;
    c.events.open();
    expect(name(r.session.state())).toBe("MQTT_CONNECTING");
    expect(c.take().map((p) => p.cmd)).toEqual(["connect"]);
    let stopped = false;
    r.session.stop(() => (stopped = true));
    expect(c.take().map((p) => p.cmd)).toEqual(["disconnect"]);
    expect(c.closed).toBe(true);
    expect(stopped).toBe(true);
    expect(name(r.session.state())).toBe("STOPPED");
    expect(r.clock.pending()).toBe(0);
  });

  it("stops from BACKOFF without a timer left behind", () => {
    const r = rig();
    r.transport.throwOnConnect = new Error("Unable to locate host");
    r.session.start();
    r.session.stop();
    expect(name(r.session.state())).toBe("STOPPED");
    expect(r.clock.pending()).toBe(0);
  });

  it("leaks no timer or connection across thousands of reconnects", () => {
    const r = rig({ backoff: { baseMs: 10, capMs: 100, minMs: 1 } });
    r.session.start();
    for (let i = 0; i < 3000; i++) {
      const c = r.transport.last;
      if (i % 3 === 0) c.events.closed("refused");
      else {
        c.events.open();
        c.receive({ cmd: "connack", returnCode: 0, sessionPresent: false });
        c.events.closed("dropped");
      }
      expect(r.clock.pending()).toBe(1);
      r.clock.advance(100);
    }
    expect(r.transport.connections.slice(0, -1).every((c) => c.closed)).toBe(true);
    expect(r.clock.pending()).toBe(1);
  });
});

describe("failed writes", () => {
  it("a write that throws ends the connection in BACKOFF, with the deadline replaced, not stacked", () => {
    const r = rig();
    r.session.start();
    const c = r.transport.last;
    c.closed = true; // the socket died under us: write() throws "This socket is closed"
    c.events.open();
    expect(r.session.state()).toBe(SessionState.BACKOFF);
    expect(r.logs).toContain("[mqtt] MQTT_CONNECTING -> BACKOFF (write failed: This socket is closed)");
    expect(r.clock.pending()).toBe(1);
  });

  it("a message whose write failed is not counted in flight: it goes out on the next connection", () => {
    const r = rig();
    const c = connect(r);
    puback(c, c.take()[0].messageId);
    c.closed = true;
    r.session.publish("t", "x", 1, false);
    expect(r.session.state()).toBe(SessionState.BACKOFF);
    r.clock.advance(1000);
    const next = connect(r);
    puback(next, next.take()[0].messageId);
    const [p] = next.take();
    expect(p).toMatchObject({ cmd: "publish", topic: "t", dup: false });
  });

  it("a failed write while closing still stops", () => {
    const r = rig();
    const c = connect(r);
    c.closed = true;
    let stopped = false;
    r.session.stop(() => (stopped = true));
    expect(stopped).toBe(true);
    expect(r.session.state()).toBe(SessionState.STOPPED);
    expect(r.clock.pending()).toBe(0);
  });
});

describe("backoff resets and bounds", () => {
  const BACKOFF = { baseMs: 1000, capMs: 60000, minMs: 100 };
  /** Drops the connection `times` times right after CONNACK (nothing acknowledged), retrying each time. */
  function kickedAtOnce(r: ReturnType<typeof rig>, times: number): number[] {
    const delays: number[] = [];
    for (let i = 0; i < times; i++) {
      const c = connect(r);
      c.events.closed("kicked");
      delays.push(lastDelay(r.logs));
      r.clock.advance(delays[delays.length - 1]);
    }
    return delays;
  }

  it("backs off ever longer from a broker that drops clients before acknowledging anything", () => {
    const r = rig({ backoff: BACKOFF });
    const delays = kickedAtOnce(r, 9);
    expect(Math.max(...delays.slice(5))).toBeGreaterThan(4000);
  });

  it("retries a flapping link at once after a connection that delivered a message", () => {
    const r = rig({ backoff: BACKOFF });
    kickedAtOnce(r, 9);
    const c = connect(r);
    puback(c, c.take()[0].messageId); // online
    r.session.publish("t", "x", 1, false, 1);
    puback(c, c.take()[0].messageId);
    c.events.closed("cut");
    expect(lastDelay(r.logs)).toBeLessThanOrEqual(1000);
  });

  it("does not count its own status as progress: a broker that kicks after acknowledging it still sees longer delays", () => {
    const r = rig({ backoff: BACKOFF });
    const delays: number[] = [];
    for (let i = 0; i < 9; i++) {
      const c = connect(r);
      puback(c, c.take()[0].messageId);
      c.events.closed("kicked");
      delays.push(lastDelay(r.logs));
      r.clock.advance(delays[i]);
    }
    expect(Math.max(...delays.slice(5))).toBeGreaterThan(4000);
  });

  it("resets after a connection that stayed up a minute, even with nothing to send", () => {
    const r = rig({ backoff: BACKOFF, keepalive: 30 });
    kickedAtOnce(r, 9);
    const c = connect(r);
    for (let t = 0; t < 61; t++) {
      r.clock.advance(1000);
      if (c.take().some((p) => p.cmd === "pingreq")) c.receive({ cmd: "pingresp" });
    }
    expect(name(r.session.state())).toBe("CONNECTED");
    c.events.closed("cut");
    expect(lastDelay(r.logs)).toBeLessThanOrEqual(1000);
  });

  it("leaves for BACKOFF when the network goes down while still connecting", () => {
    const r = rig();
    r.session.start();
    r.transport.last.events.open();
    expect(name(r.session.state())).toBe("MQTT_CONNECTING");
    r.link.goDown("Wi-Fi disconnected");
    expect(r.logs).toContain("[mqtt] MQTT_CONNECTING -> BACKOFF (network down: Wi-Fi disconnected)");
  });

  it("drops a broker that floods QoS 1 PUBLISHes and never reads its acknowledgements", () => {
    const r = rig();
    const c = connect(r);
    for (let i = 1; i <= 40 && name(r.session.state()) === "CONNECTED"; i++)
      c.receive({ cmd: "publish", topic: "in", payload: "x", qos: 1, messageId: i });
    expect(r.logs).toContain("[mqtt] CONNECTED -> BACKOFF (the broker is not reading: 32 packets unsent)");
    expect(c.written.length).toBeLessThanOrEqual(32 + 2);
  });

  it("does not count packets the socket has sent: drain empties the count", () => {
    const r = rig();
    const c = connect(r);
    for (let i = 1; i <= 100; i++) {
      c.receive({ cmd: "publish", topic: "in", payload: "x", qos: 1, messageId: i });
      if (i % 10 === 0) c.events.drain();
    }
    expect(name(r.session.state())).toBe("CONNECTED");
  });
});
