/**
 * End to end: Home Assistant discovery, diagnostics and settings over MQTT. The built
 * `linux` bundle, in the host runtime or on Espruino's Linux interpreter (ESPRUINO=...), against a
 * real mosquitto on loopback.
 *
 * The discovery config is read the way Home Assistant reads it: abbreviations expanded, the `~`
 * base put into topics, the shared options given to every component, and each value_template
 * rendered by a Jinja-like engine (nunjucks) against a payload the device really sent.
 *
 *   npx vitest run test/e2e/home-assistant.test.ts                         # host runtime
 *   ESPRUINO=/path/to/espruino npx vitest run test/e2e/home-assistant.test.ts
 *   LOG_LEVEL=info ...   # built at info instead of debug (nothing here needs the per-packet lines)
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import nunjucks from "nunjucks";
import { describe, expect, it } from "vitest";
import { HA_ABBREVIATIONS } from "../../tools/build/home-assistant";
import type { Mosquitto } from "../../tools/support/mosquitto";
import { cleanupAfterEach, startFirmware, watchedBroker } from "../support/e2e";
import { subscribe, type Received, type Subscriber } from "../support/subscriber";
import { runDevice, RUNTIME, type Device } from "../support/firmware";

const DEVICE = "e2e-ha";
const BASE = `sensors/${DEVICE}/`;
const DATA = BASE + "temperature";
const STATUS = BASE + "status";
const DIAGNOSTICS = BASE + "diagnostics";
const SET = BASE + "set";
const CONFIG = `homeassistant/device/${DEVICE}/config`;
const BIRTH = "homeassistant/status";
const VERSION: string = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")).version;

/**
 * Home Assistant's documented abbreviations (integrations/mqtt, "Supported abbreviations in MQTT
 * discovery messages"; homeassistant/components/mqtt/abbreviations.py), for the keys a sensor's
 * device discovery may use: HA_ABBREVIATIONS must agree with them.
 */
const DOCUMENTED: Record<string, string> = {
  avty: "availability",
  avty_mode: "availability_mode",
  avty_t: "availability_topic",
  avty_tpl: "availability_template",
  cmps: "components",
  dev: "device",
  dev_cla: "device_class",
  e: "encoding",
  en: "enabled_by_default",
  ent_cat: "entity_category",
  exp_aft: "expire_after",
  frc_upd: "force_update",
  ic: "icon",
  json_attr_t: "json_attributes_topic",
  json_attr_tpl: "json_attributes_template",
  o: "origin",
  obj_id: "object_id",
  p: "platform",
  pl_avail: "payload_available",
  pl_not_avail: "payload_not_available",
  stat_cla: "state_class",
  stat_t: "state_topic",
  sug_dsp_prc: "suggested_display_precision",
  uniq_id: "unique_id",
  unit_of_meas: "unit_of_measurement",
  val_tpl: "value_template",
  // The device block's (DEVICE_ABBREVIATIONS) and the origin's.
  ids: "identifiers",
  cns: "connections",
  mf: "manufacturer",
  mdl: "model",
  sw: "sw_version",
  hw: "hw_version",
  sa: "suggested_area",
  url: "support_url",
};

/** Home Assistant's availability options: at the root (for every component) or in a component. */
const AVAILABILITY_KEYS = [
  "availability",
  "availability_mode",
  "availability_template",
  "availability_topic",
  "payload_available",
  "payload_not_available",
];
/** Keys Home Assistant takes in a device discovery message for sensors, once expanded. */
const ROOT_KEYS = new Set([
  "~",
  "device",
  "origin",
  "components",
  ...AVAILABILITY_KEYS,
  "qos",
  "encoding",
  "state_topic",
]);
const DEVICE_KEYS = new Set([
  "identifiers",
  "connections",
  "name",
  "manufacturer",
  "model",
  "model_id",
  "sw_version",
  "hw_version",
  "serial_number",
  "suggested_area",
  "configuration_url",
  "via_device",
]);
const ORIGIN_KEYS = new Set(["name", "sw_version", "support_url"]);
const SENSOR_KEYS = new Set([
  "platform",
  "name",
  "unique_id",
  "object_id",
  "default_entity_id",
  "device_class",
  "state_class",
  "unit_of_measurement",
  "state_topic",
  "value_template",
  "entity_category",
  "expire_after",
  "force_update",
  "icon",
  "enabled_by_default",
  "suggested_display_precision",
  "json_attributes_topic",
  "json_attributes_template",
  "last_reset_value_template",
  "options",
  "encoding",
  "entity_picture",
  "qos",
  ...AVAILABILITY_KEYS,
]);

