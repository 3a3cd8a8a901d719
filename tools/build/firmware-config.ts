/** Turns checked settings into the FirmwareConfig baked into a bundle: wire strings encoded here, on the host. */
import { utf8Encode } from "../../src/mqtt/utf8";
import { encodePublish } from "../../src/mqtt/encode";
import { sessionConnectPacket, type SessionIdentity } from "../../src/session/connect-packet";
import type { WireString } from "../../src/mqtt/packets";
import type { FirmwareConfig, SensorOptions } from "../../firmware/config";
import type { Board } from "./boards";
import { integerBounds } from "./settings-schema";
import { DIAGNOSTICS_MIN_MS, maskedUrl, settingsError, storeSegments, type Settings } from "./settings";
import { discoveryBuild, FIRMWARE_VERSION } from "./home-assistant";
import { SENSOR_DRIVERS } from "./boards";
import type { RuntimeRule } from "../../src/app/runtime-settings";
import { fixedSubscribePacket } from "../../src/session/fixed-subscriptions";
import { checkTlsFiles, readPemBlock } from "./tls-files";
import { QUANTITY } from "./quantity";

/**
 * A PEM file's first block as DER in a binary string, the form Espruino's tls module takes. The
 * block is decoded strictly (tools/build/tls-files.ts): garbage base64 is refused, not skipped.
 */
export function pemFileToDer(file: string, setting: string): string {
  return readPemBlock(file, setting).der.toString("latin1");
}

/** The TLS files' problems (a key that is not the certificate's, a CA that is not one, ...) as one SettingsError. */
function checkTls(board: Board, s: Settings): void {
  const { problems } = checkTlsFiles(s);
  if (problems.length) throw settingsError(`bad settings for board "${board.name}"`, problems);
}

/**
 * PUBLISHes in flight at once. One: a window of 2 drained no faster on the Linux interpreter, on
 * loopback (the client's JavaScript is the limit) or across a 20 ms round trip (docs/benchmarks.md,
 * figure 5), and each more holds another reading in RAM until its PUBACK.
 */
export const IN_FLIGHT_WINDOW = 1;

/** JSON string text for a JS string, as UTF-8 bytes (so no \u escapes of non-ASCII). */
function jsonString(text: string): string {
  return utf8Encode(JSON.stringify(text));
}

/**
 * The device sends CONNECT as the build encodes it here, and serializes its PUBLISHes without
 * checks (every byte of checking code is RAM there): so the build encodes them once, with the
 * checks, and fails on what would be a bad packet.
 */
function encodePackets(board: string, identity: SessionIdentity, topics: WireString[]): WireString {
  try {
    for (const topic of topics) encodePublish({ topic, payload: "", qos: 1, dup: false, retain: false, id: 1 });
    return Buffer.from(sessionConnectPacket(identity)).toString("latin1");
  } catch (e) {
    const why = (e as Error).message;
    const setting = /user name|password/.test(why) ? "MQTT_URL" : /client id/i.test(why) ? "DEVICE_ID" : "TOPIC_PREFIX, DEVICE_ID";
    throw settingsError(`bad settings for board "${board}"`, [`${setting}: ${why}`]);
  }
}

/** The settings a set message may change, with the bounds this build checks them against. */
export function runtimeRules(board: Board): RuntimeRule[] {
  const interval = integerBounds("PUBLISH_INTERVAL_MS", board);
  const driver = board.sensor && SENSOR_DRIVERS[board.sensor.type];
  const diagnostics = integerBounds("DIAGNOSTICS_MS", board);
  return [
    { name: "PUBLISH_INTERVAL_MS", min: Math.max(interval.min, (driver && driver.minIntervalMs) || 0), max: interval.max },
    { name: "DIAGNOSTICS_MS", min: DIAGNOSTICS_MIN_MS, max: diagnostics.max, zero: true },
  ];
}

