/**
 * The firmware's contract end to end: the built `linux` bundle, in the host runtime or
 * on Espruino's Linux interpreter (ESPRUINO=...), against a real mosquitto on loopback.
 */
import { describe, expect, it, vi } from "vitest";
import { cleanupAfterEach, startFirmware, watchedBroker } from "../support/e2e";
import { subscribe, type Received } from "../support/subscriber";
import { RUNTIME } from "../support/firmware";

const DEVICE = "e2e-fw";
const DATA = `sensors/${DEVICE}/temperature`;
const STATUS = `sensors/${DEVICE}/status`;

const cleanup = cleanupAfterEach();

async function setup(settings: Record<string, string> = {}) {
  const { broker, sub } = await watchedBroker(cleanup, "sensors/#", "e2e-watcher");
  const { device } = await startFirmware(cleanup, {
    MQTT_URL: broker.url,
    DEVICE_ID: DEVICE,
    PUBLISH_INTERVAL_MS: "200",
    KEEPALIVE_S: "5",
    ...settings,
  });
  return { broker, sub, device };
}

const seqs = (messages: Received[]) => messages.map((m) => JSON.parse(m.payload).seq as number);

describe(`firmware on the ${RUNTIME} against mosquitto`, () => {
  it("publishes readings to the contract: schema, seq without gaps, bad readings skipped, retained online", async () => {
    const { sub, device } = await setup();
    await sub.waitFor(() => sub.on(DATA).length >= 12, 20000, "12 readings");
    const readings = sub.on(DATA);
    for (const m of readings) {
      const body = JSON.parse(m.payload);
      // The Linux board's clock is always set, so every reading carries its time.
      expect(Object.keys(body)).toEqual(["device", "seq", "temperature", "uptime", "boot", "time"]);
      expect(body.boot).toBe(1);
      expect(Math.abs(body.time - m.at / 1000)).toBeLessThan(5);
      expect(body.device).toBe(DEVICE);
      expect(typeof body.temperature).toBe("number");
      expect(Number.isFinite(body.temperature)).toBe(true);
      expect(body.temperature).toBeGreaterThanOrEqual(-55);
      expect(body.temperature).toBeLessThanOrEqual(125);
      expect(/^-?\d+(\.\d{1,2})?$/.test(m.payload.match(/"temperature":([^,]+)/)![1])).toBe(true);
      expect(typeof body.uptime).toBe("number");
      expect(m.qos).toBe(1);
      expect(m.retain).toBe(false);
    }
    expect(seqs(readings)).toEqual(readings.map((_, i) => i + 1));
    // The simulated sensor fails about 1 read in 10: each is logged with a count, none published.
    expect(device.lines.some((l) => /\[app\] bad reading skipped \(1 so far\)/.test(l))).toBe(true);
    expect(readings.some((m) => /NaN|null/.test(m.payload))).toBe(false);
    // A late subscriber still learns the device is online: the status is retained.
    const late = await subscribe(`mqtt://127.0.0.1:${sub.client.options.port}`, STATUS);
    cleanup(() => late.close());
    await late.waitFor((m) => m.some((x) => x.payload === "online" && x.retain), 5000, "retained online");
    // The console tells the story: state changes, each publish, each PUBACK.
    const log = device.lines.join("\n");
    expect(log).toMatch(/\[mqtt\] MQTT_CONNECTING -> CONNECTED/);
    expect(log).toMatch(/\[mqtt\] PUBLISH #\d+ sensors\/e2e-fw\/temperature/);
    expect(log).toMatch(/\[mqtt\] PUBACK #\d+/);
    expect(log).toMatch(/\[app\] reading #1 delivered/);
  });

  it("reset() at the console: the sockets close, and the Will says offline at once", async () => {
    const { broker, sub, device } = await setup();
    await sub.waitFor(() => sub.on(STATUS).some((m) => m.payload === "online"), 10000, "online");
    // On the interpreter stop() types reset(); the host runtime does what 2v29 does for it.
    const stoppedAt = Date.now();
    await device.firmware.stop();
    await sub.waitFor(() => sub.on(STATUS).some((m) => m.payload === "offline"), 5000, "offline");
    const offline = sub.on(STATUS).find((m) => m.payload === "offline")!;
    // A TCP close, not a keepalive timeout: well within 1.5 x keepalive.
    expect(offline.at - stoppedAt).toBeLessThan(3000);
    expect(device.lines.join("\n")).toMatch(
      /\[boot\] stopping \(reset, load or exit\): the broker's Will reports offline/,
    );
    // Nothing written in the kill handler leaves: no DISCONNECT, so the broker sent the Will. Its
    // log comes through another pipe than the Will, and may come later.
    await vi.waitFor(() => expect(broker.log()).toMatch(new RegExp(`Client ${DEVICE} closed its connection`)), {
      timeout: 3000,
    });
    expect(broker.log()).not.toMatch(new RegExp(`Client ${DEVICE} disconnected\\.`));
  });

  it("has the broker publish the Will (offline, retained) when the device is killed", async () => {
    const { sub, device } = await setup();
    await sub.waitFor(() => sub.on(STATUS).some((m) => m.payload === "online"), 10000, "online");
    const killedAt = Date.now();
    device.firmware.kill();
    await sub.waitFor(
      () => sub.on(STATUS).some((m) => m.payload === "offline"),
      7500,
      "the Will within 1.5 x keepalive",
    );
    const will = sub.on(STATUS).find((m) => m.payload === "offline")!;
    expect(will.at - killedAt).toBeLessThan(7500);
  });

  it("keeps readings through a 10 s broker outage and delivers them in order", async () => {
    const { broker, sub, device } = await setup();
    await sub.waitFor(() => sub.on(DATA).length >= 3, 10000, "3 readings");
    await broker.restart(10000);
    const lastBefore = Math.max(...seqs(sub.on(DATA)));
    await sub.waitFor(
      () => sub.on(DATA).length > 0 && Math.max(...seqs(sub.on(DATA))) >= lastBefore + 50,
      45000,
      "50 readings after the outage",
    );
    const got = seqs(sub.on(DATA));
    const unique = [...new Set(got)];
    expect(unique).toEqual(unique.map((_, i) => i + 1)); // every seq, none lost
    expect([...unique].sort((a, b) => a - b)).toEqual(unique); // in order
    expect(device.lines.some((l) => l.includes("CONNECTED -> BACKOFF"))).toBe(true);
    console.log(`outage: ${got.length} messages, ${got.length - unique.length} duplicates`);
  });

  it("drops the oldest readings when the store is full, saying so with a running count", async () => {
    // The smallest store: two segments of 186 readings; a third segment drops the oldest.
    const { broker, sub, device } = await setup({
      STORE_READINGS: "100",
      PUBLISH_INTERVAL_MS: "100",
      RECONNECT_MAX_MS: "2000",
    });
    await sub.waitFor(() => sub.on(DATA).length >= 2, 10000, "2 readings");
    await broker.restart(45000);
    const line = await device.waitForLine(
      /\[store\] full: dropped the (\d+) oldest readings, seq \d+\.\.\d+ \(\d+ dropped so far\)/,
      50000,
    );
    const before = seqs(sub.on(DATA));
    await sub.waitFor(() => sub.on(DATA).length > before.length + 5, 30000, "readings after the outage");
    const after = [...new Set(seqs(sub.on(DATA)))];
    // A gap where the oldest were dropped, as many as the console said; the rest in order.
    expect([...after].sort((a, b) => a - b)).toEqual(after);
    const missing = after[after.length - 1] - after.length;
    expect(missing).toBe(Number(/dropped the (\d+)/.exec(line)![1]));
  }, 120000);
});
