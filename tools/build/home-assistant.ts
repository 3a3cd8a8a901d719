/**
 * Home Assistant's device discovery config for one build (its MQTT integration's "device
 * discovery": one retained message carries the device, the origin and every entity). Built here,
 * on the host, as UTF-8 text: the device only sends it.
 *
 * Shared keys (availability, QoS) sit at the top and every component inherits them; the
 * temperature reads the reading topic, the diagnostic entities the diagnostics topic.
 */
import { readFileSync } from "node:fs";
import { utf8Encode } from "../../src/mqtt/utf8";
import type { WireString } from "../../src/mqtt/packets";
import type { Board } from "./boards";
import type { Settings } from "./settings";
import { QUANTITY } from "./quantity";

export const FIRMWARE_NAME = "espruino-mqtt-sensor";
export const FIRMWARE_VERSION: string = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")).version;

export interface DiscoveryBuild {
  topic: WireString;
  birthTopic: WireString;
  /** The config as UTF-8 bytes in a binary string. */
  payload: WireString;
}

/** Home Assistant's object ids and unique ids take letters, digits, `_` and `-`. */
export function haObjectId(deviceId: string): string {
  return deviceId.replace(/[^A-Za-z0-9_-]/g, "_");
}

/**
 * A diagnostic entity: one field of the diagnostics JSON. Keys are Home Assistant's documented
 * abbreviations (`stat_t` for state_topic, ...; HA_ABBREVIATIONS below) and topics start from
 * the `~` base: the config is RAM on the device while it is sent.
 */
function diagnostic(id: string, name: string, field: string, extra: Record<string, unknown>): Record<string, unknown> {
  return { p: "sensor", name, uniq_id: id + "_" + field, ent_cat: "diagnostic", stat_t: "~diagnostics", val_tpl: "{{value_json." + field + "}}", ...extra };
}

/** The abbreviations used here, and the keys Home Assistant expands them to. */
export const HA_ABBREVIATIONS: Record<string, string> = {
  "~": "~",
  avty_t: "availability_topic",
  pl_avail: "payload_available",
  pl_not_avail: "payload_not_available",
  cmps: "components",
  dev: "device",
  o: "origin",
  p: "platform",
  uniq_id: "unique_id",
  dev_cla: "device_class",
  stat_cla: "state_class",
  unit_of_meas: "unit_of_measurement",
  stat_t: "state_topic",
  val_tpl: "value_template",
  ent_cat: "entity_category",
  exp_aft: "expire_after",
  ids: "identifiers",
  mf: "manufacturer",
  mdl: "model",
  sw: "sw_version",
};

/**
 * The discovery config (a plain object, before JSON), for the build and the tests. `base` is the
 * device's topic prefix, `<prefix>/<id>/`, that every topic here starts with.
 */
export function discoveryConfig(board: Board, s: Settings, base: string): Record<string, unknown> {
  const id = haObjectId(s.deviceId);
  const key = QUANTITY.key;
  const reading: Record<string, unknown> = {
    p: "sensor",
    name: QUANTITY.name,
    uniq_id: id + "_" + key,
    dev_cla: QUANTITY.deviceClass,
    stat_cla: "measurement",
    unit_of_meas: QUANTITY.unit,
    stat_t: "~" + key,
    val_tpl: "{{value_json." + key + "}}",
  };
  // Battery mode: unavailable after two missed wakes (a reading every period, plus the wake's longest).
  if (s.sleepMs > 0) reading.exp_aft = Math.ceil((2 * s.sleepMs + s.awakeMaxMs) / 1000);
  const components: Record<string, unknown> = {
    [key]: reading,
    free_memory: diagnostic(id, "Free memory", "free", { unit_of_meas: "JsVars", stat_cla: "measurement" }),
    uptime: diagnostic(id, "Uptime", "uptime", { dev_cla: "duration", unit_of_meas: "s" }),
    reconnects: diagnostic(id, "Reconnects", "reconnects", { stat_cla: "total_increasing" }),
    waiting: diagnostic(id, "Readings waiting", "stored", { stat_cla: "measurement" }),
  };
  if (board.network === "wifi") components.wifi_signal = diagnostic(id, "Wi-Fi signal", "rssi", { dev_cla: "signal_strength", unit_of_meas: "dBm", stat_cla: "measurement" });
  return {
    "~": base,
    dev: { ids: [id], name: s.deviceId, mf: "Espruino", mdl: board.name + " board, " + board.sensor.type + " sensor", sw: FIRMWARE_VERSION },
    o: { name: FIRMWARE_NAME, sw: FIRMWARE_VERSION },
    avty_t: "~status",
    pl_avail: "online",
    pl_not_avail: "offline",
    qos: 1,
    cmps: components,
  };
}

export function discoveryBuild(board: Board, s: Settings, base: string): DiscoveryBuild | undefined {
  if (!s.haDiscovery) return undefined;
  return {
    topic: utf8Encode(s.haDiscoveryPrefix + "/device/" + haObjectId(s.deviceId) + "/config"),
    birthTopic: utf8Encode(s.haDiscoveryPrefix + "/status"),
    payload: utf8Encode(JSON.stringify(discoveryConfig(board, s, base))),
  };
}