export function firmwareConfig(board: Board, s: Settings): FirmwareConfig {
  const url = s.mqttUrl;
  const tls = url.protocol === "mqtts:";
  const prefix = utf8Encode(s.topicPrefix + "/" + s.deviceId + "/");
  if (tls) checkTls(board, s);
  const username = url.username ? decodeURIComponent(url.username) : undefined;
  const password = url.password ? decodeURIComponent(url.password) : undefined;
  const clientId = utf8Encode(s.deviceId);
  const status = { topic: prefix + "status", online: "online", offline: "offline" };
  const readingTopic = prefix + QUANTITY.key;
  const discovery = discoveryBuild(board, s, s.topicPrefix + "/" + s.deviceId + "/");
  // Battery mode: the period, retained, so a consumer can tell a device that missed its wake.
  const schedule = s.sleepMs > 0 ? { topic: prefix + "schedule", payload: JSON.stringify({ sleep_ms: s.sleepMs, awake_max_ms: s.awakeMaxMs }) } : undefined;
  return {
    board: board.name,
    brokerLabel: utf8Encode(maskedUrl(url)),
    host: url.hostname.replace(/^\[|\]$/g, ""),
    port: url.port ? Number(url.port) : tls ? 8883 : 1883,
    tls: tls
      ? {
          ca: s.caFile ? pemFileToDer(s.caFile, "MQTT_CA") : undefined,
          cert: s.certFile ? pemFileToDer(s.certFile, "MQTT_CERT") : undefined,
          key: s.keyFile ? pemFileToDer(s.keyFile, "MQTT_KEY") : undefined,
        }
      : undefined,
    tlsPoolGrowthVars: tls ? board.tlsPoolGrowthVars : undefined,
    clientId,
    connectPacket: encodePackets(board.name, {
      clientId,
      username: username === undefined ? undefined : utf8Encode(username),
      password: password === undefined ? undefined : utf8Encode(password),
      keepalive: s.keepaliveS,
      status,
    }, [status.topic, readingTopic, prefix + "diagnostics", ...(schedule ? [schedule.topic] : []), ...(discovery ? [discovery.topic] : [])]),
    keepalive: s.keepaliveS,
    // Battery mode: `online`, the schedule and the first reading all go with the CONNECT.
    inflightWindow: s.sleepMs > 0 ? 3 : IN_FLIGHT_WINDOW,
    // Battery mode: PUBLISHes right after CONNECT, a round trip less per wake.
    eager: s.sleepMs > 0,
    backoff: { baseMs: Math.min(1000, s.reconnectMaxMs), capMs: s.reconnectMaxMs, minMs: 100 },
    publishIntervalMs: s.publishIntervalMs,
    watchdogS: s.watchdogS,
    sleepMs: s.sleepMs,
    schedule,
    awakeMaxMs: s.awakeMaxMs,
    readingTopic,
    status,
    diagnostics: { topic: prefix + "diagnostics", everyMs: s.diagnosticsMs },
    setTopic: prefix + "set",
    // Battery mode's wakes are too short to wait for messages: no subscriptions there.
    subscribe: s.sleepMs > 0 ? undefined : fixedSubscribePacket([prefix + "set", ...(discovery ? [discovery.birthTopic] : [])]),
    firmwareVersion: FIRMWARE_VERSION,
    discovery,
    runtimeRules: runtimeRules(board),
    format: { prefix: '{"device":' + jsonString(s.deviceId) + ',"seq":', valueKey: "," + jsonString(QUANTITY.key) + ":" },
    storeSegments: storeSegments(s.storeReadings),
    logLevel: s.logLevel,
    wifi: board.network === "wifi" ? { ssid: utf8Encode(s.wifiSsid ?? ""), password: utf8Encode(s.wifiPassword ?? ""), sntpServer: s.sntpServer } : undefined,
    // The driver options without `type`: the build chose the driver by it, and
    // tools/build/boards.ts checked the options against that driver.
    sensor: Object.fromEntries(Object.entries(board.sensor).filter(([k]) => k !== "type")) as SensorOptions,
  };
}

/** JavaScript source for a value, ASCII only: every char above 0x7e becomes an \xNN escape. */
export function asciiSource(value: unknown): string {
  return JSON.stringify(value, (_k, v) => (v === undefined ? undefined : v)).replace(/[\u007f-\uffff]/g, (c) => {
    const code = c.charCodeAt(0);
    if (code > 255) throw new Error("asciiSource: char above 0xff in a wire string");
    return "\\x" + code.toString(16).padStart(2, "0");
  });
}
