/**
 * The settings baked into a bundle at build time (tools/build/ resolves and checks them).
 * Wire strings are UTF-8 byte strings, encoded on the host: the device needs no Unicode.
 */
import type { WireString } from "../src/mqtt/packets";
import type { PayloadFormat } from "../src/app/reading";
import type { SimulatedSensorOptions } from "../src/app/simulated-sensor";
import type { Ds18b20Options } from "../src/app/ds18b20";
import type { RuntimeRule } from "../src/app/runtime-settings";
import type { FixedSubscribe } from "../src/session/fixed-subscriptions";

/** A driver's options (boards/<name>.json `sensor`, less `type`): ds18b20, simulated, or none (internal). */
export type SensorOptions = Ds18b20Options | SimulatedSensorOptions | Record<string, never>;

/** DER certificates (binary strings) for `mqtts://`, in the form Espruino's tls module takes. */
export interface TlsCredentials {
  ca?: string;
  cert?: string;
  key?: string;
}

/** Field names match SessionOptions: the firmware hands the session its fields by name. */
export interface FirmwareConfig {
  board: string;
  /** The broker URL as the console shows it: the password masked. */
  brokerLabel: string;
  host: string;
  port: number;
  /** Present for `mqtts://`. */
  tls?: TlsCredentials;
  /** With TLS on the Linux build: JsVars to grow the pool by first (boards/<name>.json). */
  tlsPoolGrowthVars?: number;
  clientId: WireString;
  /** The CONNECT packet as a binary string, encoded by the build (client id, credentials, Will). */
  connectPacket: WireString;
  keepalive: number;
  /** PUBLISHes sent and not yet acknowledged at one time. */
  inflightWindow: number;
  /** PUBLISHes go right after CONNECT, before the CONNACK (battery mode). */
  eager: boolean;
  /** Reconnect delays: full jitter from 1 s up to RECONNECT_MAX_MS. */
  backoff: { baseMs: number; capMs: number; minMs: number };
  publishIntervalMs: number;
  /** WATCHDOG_S: the hardware watchdog's timeout, s; 0 off. */
  watchdogS: number;
  /** SLEEP_MS: battery mode's period, ms (wake, deliver, deep-sleep); 0 stays awake. */
  sleepMs: number;
  /** AWAKE_MAX_MS: the longest a wake lasts, network or not, ms. */
  awakeMaxMs: number;
  /** Battery mode: retained `{"sleep_ms":..,"awake_max_ms":..}` on `<prefix>/<id>/schedule`, every wake. */
  schedule?: { topic: WireString; payload: WireString };
  /** Where readings go: `<prefix>/<id>/temperature`. */
  readingTopic: WireString;
  /** Retained `online` / `offline` (the Will) on `<prefix>/<id>/status`. */
  status: { topic: WireString; online: WireString; offline: WireString };
  /** Retained health JSON at each connect and every `everyMs` (DIAGNOSTICS_MS; 0: at connects only). */
  diagnostics: { topic: WireString; everyMs: number };
  /** Set messages (JSON, setting names as keys) arrive here: `<prefix>/<id>/set`. */
  setTopic: WireString;
  /** Always-on builds: the SUBSCRIBE to the set topic (and Home Assistant's birth topic), baked. */
  subscribe?: FixedSubscribe;
  /** package.json's version, in diagnostics and the discovery config. */
  firmwareVersion: string;
  /** HA_DISCOVERY on: the device config, where it goes, and Home Assistant's birth topic. */
  discovery?: { topic: WireString; birthTopic: WireString; payload: WireString };
  /** What a set message may change, and the bounds (the build's own). */
  runtimeRules: RuntimeRule[];
  /** The payload's fixed parts. */
  format: PayloadFormat;
  /** Segment files of the durable store (STORE_READINGS, rounded up, plus the ring's spare). */
  storeSegments: number;
  /** Present on boards with Wi-Fi. */
  wifi?: { ssid: string; password: string; sntpServer: string };
  /** LOG_LEVEL: `debug` adds a line per packet and per delivery (build flag LOG_DEBUG). */
  logLevel: "error" | "info" | "debug";
  /** The board's sensor driver options (boards/<name>.json, `sensor`). */
  sensor: SensorOptions;
}

/** The config as the device's `virtual:config` default export has it: TLS is in named exports. */
export type DeviceConfig = Omit<
  FirmwareConfig,
  "tls" | "tlsPoolGrowthVars" | "logLevel" | "sleepMs" | "awakeMaxMs" | "schedule" | "discovery" | "runtimeRules"
>;
