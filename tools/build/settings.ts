/**
 * Build settings: the environment over a .env file over the board's defaults, each checked, so a
 * bad or missing one fails the build with its name. Secrets never reach a log unmasked.
 */
import { existsSync, readFileSync } from "node:fs";
import { parseEnv } from "node:util";
import { utf8Encode } from "../../src/mqtt/utf8";
import { topicNameError } from "../../src/mqtt/topic";
import { SEGMENT_BYTES, SLOTS } from "../../src/store/record";
import { sensorIntervalError, type Board } from "./boards";

/** Storage the store leaves to the firmware (.bootcde) and the rest: 64 KB. */
const STORAGE_RESERVE_BYTES = 65536;

export interface Settings {
  mqttUrl: URL;
  deviceId: string;
  topicPrefix: string;
  publishIntervalMs: number;
  keepaliveS: number;
  /** Readings the durable store must have room for. */
  storeReadings: number;
  sntpServer: string;
  logLevel: "error" | "info" | "debug";
  /** Longest wait between reconnect attempts, ms (the backoff's cap). */
  reconnectMaxMs: number;
  wifiSsid?: string;
  wifiPassword?: string;
  /** PEM files for mqtts:// (paths as given). */
  caFile?: string;
  certFile?: string;
  keyFile?: string;
}

/** Every setting, with what it is for: the README's table and the error messages come from here. */
export const SETTING_NAMES = [
  "MQTT_URL",
  "DEVICE_ID",
  "TOPIC_PREFIX",
  "PUBLISH_INTERVAL_MS",
  "KEEPALIVE_S",
  "STORE_READINGS",
  "RECONNECT_MAX_MS",
  "WIFI_SSID",
  "WIFI_PASSWORD",
  "SNTP_SERVER",
  "LOG_LEVEL",
  "MQTT_CA",
  "MQTT_CERT",
  "MQTT_KEY",
] as const;
type SettingName = (typeof SETTING_NAMES)[number];

export class SettingsError extends Error {}

/** Reads `file` (KEY=value lines) if it exists. */
export function readEnvFile(file: string): Record<string, string> {
  return existsSync(file) ? (parseEnv(readFileSync(file, "utf8")) as Record<string, string>) : {};
}

/** Raw values: `env` over `envFile` over the board's defaults; only known names are kept. */
export function rawSettings(board: Board, env: Record<string, string | undefined>, envFile: Record<string, string>): Partial<Record<SettingName, string>> {
  const raw: Partial<Record<SettingName, string>> = {};
  for (const name of SETTING_NAMES) {
    const value = env[name] ?? envFile[name] ?? board.defaults[name];
    if (value !== undefined && value !== "") raw[name] = value;
  }
  return raw;
}

