/**
 * The session layer against a real mosquitto on loopback over real TCP.
 * mosquitto, not aedes: it persists sessions across a restart, which the restart test needs,
 * and it is the broker most of our users run.
 */
import { describe, expect, it } from "vitest";
import { createSession, type MqttSession, type SessionOptions } from "../../src/session/session";
import { sessionConnectPacket, type SessionIdentity } from "../../src/session/connect-packet";
import { ALWAYS_UP } from "../../src/session/ports";
import { SessionState } from "../../src/session/state";
import { createSubscriptions } from "../../src/session/subscriptions";
import type { Mosquitto } from "../../tools/support/mosquitto";
import { cleanupAfterEach, startBroker, startWatcher } from "../support/e2e";
import { nodeClock, nodeTransport, type NodeTransport } from "../support/node-transport";
import { byEvent } from "../session/harness";

const cleanup = cleanupAfterEach();

interface Device {
  session: MqttSession;
  transport: NodeTransport;
  logs: string[];
}

function device(
  broker: Mosquitto,
  options: Partial<Omit<SessionOptions, "connectPacket"> & SessionIdentity> = {},
): Device {
  const transport = nodeTransport();
  const logs: string[] = [];
  const all = {
    host: "127.0.0.1",
    port: broker.port,
    clientId: "e2e-device",
    keepalive: 5,
    status: { topic: "sensors/e2e-device/status", online: "online", offline: "offline" },
    queueSize: 1000,
    retryMs: 2000,
    backoff: { baseMs: 200, capMs: 1000, minMs: 50 },
    ...options,
  };
  const session = createSession(
    { ...all, connectPacket: sessionConnectPacket(all) },
    { clock: nodeClock, transport, network: ALWAYS_UP, random: Math.random, log: (l) => logs.push(l) },
  );
  cleanup(() => new Promise<void>((resolve) => session.stop(resolve)));
  return { session, transport, logs };
}