type Json = Record<string, unknown>;

/**
 * Abbreviations expanded at every level, as Home Assistant does; the keys of `components` are the
 * components' own ids and stay as they are.
 */
function expand(value: unknown, componentIds = false): unknown {
  if (Array.isArray(value)) return value.map((v) => expand(v));
  if (!value || typeof value !== "object") return value;
  const out: Json = {};
  for (const [k, v] of Object.entries(value)) {
    const key = componentIds ? k : (HA_ABBREVIATIONS[k] ?? k);
    if (key in out) throw new Error(`"${k}" expands to "${key}", which is there already`);
    out[key] = componentIds ? expand(v) : expand(v, key === "components");
  }
  return out;
}

/** Home Assistant's `~`: a topic value starting (or ending) with it has the base put there. */
function withBase(config: Json): Json {
  const base = config["~"];
  const out: Json = {};
  for (const [key, value] of Object.entries(config)) {
    if (key === "~") continue;
    if (typeof base === "string" && typeof value === "string" && value && /(_topic|_t)$/.test(key)) {
      let v = value;
      if (v.startsWith("~")) v = base + v.slice(1);
      if (v.endsWith("~")) v = v.slice(0, -1) + base;
      out[key] = v;
    } else out[key] = value;
  }
  return out;
}

/** Each component as Home Assistant sets it up: the shared options at the root, its own over them, `~` applied. */
function entities(config: Json): Record<string, Json> {
  const { device: _device, origin: _origin, components, ...shared } = config;
  const out: Record<string, Json> = {};
  for (const [id, component] of Object.entries(components as Record<string, Json>))
    out[id] = withBase({ ...shared, ...component });
  return out;
}

/** Home Assistant's value templates are Jinja: `value` is the payload, `value_json` its JSON. */
const jinja = new nunjucks.Environment(null, { autoescape: false, throwOnUndefined: true });
function render(template: string, payload: string): string {
  try {
    return jinja.renderString(template, { value: payload, value_json: JSON.parse(payload) }).trim();
  } catch (e) {
    throw new Error(`value_template ${template} on ${payload}: ${(e as Error).message}`, { cause: e });
  }
}

const cleanup = cleanupAfterEach();

interface Rig {
  broker: Mosquitto;
  sub: Subscriber;
  /** Every message's bytes as they came (sub.messages has them decoded). */
  raw: { topic: string; payload: Buffer; retain: boolean }[];
  device: Device;
  file: string;
  cwd: string;
}

/** A broker, a watcher on the device's topics and Home Assistant's, and the device. */
async function setup(settings: Record<string, string>): Promise<Rig> {
  // A persistent session: after a broker restart it is not subscribed again, so no retained
  // copies come (and `live` below would leave them out).
  const { broker, sub } = await watchedBroker(cleanup, `sensors/${DEVICE}/#`, "e2e-ha-watcher");
  await sub.client.subscribeAsync("homeassistant/#", { qos: 1 });
  const raw: Rig["raw"] = [];
  sub.client.on("message", (topic, payload, packet) =>
    raw.push({ topic, payload: Buffer.from(payload), retain: packet.retain }),
  );
  // The device's flash: kept across its restarts, gone at the end.
  const cwd = mkdtempSync(join(tmpdir(), "e2e-ha-flash-"));
  cleanup(() => rmSync(cwd, { recursive: true, force: true }));
  const { file, device } = await startFirmware(
    cleanup,
    {
      MQTT_URL: broker.url,
      DEVICE_ID: DEVICE,
      KEEPALIVE_S: "5",
      RECONNECT_MAX_MS: "1000",
      ...(process.env.LOG_LEVEL ? { LOG_LEVEL: process.env.LOG_LEVEL } : {}),
      ...settings,
    },
    { cwd },
  );
  return { broker, sub, raw, device, file, cwd };
}

/**
 * Messages on `topic` as they were published: not the copies a broker sends at a subscribe (the
 * retain flag is set only on those; MQTT 3.1.1 clears it on a message passed on live).
 */
