/**
 * Build settings: the environment over a .env file over the board's defaults, each checked against
 * the schema (tools/build/settings-schema.ts), so a bad or missing one fails the build with its
 * name, one line per problem. Secrets never reach a message: not a password, not one in a URL.
 */
import { existsSync, readFileSync } from "node:fs";
import { isAbsolute, relative, resolve } from "node:path";
import { utf8Encode } from "../../src/mqtt/utf8";
import { topicNameError } from "../../src/mqtt/topic";
import { sensorIntervalError, type Board } from "./boards";
import { parseEnvText } from "./env-file";
import { settingsError } from "./errors";
import { boardDefault, integerBounds, SETTINGS, settingSpec, type SettingName, type SettingSpec } from "./settings-schema";
import { maxStoreReadings as maxReadings, READINGS_PER_SEGMENT, SEGMENT_FILE_BYTES, STORAGE_RESERVE_BYTES, storeSegments as segmentsFor } from "./store-size";

export type { SettingName } from "./settings-schema";
export { SettingsError, settingsError } from "./errors";

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
  /** Hardware watchdog timeout, s; 0 off. */
  watchdogS: number;
  /** Battery mode: wake every this many ms, deliver, deep-sleep; 0 stays awake. */
  sleepMs: number;
  /** Battery mode: the longest a wake lasts, ms. */
  awakeMaxMs: number;
  /** Home Assistant discovery on, and its topic prefix. */
  haDiscovery: boolean;
  haDiscoveryPrefix: string;
  /** Diagnostics every this many ms (and at each connect); 0: at connects only. */
  diagnosticsMs: number;
  wifiSsid?: string;
  wifiPassword?: string;
  /** PEM files for mqtts:// (paths as given). */
  caFile?: string;
  certFile?: string;
  keyFile?: string;
}

/** The shortest watchdog the supervisor's 5-second kicks stay inside, with a blocking connect. */
export const WATCHDOG_MIN_S = 10;

/** The shortest battery-mode period: a wake takes a reading, which may be retried a second apart. */
export const SLEEP_MIN_MS = 2000;

/** The shortest DIAGNOSTICS_MS but 0: each one is a retained message of a few hundred bytes. */
export const DIAGNOSTICS_MIN_MS = 10000;

/** Every setting, in the schema's order. */
export const SETTING_NAMES = SETTINGS.map((s) => s.name) as readonly SettingName[];

/** Variables the tools read beside the settings: no "unknown setting" warning for them in .env. */
export const TOOL_VARIABLES = ["BOARD", "ESPRUINO", "WATCH_PORT", "BROKER_PORT", "DEBUG"] as const;

export interface EnvValues {
  /** The file read, as given (ENV_FILE, or .env), or undefined when there is none. */
  file?: string;
  values: Record<string, string>;
  warnings: string[];
}

/**
 * The env file the build reads: ENV_FILE (relative to `root`), which must exist, or `root`/.env,
 * which may not. Throws a SettingsError naming every malformed line; unknown keys are warnings.
 */
export function loadEnv(env: Record<string, string | undefined>, root: string): EnvValues {
  const explicit = env.ENV_FILE;
  const file = resolve(root, explicit || ".env");
  const label = explicit ? `ENV_FILE=${explicit}` : displayPath(file);
  if (!existsSync(file)) {
    if (explicit) throw settingsError("bad settings", [`${label}: no such file (unset ENV_FILE to read .env, or give the path from the repository root)`]);
    return { values: {}, warnings: [] };
  }
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (e) {
    throw settingsError("bad settings", [`${label}: cannot read it: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`]);
  }
  const parsed = parseEnvText(text, [...SETTING_NAMES, ...TOOL_VARIABLES]);
  const where = explicit ? explicit : displayPath(file);
  if (parsed.problems.length) throw settingsError(`bad ${where}`, parsed.problems.map((p) => `${where} ${p}`));
  return { file: where, values: parsed.values, warnings: parsed.warnings.map((w) => `${where} ${w}`) };
}

/** Reads `file` (KEY=value lines) if it exists; throws a SettingsError naming each malformed line. */
export function readEnvFile(file: string): Record<string, string> {
  if (!existsSync(file)) return {};
  return loadEnv({ ENV_FILE: file }, "/").values;
}

