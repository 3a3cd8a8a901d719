/**
 * Every build setting, once: its name, type, range, default (the board file may override it),
 * description and whether it is secret. tools/build/settings.ts checks values against it; the
 * README's settings table and .env.example are generated from it (`npm run docs:settings`), and
 * test/build/settings-schema.test.ts fails when either file disagrees with it.
 */
import type { Board } from "./boards";
import { STORE_MIN_READINGS, maxStoreReadings } from "./store-size";

export type SettingType = "url" | "text" | "integer" | "choice" | "host" | "file";

export interface SettingSpec {
  name: string;
  type: SettingType;
  /** integer: inclusive bounds; `max` may depend on the board (the store's size on its flash). */
  min?: number;
  max?: number | ((board: Board) => number);
  /** choice: the values taken. */
  choices?: readonly string[];
  /** Used when neither the environment, .env nor the board's `defaults` set it. */
  default?: string;
  /** Required when unset everywhere: on every board, or only on Wi-Fi boards. */
  required?: "always" | "wifi";
  /** Wi-Fi boards only (ignored elsewhere), or mqtts:// only (refused with mqtt://). */
  only?: "wifi" | "tls";
  /** A secret is never printed: a whole value, or the password inside a URL. */
  secret: false | "value" | "url-password";
  /** The README's "meaning" column (Markdown, one line). */
  description: string;
  /** .env.example's line; `commented`: shown as a comment (an optional setting). */
  example?: string;
  commented?: boolean;
}