async function until(predicate: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error("timed out waiting for " + what);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe("session against mosquitto", () => {
  it("connects with a user name and password, and is refused with a wrong one", async () => {
    const b = await startBroker(cleanup, { users: { alice: "correct horse" } });
    const ok = device(b, { username: "alice", password: "correct horse" });
    ok.session.start();
    await until(() => ok.session.state() === SessionState.CONNECTED, 5000, "CONNECTED");

    const bad = device(b, { clientId: "intruder", username: "alice", password: "wrong" });
    bad.session.start();
    await until(() => bad.logs.some((l) => l.includes("refused")), 5000, "a refusal");
    expect(bad.logs.join("\n")).toMatch(
      /MQTT_CONNECTING -> BACKOFF \(refused: (bad user name or password \(4\)|not authorized \(5\))\)/,
    );
    // Bad credentials wait long: at least half the backoff cap.
    const delay = Number(/retry in (\d+) ms/.exec(bad.logs.find((l) => l.includes("retry in"))!)![1]);
    expect(delay).toBeGreaterThanOrEqual(500);
  });

  it("delivers QoS 1 messages end to end, each acknowledged to its caller", async () => {
    const b = await startBroker(cleanup);
    const sub = await startWatcher(cleanup, b, "data/#");
    const d = device(b);
    const acked: number[] = [];
    d.session.start();
    d.session.listen(byEvent({ delivered: (ref) => ref !== undefined && acked.push(ref) }));
    for (let i = 1; i <= 50; i++) d.session.publish("data/n", String(i), 1, false, i);
    await until(() => acked.length === 50, 10000, "50 PUBACKs");
    await sub.waitFor((m) => m.length >= 50, 5000, "50 messages");
    expect(acked).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
    expect(sub.messages.map((m) => Number(m.payload))).toEqual(acked);
    expect(sub.messages.every((m) => m.qos === 1)).toBe(true);
  });

  it("receives what it subscribes to at QoS 0, 1 and 2 (each once), again after a reconnect, and nothing after unsubscribing", async () => {
    const b = await startBroker(cleanup);
    const d = device(b);
    const subs = createSubscriptions(d.session, (l) => d.logs.push(l));
    const got: string[] = [];
    subs.subscribe("cmd/+/set", 2, (m) => got.push(`${m.topic}=${String.fromCharCode(...m.payload)}@${m.qos}`));
    d.session.start();
    await until(() => d.logs.some((l) => l.includes("-> CONNECTED")), 5000, "CONNECTED");
    const sender = await startWatcher(cleanup, b, "ignored/#");
    // The SUBACK may still be on its way: send until the first message comes through.
    await until(
      () => {
        if (!got.length) sender.client.publish("cmd/led/set", "probe", { qos: 0 });
        return got.length > 0;
      },
      5000,
      "the subscription in place",
    );
    got.length = 0;
    for (const qos of [0, 1, 2] as const) await sender.client.publishAsync("cmd/led/set", `on${qos}`, { qos });
    await until(() => got.filter((g) => !g.includes("probe")).length >= 3, 5000, "three messages");
    await new Promise((r) => setTimeout(r, 300)); // a duplicate would come within this
    // (A late probe may still arrive: it is not one of these.)
    expect(got.filter((g) => !g.includes("probe"))).toEqual([
      "cmd/led/set=on0@0",
      "cmd/led/set=on1@1",
      "cmd/led/set=on2@2",
    ]);

    d.transport.sockets[d.transport.sockets.length - 1].destroy();
    await until(() => d.logs.filter((l) => l.includes("-> CONNECTED")).length === 2, 10000, "reconnected");
    got.length = 0;
    await until(
      () => {
        if (!got.length) sender.client.publish("cmd/fan/set", "again", { qos: 1 });
        return got.length > 0;
      },
      5000,
      "a message after the reconnect",
    );
    expect(got[0]).toBe("cmd/fan/set=again@1");

    subs.unsubscribe("cmd/+/set");
    await new Promise((r) => setTimeout(r, 300));
    got.length = 0;
    await sender.client.publishAsync("cmd/led/set", "off", { qos: 1 });
    await new Promise((r) => setTimeout(r, 500));
    expect(got).toEqual([]);
    expect(d.session.state()).toBe(SessionState.CONNECTED);
  });

  it("has the broker send the Will when the socket dies, and not after a clean shutdown", async () => {
    const b = await startBroker(cleanup);
    const sub = await startWatcher(cleanup, b, "sensors/+/status");
    const status = () => sub.on("sensors/e2e-device/status").map((m) => m.payload);

    const d = device(b);
    d.session.start();
    await sub.waitFor(() => status().includes("online"), 5000, "online");
    d.transport.sockets[d.transport.sockets.length - 1].destroy(); // the power goes
    await sub.waitFor(() => status().includes("offline"), 5000, "the Will");
    expect(status()).toEqual(["online", "offline"]);

    await sub.waitFor(() => status().filter((s) => s === "online").length === 2, 5000, "online again after reconnect");
    await new Promise<void>((resolve) => d.session.stop(resolve));
    await sub.waitFor(() => status().length === 4, 5000, "the offline status");
    expect(status()).toEqual(["online", "offline", "online", "offline"]);
    // The offline above was our own clean publish; a Will would add another within a second.
    await new Promise((r) => setTimeout(r, 1000));
    expect(status()).toHaveLength(4);
    // mosquitto's own account: the last connection ended with DISCONNECT.
    expect(
      b
        .log()
        .trim()
        .split("\n")
        .filter((l) => l.includes("e2e-device"))
        .pop(),
    ).toMatch(/Client e2e-device disconnected\.$/);
  });

  it("loses no message across a broker restart in the middle of a stream", async () => {
    const b = await startBroker(cleanup);
    // A persistent subscriber: the broker keeps its queue across the restart.
    const sub = await startWatcher(cleanup, b, "stream/#", { clientId: "e2e-sub", clean: false });
    const d = device(b);
    const acked = new Set<number>();
    d.session.start();
    const total = 60;
    let sent = 0;
    d.session.listen(byEvent({ delivered: (ref) => ref !== undefined && acked.add(ref) }));
    const producer = setInterval(() => {
      sent++;
      const n = sent;
      d.session.publish("stream/n", String(n), 1, false, n);
      if (sent === total) clearInterval(producer);
    }, 25);
    cleanup(() => clearInterval(producer));
    await until(() => acked.size >= 20, 10000, "20 acknowledged");
    await b.restart(300);
    await until(() => acked.size === total, 20000, "every message acknowledged after the restart");
    await sub.waitFor((m) => new Set(m.map((x) => x.payload)).size === total, 15000, "every message at the subscriber");
    const got = new Set(sub.messages.map((m) => Number(m.payload)));
    for (let n = 1; n <= total; n++) expect(got.has(n)).toBe(true);
    expect(d.logs.some((l) => l.includes("CONNECTED -> BACKOFF"))).toBe(true);
    const duplicates = sub.messages.length - total;
    console.log(`broker restart: ${total} messages, ${duplicates} duplicates at the subscriber`);
  });
});
