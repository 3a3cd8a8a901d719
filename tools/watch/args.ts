/**
 * `npm run watch -- [flags]`: flags over the firmware's settings (environment, then `.env`), so the
 * watcher finds the same broker, credentials and prefix as the device without being told twice.
 */
import { existsSync, readFileSync } from "node:fs";
import { parseArgs, parseEnv } from "node:util";

export interface WatchOptions {
  url: string;
  prefix: string;
  /** 0 picks a free port. */
  port: number;
  ca?: string;
  cert?: string;
  key?: string;
  /** Readings kept per device. */
  history: number;
  /** Seconds between a reading's `time` and its arrival beyond which it counts as late. */
  lateAfterS: number;
  /** Wait between reconnect attempts (not a flag: tests shorten it). */
  reconnectMs?: number;
}

export const DEFAULT_PORT = 8180;

export const HELP = `npm run watch -- [options]

Serves a live page on http://127.0.0.1:<port> that plots every device's readings under
<prefix>/+/... and audits their delivery (gaps, duplicates, out of order, late), with each
device's status and diagnostics. Settings not given as flags come from the environment, then
.env, as for the firmware (MQTT_URL, TOPIC_PREFIX, MQTT_CA, MQTT_CERT, MQTT_KEY).

  --url URL       broker, mqtt://[user[:pass]@]host[:port] or mqtts://...
                  (default: MQTT_URL, else mqtt://127.0.0.1:1883)
  --prefix P      topic prefix (default: TOPIC_PREFIX, else sensors)
  --port N        HTTP port on 127.0.0.1, 0 for any free one (default ${DEFAULT_PORT})
  --ca FILE       mqtts:// only: PEM file of the broker's CA (default: MQTT_CA)
  --cert FILE     mqtts:// only: client certificate, PEM, with --key (default: MQTT_CERT)
  --key FILE      mqtts:// only: client key, PEM (default: MQTT_KEY)
  --history N     readings kept in memory per device (default 50000)
  --late S        a reading arriving more than S seconds after its time is late (default 30)
  -h, --help      this text
`;

export class UsageError extends Error {}

/** Parsed options, or null when --help was asked for. Throws UsageError on a bad flag. */
export function parseWatchArgs(
  argv: string[],
  env: Record<string, string | undefined>,
  envFile = ".env",
): WatchOptions | null {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        url: { type: "string" },
        prefix: { type: "string" },
        port: { type: "string" },
        ca: { type: "string" },
        cert: { type: "string" },
        key: { type: "string" },
        history: { type: "string" },
        late: { type: "string" },
        help: { type: "boolean", short: "h" },
      },
    }));
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  if (values.help) return null;
  const file = existsSync(envFile) ? (parseEnv(readFileSync(envFile, "utf8")) as Record<string, string>) : {};
  const setting = (name: string) => env[name] || file[name] || undefined;
  const prefix = values.prefix ?? setting("TOPIC_PREFIX") ?? "sensors";
  if (!prefix || /[+#]/.test(prefix) || /^\/|\/$|\/\//.test(prefix))
    throw new UsageError(`--prefix "${prefix}" must be topic levels without wildcards or empty levels`);
  const url = values.url ?? setting("MQTT_URL") ?? "mqtt://127.0.0.1:1883";
  const tls = url.startsWith("mqtts:");
  // The firmware's TLS files apply only to an mqtts:// URL; flags given for mqtt:// are an error later.
  const tlsSetting = (name: string) => (tls ? setting(name) : undefined);
  return {
    url,
    prefix,
    port: integer("--port", values.port, DEFAULT_PORT, 0, 65535),
    ca: values.ca ?? tlsSetting("MQTT_CA"),
    cert: values.cert ?? tlsSetting("MQTT_CERT"),
    key: values.key ?? tlsSetting("MQTT_KEY"),
    history: integer("--history", values.history, 50_000, 10, 10_000_000),
    lateAfterS: integer("--late", values.late, 30, 0, 365 * 86400),
  };
}

function integer(flag: string, text: string | undefined, fallback: number, min: number, max: number): number {
  if (text === undefined) return fallback;
  const n = Number(text);
  if (!/^\d+$/.test(text) || n < min || n > max)
    throw new UsageError(`${flag} must be a whole number from ${min} to ${max}, not "${text}"`);
  return n;
}