export const SETTINGS = [
  {
    name: "MQTT_URL",
    type: "url",
    required: "always",
    secret: "url-password",
    description:
      "`mqtt://[user[:pass]@]host[:port]`, or `mqtts://` for TLS (ports 1883 / 8883); `/ ? # @ : %` and spaces in the user name or password percent-encoded (`%2F %3F %23 %40 %3A %25 %20`); the password is shown as `***`",
    example: "mqtt://user:password@192.168.1.10:1883",
  },
  {
    name: "DEVICE_ID",
    type: "text",
    required: "always",
    secret: false,
    description: "the MQTT client id and the topic level `<id>`; no `/`, `+`, `#`; at most 128 bytes",
    example: "greenhouse-1",
  },
  { name: "TOPIC_PREFIX", type: "text", default: "sensors", secret: false, description: "first topic levels (no wildcards, no empty levels)", example: "sensors" },
  {
    name: "PUBLISH_INTERVAL_MS",
    type: "integer",
    min: 100,
    max: 86400000,
    default: "10000",
    secret: false,
    description:
      "time between readings, ms; at least 1000 with a DS18B20, whose conversion takes up to 750 ms (a read that comes while one is under way is answered `busy`)",
    example: "10000",
  },
  {
    name: "KEEPALIVE_S",
    type: "integer",
    min: 5,
    max: 65535,
    default: "30",
    secret: false,
    description: "MQTT keepalive, s; the link is dead after 1.5 x this without a packet",
    example: "30",
  },
  {
    name: "STORE_READINGS",
    type: "integer",
    min: STORE_MIN_READINGS,
    max: maxStoreReadings,
    default: "6000",
    secret: false,
    description:
      "readings the durable flash store holds (sent or not; when full the oldest segment of 186 goes); each 186 take a 4 KB segment of the board's Storage, and the most is what its flash holds beside `.bootcde`",
    example: "8640",
  },
  {
    name: "RECONNECT_MAX_MS",
    type: "integer",
    min: 1000,
    max: 3600000,
    default: "60000",
    secret: false,
    description: "longest wait between reconnect attempts, ms (random, doubling from 1 s up to this); after a refused login, 1/2 to 1 x this",
    example: "60000",
  },
  {
    name: "WATCHDOG_S",
    type: "integer",
    min: 0,
    max: 3600,
    default: "0",
    secret: false,
    description:
      "hardware watchdog, s (0: off): the board resets when the firmware stops kicking it; the supervisor kicks it every 5 s while the MQTT session is healthy, so at least 10; readings wait in flash through the reset",
    example: "30",
    commented: true,
  },
  {
    name: "SLEEP_MS",
    type: "integer",
    min: 0,
    max: 86400000,
    default: "0",
    secret: false,
    description:
      "battery mode (0: stay awake): each wake takes one reading, connects, delivers everything stored, DISCONNECTs (no `offline`, no Will) and deep-sleeps for this many ms less the time awake; at least 2000; a failed read is retried twice, a second apart (`PUBLISH_INTERVAL_MS` is not used)",
    example: "300000",
    commented: true,
  },
  {
    name: "AWAKE_MAX_MS",
    type: "integer",
    min: 2000,
    max: 600000,
    default: "20000",
    secret: false,
    description: "battery mode: the longest a wake lasts, ms; without a network or broker by then it sleeps anyway, and the readings wait in flash",
    example: "20000",
    commented: true,
  },
  {
    name: "HA_DISCOVERY",
    type: "choice",
    choices: ["on", "off"],
    default: "on",
    secret: false,
    description:
      "Home Assistant MQTT discovery: a retained device config on `<HA_DISCOVERY_PREFIX>/device/<id>/config` once per boot (and again when Home Assistant announces itself), with the temperature and diagnostic entities",
    example: "on",
    commented: true,
  },
  {
    name: "HA_DISCOVERY_PREFIX",
    type: "text",
    default: "homeassistant",
    secret: false,
    description: "Home Assistant's discovery prefix (its MQTT integration's setting); its `<prefix>/status` `online` makes the device send its config again",
    example: "homeassistant",
    commented: true,
  },
  {
    name: "DIAGNOSTICS_MS",
    type: "integer",
    min: 0,
    max: 86400000,
    default: "300000",
    secret: false,
    description:
      "retained diagnostics JSON on `<prefix>/<id>/diagnostics`: at each connect and every this many ms (0: at connects only); at least 10000 otherwise; can be changed over MQTT",
    example: "300000",
    commented: true,
  },
  { name: "WIFI_SSID", type: "text", required: "wifi", only: "wifi", secret: false, description: "Wi-Fi network (2.4 GHz), at most 32 bytes", example: "my-network" },
  {
    name: "WIFI_PASSWORD",
    type: "text",
    only: "wifi",
    secret: "value",
    description: "8 .. 64 characters, or unset for an open network; a `#` after a space needs quotes in `.env` (`WIFI_PASSWORD=\"a #b\"`); shown as `***`",
    example: "my-wifi-password",
  },
  {
    name: "SNTP_SERVER",
    type: "host",
    default: "pool.ntp.org",
    only: "wifi",
    secret: false,
    description: "time server the board asks once on Wi-Fi, for the readings' `time`",
    example: "pool.ntp.org",
    commented: true,
  },
  {
    name: "LOG_LEVEL",
    type: "choice",
    choices: ["error", "info", "debug"],
    default: "info",
    secret: false,
    description: "console lines: `error`, `info` (state changes, errors, a line per reading, a summary every minute), `debug` (adds a line per packet and per delivery); lines left out are not in the bundle",
    example: "info",
    commented: true,
  },
  {
    name: "MQTT_CA",
    type: "file",
    only: "tls",
    secret: false,
    description: "`mqtts://` only: PEM file of the CA (checked, then embedded as DER at build time)",
    example: "certs/ca.pem",
    commented: true,
  },
  {
    name: "MQTT_CERT",
    type: "file",
    only: "tls",
    secret: false,
    description: "`mqtts://` only, with `MQTT_KEY`: PEM file of the client certificate (two-way TLS)",
    example: "certs/device.pem",
    commented: true,
  },
  {
    name: "MQTT_KEY",
    type: "file",
    only: "tls",
    secret: false,
    description: "`mqtts://` only, with `MQTT_CERT`: PEM file of its private key, unencrypted (keep it in `certs/`, which git ignores)",
    example: "certs/device.key",
    commented: true,
  },
] as const satisfies readonly SettingSpec[];

export type SettingName = (typeof SETTINGS)[number]["name"];

export function settingSpec(name: SettingName): SettingSpec {
  return SETTINGS.find((s) => s.name === name)!;
}

