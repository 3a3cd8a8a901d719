/**
 * Home Assistant discovery (src/app/home-assistant.ts) over a real session on the scripted
 * transport: the config goes retained at QoS 1 after the first CONNACK of a boot, ahead of the
 * readings, not at reconnects; again when Home Assistant says `online` (not for its retained
 * birth message once announced).
 */
import { describe, expect, it } from "vitest";
import { announceToHomeAssistant } from "../../src/app/home-assistant";
import { ackPublishes as published, byEvent, connectAfterBackoff as connect, rig, type Sent } from "../session/harness";

const CONFIG_TOPIC = "homeassistant/device/dev-1/config";
const CONFIG = JSON.stringify({
  dev: { ids: ["dev-1"], name: "dev-1", mf: "espruino-mqtt-sensor" },
  o: { name: "espruino-mqtt-sensor" },
  "~": "sensors/dev-1/",
  cmps: {
    t: {
      p: "sensor",
      dev_cla: "temperature",
      unit_of_meas: "°C",
      stat_t: "~temperature",
      val_tpl: "{{ value_json.temperature }}",
      uniq_id: "dev-1-t",
    },
  },
  pad: "x".repeat(300),
});

function setup() {
  const r = rig({ keepalive: 0, queueSize: 8 });
  let built = 0;
  const payload = () => {
    built++;
    return CONFIG;
  };
  const birth = announceToHomeAssistant(r.session, CONFIG_TOPIC, payload, (l) => r.logs.push(l));
  return { r, birth, built: () => built };
}

const configs = (sent: Sent[]) => sent.filter((p) => p.topic === CONFIG_TOPIC);

describe("Home Assistant discovery", () => {
  it("publishes the config retained at QoS 1 once, at the first CONNACK, and logs why", () => {
    const { r, built } = setup();
    expect(built()).toBe(0); // built only when it is sent
    const sent = configs(published(connect(r)));
    expect(sent).toHaveLength(1);
    expect(sent[0]).toMatchObject({ topic: CONFIG_TOPIC, qos: 1, retain: true });
    expect(sent[0].payload.toString("latin1")).toBe(CONFIG);
    expect(built()).toBe(1);
    expect(r.logs).toContain("[home-assistant] discovery config on " + CONFIG_TOPIC + " (first connect of this boot)");
  });

  it("does not publish it again at a reconnect", () => {
    const { r, built } = setup();
    let c = connect(r);
    expect(configs(published(c))).toHaveLength(1);
    for (let i = 0; i < 3; i++) {
      c.events.closed("cut");
      r.clock.advance(70000);
      c = connect(r);
      expect(configs(published(c))).toHaveLength(0);
    }
    expect(built()).toBe(1);
  });

  it("publishes it again when Home Assistant says online (a live birth message)", () => {
    const { r, birth, built } = setup();
    const c = connect(r);
    published(c);
    birth("online", false);
    const sent = configs(published(c));
    expect(sent).toHaveLength(1);
    expect(sent[0]).toMatchObject({ qos: 1, retain: true });
    expect(built()).toBe(2);
    expect(r.logs).toContain("[home-assistant] discovery config on " + CONFIG_TOPIC + " (Home Assistant is online)");
    birth("online", false);
    expect(configs(published(c))).toHaveLength(1); // every live one
  });

  it("ignores the retained birth message once announced (the broker sends it at every subscribe)", () => {
    const { r, birth, built } = setup();
    const c = connect(r);
    published(c);
    birth("online", true);
    expect(configs(published(c))).toHaveLength(0);
    expect(built()).toBe(1);
  });

  it.each(["offline", "Online", "online\n", "", '{"state":"online"}'])("does nothing for the payload %j", (payload) => {
    const { r, birth, built } = setup();
    const c = connect(r);
    published(c);
    const logs = r.logs.length;
    birth(payload, false);
    birth(payload, true);
    expect(configs(published(c))).toHaveLength(0);
    expect(built()).toBe(1);
    expect(r.logs.slice(logs).filter((l) => l.startsWith("[home-assistant]"))).toEqual([]);
  });

  it("a retained birth message before the first CONNACK announces, and the CONNACK does not announce twice", () => {
    const { r, birth, built } = setup();
    birth("online", true);
    expect(r.session.queued()).toBe(1);
    expect(configs(published(connect(r)))).toHaveLength(1);
    expect(built()).toBe(1);
  });

  it("queues the config at the CONNACK before what a later listener queues then (the readings)", () => {
    const { r } = setup();
    r.session.listen(
      byEvent({ connected: () => r.session.publish("sensors/dev-1/temperature", '{"seq":1}', 1, false, 1) }),
    );
    const sent = published(connect(r));
    expect(sent.map((p) => p.topic)).toEqual(["sensors/dev-1/status", CONFIG_TOPIC, "sensors/dev-1/temperature"]);
  });
});