const live = (messages: Received[], topic: string) => messages.filter((m) => m.topic === topic && !m.retain);
const json = (m: Received) => JSON.parse(m.payload) as Json;
const count = (device: Device, pattern: RegExp) => device.lines.filter((l) => pattern.test(l)).length;
const SET_OVER = /\[settings\] set over MQTT: /;
const IGNORED = /\[settings\] retained set message acted on already: ignored/;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Restarts the broker (its state kept) and waits for the device to be back: connected, and its
 * diagnostics for the reconnect sent (after its SUBSCRIBE), then a little for what the broker
 * sends it at the subscribe.
 */
async function reconnectAfterBrokerRestart(broker: Mosquitto, sub: Subscriber, device: Device): Promise<void> {
  const connects = count(device, /-> CONNECTED/);
  await broker.restart(1000);
  const back = Date.now();
  const deadline = Date.now() + 20000;
  while (count(device, /-> CONNECTED/) <= connects) {
    if (Date.now() > deadline)
      throw new Error("no reconnect after the broker restart; last lines:\n" + device.lines.slice(-15).join("\n"));
    await sleep(50);
  }
  await sub.waitFor(
    (m) => m.some((x) => x.topic === DIAGNOSTICS && x.at >= back),
    10000,
    "diagnostics at the reconnect",
  );
  await sleep(1500);
}

/** A retained message as a subscriber arriving now gets it. */
async function retainedNow(url: string, topic: string): Promise<Received> {
  const late = await subscribe(url, topic, { clientId: "e2e-ha-late-" + Math.random().toString(16).slice(2) });
  try {
    await late.waitFor((m) => m.some((x) => x.topic === topic), 5000, "the retained message on " + topic);
    return late.messages.find((x) => x.topic === topic)!;
  } finally {
    await late.close();
  }
}

/** Readings by seq, first arrival of each (QoS 1 may bring one twice). */
function readings(sub: Subscriber, after = 0): { seq: number; boot: number; at: number; body: Json }[] {
  const seen = new Set<number>();
  const out = [];
  for (const m of sub.on(DATA)) {
    const body = json(m);
    const seq = body.seq as number;
    if (seen.has(seq)) continue;
    seen.add(seq);
    if (m.at > after) out.push({ seq, boot: body.boot as number, at: m.at, body });
  }
  return out;
}

function medianGap(list: { at: number }[]): number {
  const gaps = list
    .slice(1)
    .map((r, i) => r.at - list[i].at)
    .sort((a, b) => a - b);
  return gaps[gaps.length >> 1];
}