/** The inclusive bounds of an integer setting on `board`. */
export function integerBounds(name: SettingName, board: Board): { min: number; max: number } {
  const spec = settingSpec(name);
  if (spec.type !== "integer" || spec.min === undefined || spec.max === undefined) throw new Error(`${name} is not an integer setting`);
  return { min: spec.min, max: typeof spec.max === "function" ? spec.max(board) : spec.max };
}

/** The value `board` starts from: its file's `defaults`, else the schema's default. */
export function boardDefault(spec: SettingSpec, board: Board): string | undefined {
  return board.defaults[spec.name] ?? spec.default;
}

const thousands = (n: number) => n.toLocaleString("en-US");

/** "`a` (esp32), `b` (linux)", or "`a`" when every board agrees. */
function perBoard(boards: Board[], value: (b: Board) => string | undefined, empty: string): string {
  const values = boards.map(value);
  if (values.every((v) => v === values[0])) return values[0] === undefined ? empty : "`" + values[0] + "`";
  return "board: " + boards.map((b, i) => (values[i] === undefined ? empty : "`" + values[i] + "`") + ` (${b.name})`).join(", ");
}

function defaultCell(spec: SettingSpec, boards: Board[]): string {
  if (spec.required === "always" && boards.every((b) => b.defaults[spec.name] === undefined)) return "required";
  if (spec.required === "always") return perBoard(boards, (b) => b.defaults[spec.name], "required");
  if (spec.required === "wifi") {
    const wifi = boards.filter((b) => b.network === "wifi").map((b) => "`" + b.name + "`");
    return `required on Wi-Fi boards (${wifi.join(", ")})`;
  }
  return perBoard(boards, (b) => boardDefault(spec, b), "unset");
}

function rangeText(spec: SettingSpec, boards: Board[]): string {
  if (spec.type === "integer") {
    const max = spec.max!;
    const maxText = typeof max === "function" ? boards.map((b) => `${thousands(max(b))} (${b.name})`).join(", ") : thousands(max);
    return `${thousands(spec.min!)} .. ${maxText}`;
  }
  return "";
}

export const TABLE_START = "<!-- settings table: generated from tools/build/settings-schema.ts by `npm run docs:settings` -->";
export const TABLE_END = "<!-- end of settings table -->";

/** The README's settings table for `boards` (Markdown). */
export function settingsTable(boards: Board[]): string {
  const rows = SETTINGS.map((spec: SettingSpec) => {
    const range = rangeText(spec, boards);
    const meaning = (range && spec.type === "integer" ? `${range}: ` : "") + spec.description;
    return `| \`${spec.name}\` | ${defaultCell(spec, boards)} | ${meaning} |`;
  });
  return ["| setting | default | meaning |", "| --- | --- | --- |", ...rows].join("\n");
}

/** `readme` with the text between its table markers replaced by the table for `boards`. */
export function readmeWithSettingsTable(readme: string, boards: Board[]): string {
  const start = readme.indexOf(TABLE_START);
  const end = readme.indexOf(TABLE_END);
  if (start < 0 || end < start) throw new Error(`README.md: no settings table markers (${TABLE_START} ... ${TABLE_END})`);
  return readme.slice(0, start + TABLE_START.length) + "\n" + settingsTable(boards) + "\n" + readme.slice(end);
}

/** .env.example, from the schema: required and common settings set to placeholders, the rest commented. */
export function envExample(): string {
  const lines = [
    "# Copy to .env (gitignored) and fill in: KEY=value, one a line; the environment overrides this file.",
    "# Comments go on lines of their own. Quote a value with a space before a # in it: WIFI_PASSWORD=\"a #b\".",
    "# Every setting, its range and default: the README's settings table (from tools/build/settings-schema.ts).",
  ];
  let tls = false;
  for (const spec of SETTINGS as readonly SettingSpec[]) {
    if (spec.example === undefined) continue;
    if (spec.only === "tls" && !tls) {
      tls = true;
      lines.push("# For mqtts:// only (certs/ is gitignored):");
    }
    lines.push(`${spec.commented ? "# " : ""}${spec.name}=${spec.example}`);
  }
  return lines.join("\n") + "\n";
}