function displayPath(file: string): string {
  const rel = relative(process.cwd(), file);
  return rel && !rel.startsWith("..") && !isAbsolute(rel) ? rel : file;
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

/** Checks raw values for `board`; throws one SettingsError that names every bad setting, one a line. */
export function resolveSettings(board: Board, raw: Partial<Record<SettingName, string>>): Settings {
  const problems: string[] = [];
  const bad = (name: SettingName, why: string) => problems.push(`${name}: ${why}`);
  const isWifi = board.network === "wifi";
  /** A setting's value, or its default; checked against the schema (required, type, range). */
  const value = (name: SettingName): string | undefined => {
    const spec: SettingSpec = settingSpec(name);
    const text = raw[name] ?? spec.default;
    if (text === undefined) {
      if (spec.required === "always" || (spec.required === "wifi" && isWifi)) bad(name, "missing (set it in the environment or in .env)");
      return undefined;
    }
    const shown = spec.secret === "value" ? "the value" : `"${text}"`;
    try {
      utf8Encode(text);
    } catch (e) {
      bad(name, (e as Error).message);
      return text;
    }
    if (spec.type === "integer") {
      const { min, max } = integerBounds(name, board);
      if (name === "STORE_READINGS" && /^\d+$/.test(text) && Number(text) > max) bad(name, storeTooLarge(Number(text), board));
      else if (!/^\d+$/.test(text) || Number(text) < min || Number(text) > max) bad(name, `${shown} is not a whole number from ${min} to ${max}`);
    }
    if (spec.type === "choice" && !spec.choices!.includes(text)) bad(name, `${shown} must be ${spec.choices!.slice(0, -1).join(", ")} or ${spec.choices!.at(-1)}`);
    if (spec.type === "host" && !/^[A-Za-z0-9.-]+$/.test(text)) bad(name, `${shown} is not a host name or IPv4 address`);
    return text;
  };
  const integer = (name: SettingName) => Number(value(name));

  let mqttUrl = new URL("mqtt://invalid");
  const urlText = value("MQTT_URL");
  if (urlText !== undefined) {
    const parsed = parseMqttUrl(urlText);
    if (typeof parsed === "string") bad("MQTT_URL", parsed);
    else mqttUrl = parsed;
  }

  const deviceId = value("DEVICE_ID") ?? "";
  if (deviceId && /[/+#]/.test(deviceId)) bad("DEVICE_ID", `"${deviceId}" must not contain '/', '+' or '#' (it is a topic level)`);
  if (deviceId && utf8Length(deviceId) > 128) bad("DEVICE_ID", "longer than 128 bytes");

  const topicPrefix = value("TOPIC_PREFIX") ?? "sensors";
  if (topicNameError(topicPrefix) || /^\/|\/$|\/\//.test(topicPrefix)) bad("TOPIC_PREFIX", `"${topicPrefix}" must be topic levels without wildcards or empty levels`);

  const wifiSsid = value("WIFI_SSID");
  if (wifiSsid !== undefined && utf8Length(wifiSsid) > 32) bad("WIFI_SSID", "longer than 32 bytes");
  const wifiPassword = value("WIFI_PASSWORD");
  if (isWifi && wifiPassword !== undefined && (wifiPassword.length < 8 || wifiPassword.length > 64)) {
    bad("WIFI_PASSWORD", `must be 8 to 64 characters (WPA2), or unset for an open network (it has ${wifiPassword.length})`);
  }

  const logLevel = value("LOG_LEVEL") ?? "info";
  const sntpServer = value("SNTP_SERVER") ?? "pool.ntp.org";

  const tls = mqttUrl.protocol === "mqtts:";
  for (const name of ["MQTT_CA", "MQTT_CERT", "MQTT_KEY"] as const) {
    if (raw[name] !== undefined && !tls && urlText !== undefined) bad(name, "only applies to mqtts:// URLs");
  }
  if ((raw.MQTT_CERT === undefined) !== (raw.MQTT_KEY === undefined)) bad(raw.MQTT_CERT ? "MQTT_KEY" : "MQTT_CERT", "MQTT_CERT and MQTT_KEY go together (two-way TLS)");

  const settings: Settings = {
    mqttUrl,
    deviceId,
    topicPrefix,
    publishIntervalMs: integer("PUBLISH_INTERVAL_MS"),
    keepaliveS: integer("KEEPALIVE_S"),
    storeReadings: integer("STORE_READINGS"),
    reconnectMaxMs: integer("RECONNECT_MAX_MS"),
    watchdogS: integer("WATCHDOG_S"),
    sleepMs: integer("SLEEP_MS"),
    awakeMaxMs: integer("AWAKE_MAX_MS"),
    haDiscovery: (value("HA_DISCOVERY") ?? "on") === "on",
    haDiscoveryPrefix: value("HA_DISCOVERY_PREFIX") ?? "homeassistant",
    diagnosticsMs: integer("DIAGNOSTICS_MS"),
    wifiSsid: isWifi ? wifiSsid : undefined,
    wifiPassword: isWifi ? wifiPassword : undefined,
    sntpServer,
    logLevel: logLevel as Settings["logLevel"],
    caFile: raw.MQTT_CA,
    certFile: raw.MQTT_CERT,
    keyFile: raw.MQTT_KEY,
  };
  if (settings.watchdogS > 0 && settings.watchdogS < WATCHDOG_MIN_S) {
    bad("WATCHDOG_S", `0 (off) or at least ${WATCHDOG_MIN_S}: the supervisor kicks it every 5 s and a connect can block for 3 s (got ${settings.watchdogS})`);
  }
  if (settings.sleepMs > 0 && settings.sleepMs < SLEEP_MIN_MS) bad("SLEEP_MS", `0 (stay awake) or at least ${SLEEP_MIN_MS} (got ${settings.sleepMs})`);
  if (settings.diagnosticsMs > 0 && settings.diagnosticsMs < DIAGNOSTICS_MIN_MS) bad("DIAGNOSTICS_MS", `0 (at connects only) or at least ${DIAGNOSTICS_MIN_MS} (got ${settings.diagnosticsMs})`);
  if (topicNameError(settings.haDiscoveryPrefix) || /^\/|\/$|\/\//.test(settings.haDiscoveryPrefix)) {
    bad("HA_DISCOVERY_PREFIX", `"${settings.haDiscoveryPrefix}" must be topic levels without wildcards or empty levels`);
  }
  const intervalWhy = sensorIntervalError(board, settings.publishIntervalMs);
  if (intervalWhy && !problems.some((p) => p.startsWith("PUBLISH_INTERVAL_MS:"))) bad("PUBLISH_INTERVAL_MS", intervalWhy);
  if (problems.length) throw settingsError(`bad settings for board "${board.name}"`, problems);
  return settings;
}

/** Why `n` readings do not fit the board's flash, with the numbers. */
function storeTooLarge(n: number, board: Board): string {
  const segments = segmentsFor(n);
  const k = (x: number) => x.toLocaleString("en-US");
  return (
    `${n} readings need ${segments} segments x ${k(SEGMENT_FILE_BYTES)} B = ${k(segments * SEGMENT_FILE_BYTES)} B; ` +
    `the ${board.name}'s Storage has room for at most ${k(maxReadings(board))} readings ` +
    `(${k(board.storageBytes)} B less ${k(STORAGE_RESERVE_BYTES)} B kept for .bootcde and Espruino's other files, ${READINGS_PER_SEGMENT} readings a segment)`
  );
}

const URL_SHAPE = "expected mqtt://[user[:pass]@]host[:port]";
const ENCODE_HINT =
  "characters / ? # @ : % and spaces in a user name or password must be percent-encoded: / as %2F, ? as %3F, # as %23, @ as %40, : as %3A, % as %25, space as %20";

/**
 * MQTT_URL checked by hand before WHATWG URL sees it (which takes the "/" of a password for the
 * path, and calls port 99999 "Invalid URL"): a problem (the URL masked), or the URL.
 */
export function parseMqttUrl(text: string): URL | string {
  const shown = maskUrlText(text);
  const m = /^([A-Za-z][A-Za-z0-9+.-]*):\/\/(.*)$/s.exec(text);
  if (!m) return `not a URL: ${shown} (${URL_SHAPE})`;
  const scheme = m[1].toLowerCase();
  if (scheme !== "mqtt" && scheme !== "mqtts") return `scheme must be mqtt:// or mqtts://, not ${scheme}:// (${shown})`;
  const rest = m[2];
  const at = rest.lastIndexOf("@");
  const userinfo = at >= 0 ? rest.slice(0, at) : undefined;
  const hostPort = (at >= 0 ? rest.slice(at + 1) : rest).replace(/\/$/, "");
  if (userinfo !== undefined) {
    const colon = userinfo.indexOf(":");
    const user = colon >= 0 ? userinfo.slice(0, colon) : userinfo;
    const password = colon >= 0 ? userinfo.slice(colon + 1) : undefined;
    for (const [what, part] of [["user name", user], ["password", password]] as const) {
      if (part === undefined) continue;
      if (/[/?#@\s]/.test(part)) return `${shown}: the ${what} holds a character that ends that part of a URL; ${ENCODE_HINT}`;
      if (/%(?![0-9A-Fa-f]{2})/.test(part)) return `${shown}: the ${what} holds a % that is not followed by two hex digits; write % as %25 (${ENCODE_HINT})`;
      try {
        decodeURIComponent(part);
      } catch {
        return `${shown}: the ${what}'s percent-encoding is not UTF-8 (%C3%A9 is é); ${ENCODE_HINT}`;
      }
    }
    if (password !== undefined && !user) return `${shown}: a password needs a user name`;
  }
  if (/[/?#]/.test(hostPort)) return `must be mqtt://[user[:pass]@]host[:port] with nothing after the port (${shown})`;
  const hp = /^(\[[0-9A-Fa-f:.]+\]|[^:[\]]*)(?::(.*))?$/.exec(hostPort);
  if (!hp) return `not a URL: ${shown} (${URL_SHAPE})`;
  const [, host, port] = hp;
  if (!host) return `has no host (${shown})`;
  if (!host.startsWith("[") && !/^[A-Za-z0-9.-]+$/.test(host)) return `the host "${host}" is not a host name or IP address (${shown})`;
  if (port !== undefined) {
    if (!/^\d+$/.test(port)) return `port "${port}" is not a number (${shown})`;
    if (Number(port) < 1 || Number(port) > 65535) return `port ${Number(port)} is out of range (1 .. 65535)`;
  }
  try {
    return new URL(text);
  } catch {
    return `not a URL: ${shown} (${URL_SHAPE})`;
  }
}

/** Readings the store can hold on `board`: its Storage less what the firmware and Espruino keep. */
export function maxStoreReadings(board: Board): number {
  return maxReadings(board);
}

/** Segment files for `readings` (rounded up to whole segments, plus the ring's spare one). */
export function storeSegments(readings: number): number {
  return segmentsFor(readings);
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

/** URL text with everything between the user name's ":" and the last "@" replaced by ***. */
export function maskUrlText(text: string): string {
  const m = /^([^:/]*:\/\/)(.*)$/s.exec(text);
  if (!m) return text.includes("@") ? "***" : text;
  const at = m[2].lastIndexOf("@");
  if (at < 0) return text;
  const userinfo = m[2].slice(0, at);
  const colon = userinfo.indexOf(":");
  return colon < 0 ? text : m[1] + userinfo.slice(0, colon) + ":***" + m[2].slice(at);
}

/** `text` with every secret of `raw` (passwords, the one in MQTT_URL) replaced by ***. */
export function withoutSecrets(text: string, raw: Record<string, string | undefined>): string {
  let out = text;
  for (const spec of SETTINGS as readonly SettingSpec[]) {
    const v = raw[spec.name];
    if (!v || !spec.secret) continue;
    const secrets = spec.secret === "value" ? [v] : urlPasswords(v);
    for (const s of secrets) if (s.length >= 3) out = out.split(s).join("***");
  }
  return out;
}

function urlPasswords(url: string): string[] {
  const m = /^[^:/]*:\/\/(.*)$/s.exec(url);
  if (!m) return [];
  const at = m[1].lastIndexOf("@");
  const colon = m[1].indexOf(":");
  if (at < 0 || colon < 0 || colon > at) return [];
  const password = m[1].slice(colon + 1, at);
  const out = [password];
  try {
    out.push(decodeURIComponent(password));
  } catch {
    // not decodable: the raw form is enough
  }
  return out;
}

/** The default of `name` on `board` (board file, then schema). */
export function defaultFor(name: SettingName, board: Board): string | undefined {
  return boardDefault(settingSpec(name), board);
}