/** Checks raw values for `board`; throws one SettingsError that names every bad setting. */
export function resolveSettings(board: Board, raw: Partial<Record<SettingName, string>>): Settings {
  const problems: string[] = [];
  const bad = (name: SettingName, why: string) => problems.push(`  ${name}: ${why}`);

  const integer = (name: SettingName, fallback: number, min: number, max: number): number => {
    const text = raw[name];
    if (text === undefined) return fallback;
    const n = Number(text);
    if (!/^\d+$/.test(text) || n < min || n > max) bad(name, `"${text}" is not a whole number from ${min} to ${max}`);
    return n;
  };
  const text = (name: SettingName, required: boolean): string | undefined => {
    const value = raw[name];
    if (value === undefined && required) bad(name, "missing (set it in the environment or in .env)");
    if (value !== undefined) {
      try {
        utf8Encode(value);
      } catch (e) {
        bad(name, (e as Error).message);
      }
    }
    return value;
  };

  let mqttUrl = new URL("mqtt://invalid");
  const urlText = text("MQTT_URL", true);
  if (urlText !== undefined) {
    try {
      mqttUrl = new URL(urlText);
      if (mqttUrl.protocol !== "mqtt:" && mqttUrl.protocol !== "mqtts:") bad("MQTT_URL", `scheme must be mqtt:// or mqtts://, not ${mqttUrl.protocol}//`);
      else if (!mqttUrl.hostname) bad("MQTT_URL", "has no host");
      else if ((mqttUrl.pathname && mqttUrl.pathname !== "/") || mqttUrl.search || mqttUrl.hash) bad("MQTT_URL", "must be mqtt://[user[:pass]@]host[:port] with nothing after the port");
      else if (mqttUrl.password && !mqttUrl.username) bad("MQTT_URL", "a password needs a user name");
    } catch {
      bad("MQTT_URL", `not a URL: ${maskUrlText(urlText)} (expected mqtt://[user[:pass]@]host[:port])`);
    }
  }

  const deviceId = text("DEVICE_ID", true) ?? "";
  if (deviceId && /[/+#]/.test(deviceId)) bad("DEVICE_ID", `"${deviceId}" must not contain '/', '+' or '#' (it is a topic level)`);
  if (deviceId && utf8Length(deviceId) > 128) bad("DEVICE_ID", "longer than 128 bytes");

  const topicPrefix = text("TOPIC_PREFIX", false) ?? "sensors";
  if (topicNameError(topicPrefix) || /^\/|\/$|\/\//.test(topicPrefix)) bad("TOPIC_PREFIX", `"${topicPrefix}" must be topic levels without wildcards or empty levels`);

  const isWifi = board.network === "wifi";
  const wifiSsid = text("WIFI_SSID", isWifi);
  if (wifiSsid !== undefined && utf8Length(wifiSsid) > 32) bad("WIFI_SSID", "longer than 32 bytes");
  const wifiPassword = text("WIFI_PASSWORD", false);
  if (wifiPassword !== undefined && (wifiPassword.length < 8 || wifiPassword.length > 64)) bad("WIFI_PASSWORD", "must be 8 to 64 characters (WPA2), or unset for an open network");

  const logLevel = text("LOG_LEVEL", false) ?? "info";
  if (!["error", "info", "debug"].includes(logLevel)) bad("LOG_LEVEL", `"${logLevel}" must be error, info or debug`);
  const sntpServer = text("SNTP_SERVER", false) ?? "pool.ntp.org";
  if (!/^[A-Za-z0-9.-]+$/.test(sntpServer)) bad("SNTP_SERVER", `"${sntpServer}" is not a host name or IPv4 address`);

  const tls = mqttUrl.protocol === "mqtts:";
  for (const name of ["MQTT_CA", "MQTT_CERT", "MQTT_KEY"] as const) {
    if (raw[name] !== undefined && !tls) bad(name, "only applies to mqtts:// URLs");
  }
  if ((raw.MQTT_CERT === undefined) !== (raw.MQTT_KEY === undefined)) bad(raw.MQTT_CERT ? "MQTT_KEY" : "MQTT_CERT", "MQTT_CERT and MQTT_KEY go together (two-way TLS)");

  const settings: Settings = {
    mqttUrl,
    deviceId,
    topicPrefix,
    publishIntervalMs: integer("PUBLISH_INTERVAL_MS", 10000, 100, 86400000),
    keepaliveS: integer("KEEPALIVE_S", 30, 5, 65535),
    storeReadings: integer("STORE_READINGS", 6000, 100, maxStoreReadings(board)),
    reconnectMaxMs: integer("RECONNECT_MAX_MS", 60000, 1000, 3600000),
    wifiSsid: isWifi ? wifiSsid : undefined,
    wifiPassword: isWifi ? wifiPassword : undefined,
    sntpServer,
    logLevel: logLevel as Settings["logLevel"],
    caFile: raw.MQTT_CA,
    certFile: raw.MQTT_CERT,
    keyFile: raw.MQTT_KEY,
  };
  const intervalWhy = sensorIntervalError(board, settings.publishIntervalMs);
  if (intervalWhy) bad("PUBLISH_INTERVAL_MS", intervalWhy);
  if (problems.length) throw new SettingsError(`bad settings for board "${board.name}":\n${problems.join("\n")}`);
  return settings;
}

/** Readings the store can hold on `board`: its Storage less what the firmware and Espruino keep. */
export function maxStoreReadings(board: Board): number {
  return (storeSegmentsFor(board.storageBytes - STORAGE_RESERVE_BYTES) - 1) * SLOTS;
}

/** Segment files for `readings` (rounded up to whole segments, plus the ring's spare one). */
export function storeSegments(readings: number): number {
  return Math.ceil(readings / SLOTS) + 1;
}

/** Segments that fit in `bytes` of Storage (each file has a 32-byte header). */
function storeSegmentsFor(bytes: number): number {
  return Math.floor(bytes / (SEGMENT_BYTES + 32));
}

function utf8Length(text: string): number {
  return utf8Encode(text).length;
}

/** The broker URL with any password replaced by ***, for logs. */
export function maskedUrl(url: URL): string {
  const copy = new URL(url.href);
  if (copy.password) copy.password = "***";
  return copy.href.replace(/\/$/, "");
}

function maskUrlText(text: string): string {
  return text.replace(/:\/\/([^:@/]*):[^@/]*@/, "://$1:***@");
}