describe(`Home Assistant discovery, diagnostics and settings over MQTT: firmware on the ${RUNTIME} against mosquitto`, () => {
  it(
    "discovery config: Home Assistant's keys, real topics, °C in UTF-8, templates that render real payloads; sent once a boot and again at HA's birth",
    { timeout: 90_000 },
    async () => {
      const { broker, sub, raw, device } = await setup({ PUBLISH_INTERVAL_MS: "500", DIAGNOSTICS_MS: "0" });
      await sub.waitFor(
        (m) => live(m, CONFIG).length >= 1 && live(m, DATA).length >= 2 && live(m, DIAGNOSTICS).length >= 1,
        30000,
        "the config, 2 readings and diagnostics",
      );
      const first = live(sub.messages, CONFIG)[0];
      expect(first.qos).toBe(1);

      // Retained, so Home Assistant gets it whenever it subscribes.
      const retained = await retainedNow(broker.url, CONFIG);
      expect(retained.retain).toBe(true);
      expect(retained.payload).toBe(first.payload);

      // Bytes: valid UTF-8, the degree sign as c2 b0.
      const bytes = raw.find((r) => r.topic === CONFIG)!.payload;
      expect(() => new TextDecoder("utf-8", { fatal: true }).decode(bytes)).not.toThrow();
      expect(bytes.includes(Buffer.from([0x22, 0xc2, 0xb0, 0x43, 0x22])), '"°C" as UTF-8 bytes 22 c2 b0 43 22').toBe(
        true,
      );

      // The abbreviations are Home Assistant's.
      for (const [short, full] of Object.entries(HA_ABBREVIATIONS))
        if (short !== "~") expect(full, `HA_ABBREVIATIONS.${short}`).toBe(DOCUMENTED[short]);
      const compact = JSON.parse(first.payload) as Json;
      const config = expand(compact) as Json;
      expect(
        Object.keys(config).filter((k) => !ROOT_KEYS.has(k)),
        "root keys Home Assistant does not know",
      ).toEqual([]);
      expect(config["~"]).toBe(BASE);

      const dev = config.device as Json;
      expect(
        Object.keys(dev).filter((k) => !DEVICE_KEYS.has(k)),
        "device keys Home Assistant does not know",
      ).toEqual([]);
      expect(Array.isArray(dev.identifiers)).toBe(true);
      expect((dev.identifiers as unknown[]).length).toBeGreaterThan(0);
      for (const id of dev.identifiers as unknown[]) expect(typeof id).toBe("string");
      expect(dev.identifiers).toContain(DEVICE);
      expect(dev.name).toBe(DEVICE);
      for (const key of ["manufacturer", "model", "sw_version"])
        expect(typeof dev[key], `device.${key}`).toBe("string");
      expect(dev.sw_version).toBe(VERSION);
      const origin = config.origin as Json;
      expect(
        Object.keys(origin).filter((k) => !ORIGIN_KEYS.has(k)),
        "origin keys Home Assistant does not know",
      ).toEqual([]);
      expect(typeof origin.name).toBe("string");
      expect((origin.name as string).length).toBeGreaterThan(0);
      expect(origin.sw_version).toBe(VERSION);

      // Every component, as Home Assistant sets it up.
      const all = entities(config);
      const ids = Object.keys(all);
      expect(ids.length).toBeGreaterThanOrEqual(2);
      const published = new Set(sub.messages.filter((m) => m.topic.startsWith(BASE)).map((m) => m.topic));
      const uniqueIds = ids.map((id) => all[id].unique_id);
      expect(new Set(uniqueIds).size, "unique ids unique").toBe(ids.length);
      const diagnosticsPayload = live(sub.messages, DIAGNOSTICS).at(-1)!.payload;
      for (const id of ids) {
        const e = all[id];
        expect(
          Object.keys(e).filter((k) => !SENSOR_KEYS.has(k)),
          `${id}: keys a sensor does not take`,
        ).toEqual([]);
        expect(e.platform, id).toBe("sensor");
        expect(typeof e.unique_id, id).toBe("string");
        expect(e.unique_id as string, id).toMatch(/^[A-Za-z0-9_-]+$/);
        expect(typeof e.name, id).toBe("string");
        // Topics: real ones, no `~` left.
        expect(JSON.stringify(e)).not.toMatch(/"[a-z_]*_topic":"[^"]*~/);
        expect(e.availability_topic, id).toBe(STATUS);
        expect(
          published.has(e.state_topic as string),
          `${id}: state_topic ${e.state_topic} is one the device publishes on (${[...published].join(", ")})`,
        ).toBe(true);
        expect(published.has(e.availability_topic as string), `${id}: availability_topic`).toBe(true);
        expect(e.payload_available).toBe("online");
        expect(e.payload_not_available).toBe("offline");
        expect(typeof e.value_template, id).toBe("string");
        if (e.entity_category === "diagnostic") {
          expect(e.state_topic, id).toBe(DIAGNOSTICS);
          const value = render(e.value_template as string, diagnosticsPayload);
          expect(value, `${id}: ${e.value_template} on ${diagnosticsPayload}`).not.toBe("");
          expect(Number.isFinite(Number(value)), `${id}: ${e.value_template} gives a number, got "${value}"`).toBe(
            true,
          );
        }
      }
      const statuses = live(sub.messages, STATUS).map((m) => m.payload);
      expect(statuses).toContain("online");

      const temperature = Object.values(all).find((e) => e.device_class === "temperature");
      expect(temperature, "a temperature component").toBeDefined();
      expect(temperature!.entity_category).toBeUndefined();
      expect(temperature!.state_class).toBe("measurement");
      expect(temperature!.unit_of_measurement).toBe("\u00b0C");
      expect(temperature!.state_topic).toBe(DATA);
      expect(temperature!.expire_after, "no expiry outside battery mode").toBeUndefined();
      expect(Object.values(all).filter((e) => e.entity_category === "diagnostic").length).toBeGreaterThanOrEqual(3);
      // The template gives each reading's temperature.
      for (const m of live(sub.messages, DATA)) {
        const value = render(temperature!.value_template as string, m.payload);
        expect(Number(value), `${temperature!.value_template} on ${m.payload}`).toBe(json(m).temperature);
      }

      // Once a boot: a reconnect after the broker went away sends none. (The diagnostics at the
      // reconnect come after the device's SUBSCRIBE: a birth message from then on reaches it.)
      await reconnectAfterBrokerRestart(broker, sub, device);
      expect(json(live(sub.messages, DIAGNOSTICS).at(-1)!).reconnects, "the diagnostics count the reconnect").toBe(1);
      expect(live(sub.messages, CONFIG).length, "config messages after a reconnect").toBe(1);
      // Home Assistant's Will (`offline`) is not a reason either.
      await sub.client.publishAsync(BIRTH, "offline", { qos: 1 });
      await sleep(1500);
      expect(live(sub.messages, CONFIG).length, "config messages after HA's offline").toBe(1);
      // Its birth message is: exactly one more.
      await sub.client.publishAsync(BIRTH, "online", { qos: 1 });
      await sub.waitFor((m) => live(m, CONFIG).length >= 2, 10000, "the config again after HA's birth message");
      await sleep(2000);
      expect(live(sub.messages, CONFIG).length, "config messages after HA's birth").toBe(2);
      expect(live(sub.messages, CONFIG)[1].payload).toBe(first.payload);
      expect(count(device, /\[home-assistant\] discovery config on .*\(first connect of this boot\)/)).toBe(1);
      expect(count(device, /\[home-assistant\] discovery config on .*\(Home Assistant is online\)/)).toBe(1);
    },
  );

  it(
    "diagnostics: retained at connect and every DIAGNOSTICS_MS, fresh (uptime grows), the readings' boot, the firmware's version",
    { timeout: 60_000 },
    async () => {
      const { broker, sub } = await setup({ PUBLISH_INTERVAL_MS: "1000", DIAGNOSTICS_MS: "10000" });
      await sub.waitFor((m) => live(m, DIAGNOSTICS).length >= 1, 20000, "diagnostics at connect");
      const firstAt = live(sub.messages, DIAGNOSTICS)[0].at;
      const online = live(sub.messages, STATUS).find((m) => m.payload === "online")!;
      expect(firstAt - online.at, "diagnostics right after the connect").toBeLessThan(2000);
      await sub.waitFor((m) => live(m, DIAGNOSTICS).length >= 2, 20000, "a second diagnostics message");
      const [a, b] = live(sub.messages, DIAGNOSTICS);
      const gap = b.at - a.at;
      expect(gap, "about DIAGNOSTICS_MS apart").toBeGreaterThan(8500);
      expect(gap).toBeLessThan(12500);
      const da = json(a);
      const db = json(b);
      for (const d of [da, db]) {
        for (const key of [
          "fw",
          "boot",
          "uptime",
          "reset",
          "free",
          "stored",
          "dropped",
          "failed",
          "reconnects",
          "interval_ms",
        ])
          expect(d, `diagnostics has ${key}`).toHaveProperty(key);
        expect(d.fw).toBe(VERSION);
        expect(d.boot).toBe(1);
        expect(typeof d.free).toBe("number");
        expect(d.free as number).toBeGreaterThan(0);
        expect(typeof d.reset).toBe("string");
        for (const key of ["uptime", "stored", "dropped", "failed", "reconnects"]) {
          expect(Number.isInteger(d[key]), `${key} a whole number`).toBe(true);
          expect(d[key] as number).toBeGreaterThanOrEqual(0);
        }
        expect(d.reconnects).toBe(0);
        expect(d.interval_ms).toBe(1000);
        expect(d.rssi, "no Wi-Fi on the linux board").toBeUndefined();
        expect(d.set, "no set message yet").toBeUndefined();
      }
      const grew = (db.uptime as number) - (da.uptime as number);
      expect(grew, "uptime grows with the time between them").toBeGreaterThanOrEqual(9);
      expect(grew).toBeLessThanOrEqual(12);
      expect(db.failed as number, "failed reads only go up").toBeGreaterThanOrEqual(da.failed as number);
      const boots = new Set(readings(sub).map((r) => r.boot));
      expect([...boots]).toEqual([da.boot]);
      // Retained: a subscriber arriving now gets the last one.
      const retained = await retainedNow(broker.url, DIAGNOSTICS);
      expect(retained.retain).toBe(true);
      expect(retained.qos).toBe(1);
      expect(json(retained)).toEqual(db);
      console.log(
        `diagnostics (${RUNTIME}): ${gap} ms apart, uptime ${da.uptime} -> ${db.uptime} s, free ${da.free} -> ${db.free} JsVars`,
      );
    },
  );

  it(
    "settings over MQTT: applied and confirmed, refused with the reason, kept in flash across a restart; a retained one applied once",
    { timeout: 120_000 },
    async () => {
      const { broker, sub, device, file, cwd } = await setup({ PUBLISH_INTERVAL_MS: "1000", DIAGNOSTICS_MS: "0" });
      const diagnostics = (after: number) =>
        live(sub.messages, DIAGNOSTICS)
          .filter((m) => m.at > after)
          .map(json);
      /** Publishes `payload` on the set topic, then waits for the diagnostics that answer it. */
      async function set(payload: string, retain = false): Promise<Json> {
        const sentAt = Date.now();
        await sub.client.publishAsync(SET, payload, { qos: 1, retain });
        await sub.waitFor(
          () => diagnostics(sentAt).some((d) => d.set !== undefined),
          10000,
          `the answer to ${payload}`,
        );
        return diagnostics(sentAt).find((d) => d.set !== undefined)!;
      }
      await sub.waitFor(() => readings(sub).length >= 7, 30000, "7 readings at 1 s");
      const atOne = medianGap(readings(sub));
      expect(atOne, "readings 1 s apart").toBeGreaterThan(750);
      expect(atOne).toBeLessThan(1300);

      const applied = await set('{"PUBLISH_INTERVAL_MS":3000}');
      expect(applied.set).toBe("applied: PUBLISH_INTERVAL_MS=3000");
      expect(applied.interval_ms).toBe(3000);
      const appliedAt = Date.now();
      await device.waitForLine(/\[settings\] set over MQTT: PUBLISH_INTERVAL_MS=3000$/, 5000);

      // Refused: the reason names the setting, and nothing changes (all of a message or none of it).
      const refusals: [string, RegExp][] = [
        ['{"PUBLISH_INTERVAL_MS":5}', /^refused: PUBLISH_INTERVAL_MS: from 100 to 86400000 \(got 5\)$/],
        ['{"NOPE":1}', /^refused: NOPE: not a setting that can be changed at run time/],
        ["not json", /^refused: not JSON$/],
        ['{"DIAGNOSTICS_MS":5000}', /^refused: DIAGNOSTICS_MS: 0 or from 10000 to /],
        ['{"PUBLISH_INTERVAL_MS":1500,"NOPE":1}', /^refused: NOPE:/],
        ['{"PUBLISH_INTERVAL_MS":2.5}', /^refused: PUBLISH_INTERVAL_MS: a whole number/],
      ];
      for (const [payload, reason] of refusals) {
        const answer = await set(payload);
        expect(answer.set, payload).toMatch(reason);
        expect(answer.interval_ms, `${payload}: the interval stays`).toBe(3000);
      }
      expect(count(device, /\[settings\] set message refused: /)).toBe(refusals.length);
      await sub.waitFor(() => readings(sub, appliedAt).length >= 4, 30000, "4 readings after the change");
      const atThree = medianGap(readings(sub, appliedAt));
      expect(atThree, "readings 3 s apart, through the refused messages").toBeGreaterThan(2600);
      expect(atThree).toBeLessThan(3500);

      // A restart asked for: confirmed, a clean stop, a new boot that takes the interval from flash.
      const restartAsked = Date.now();
      const answer = await set('{"restart":true}');
      expect(answer.set).toBe("applied: restart");
      await device.waitForLine(/\[boot\] restarting \(/, 10000);
      await device.waitForLine(/\[boot\] board linux, .* boot 2,/, 30000);
      const fromFlash = await device.waitForLine(/\[settings\] from flash/, 10000);
      expect(fromFlash).toMatch(/PUBLISH_INTERVAL_MS=3000/);
      await sub.waitFor(
        () => live(sub.messages, STATUS).some((m) => m.at > restartAsked && m.payload === "online"),
        10000,
        "online from boot 2",
      );
      // A clean stop: `offline`, then a DISCONNECT, so the broker drops the Will; then the new boot's `online`.
      expect
        .soft(
          live(sub.messages, STATUS)
            .filter((m) => m.at > restartAsked)
            .map((m) => m.payload),
          "a clean stop says offline once (no Will), the new boot online",
        )
        .toEqual(["offline", "online"]);
      expect
        .soft(broker.log(), "the broker got a DISCONNECT before the restart")
        .not.toMatch(new RegExp(`Client ${DEVICE} closed its connection`));
      await sub.waitFor(() => readings(sub).filter((r) => r.boot === 2).length >= 4, 30000, "4 readings of boot 2");
      const second = readings(sub).filter((r) => r.boot === 2);
      const afterRestart = medianGap(second);
      expect(afterRestart, "still 3 s apart after the restart (from flash)").toBeGreaterThan(2600);
      expect(afterRestart).toBeLessThan(3500);
      const boot2 = diagnostics(restartAsked).filter((d) => d.boot === 2);
      expect(boot2.length).toBeGreaterThan(0);
      expect(boot2[0].interval_ms).toBe(3000);
      // Nothing lost across the restart: every seq, in order.
      const seqs = readings(sub).map((r) => r.seq);
      expect(seqs).toEqual(seqs.map((_, i) => i + 1));

      // Retained, published while the device is subscribed: mosquitto passes it on at once without
      // the retain flag (MQTT 3.1.1 clears it for a subscription that exists), and at the next
      // subscribe sends it again, flagged retained. It should be acted on once all the same.
      const setLines = count(device, SET_OVER);
      const ignoredBefore = count(device, IGNORED);
      const liveRetained = await set('{"PUBLISH_INTERVAL_MS":2000}', true);
      expect(liveRetained.set).toBe("applied: PUBLISH_INTERVAL_MS=2000");
      expect(liveRetained.interval_ms).toBe(2000);
      expect(count(device, SET_OVER)).toBe(setLines + 1);
      await reconnectAfterBrokerRestart(broker, sub, device);
      const tail = () => device.lines.slice(-25).join("\n");
      expect
        .soft(
          count(device, SET_OVER),
          "the retained message (first received without the flag) is not applied again at the reconnect:\n" + tail(),
        )
        .toBe(setLines + 1);
      expect
        .soft(count(device, IGNORED), "the console says it was acted on already:\n" + tail())
        .toBe(ignoredBefore + 1);

      // Retained, there before the device subscribes: it comes flagged retained, is applied once,
      // and at every later subscribe is known by its CRC (kept in flash).
      await device.firmware.stop();
      await sub.client.publishAsync(SET, '{"PUBLISH_INTERVAL_MS":2500}', { qos: 1, retain: true });
      const third = runDevice(file, { cwd });
      cleanup(() => third.firmware.kill());
      await third.waitForLine(/\[boot\] board linux, .* boot 3,/, 30000);
      await third.waitForLine(/\[settings\] set over MQTT: PUBLISH_INTERVAL_MS=2500$/, 15000);
      await sub.waitFor(
        () =>
          live(sub.messages, DIAGNOSTICS).some(
            (m) =>
              json(m).boot === 3 && json(m).set === "applied: PUBLISH_INTERVAL_MS=2500" && json(m).interval_ms === 2500,
          ),
        10000,
        "boot 3 confirms 2500",
      );
      await reconnectAfterBrokerRestart(broker, sub, third);
      expect(
        count(third, IGNORED),
        "the console says it was acted on already:\n" + third.lines.slice(-25).join("\n"),
      ).toBe(1);
      expect(count(third, SET_OVER), "applied once").toBe(1);

      // Cleared, so the broker keeps no set message. (The device gets the empty message.)
      const clearedAt = Date.now();
      await sub.client.publishAsync(SET, "", { qos: 1, retain: true });
      await new Promise((r) => setTimeout(r, 1000));
      const afterClear = third.lines.filter((l) => /\[settings\]/.test(l)).slice(-1)[0];
      const diagAfterClear = diagnostics(clearedAt).map((d) => d.set);
      console.log(
        `settings (${RUNTIME}): readings ${atOne} ms apart, then ${atThree} ms, then ${afterRestart} ms after the restart; after clearing the retained set message: console "${afterClear}", diagnostics set ${JSON.stringify(diagAfterClear)}`,
      );
    },
  );
});
