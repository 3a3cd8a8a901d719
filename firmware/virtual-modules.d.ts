/** Modules the build generates per board (tools/build/virtual-modules.ts). */

declare module "virtual:config" {
  import type { DeviceConfig, FirmwareConfig } from "./config";
  /** Every setting of DeviceConfig as an export of its own (tools/build/virtual-modules.ts). */
  export const board: DeviceConfig["board"];
  export const brokerLabel: DeviceConfig["brokerLabel"];
  export const host: DeviceConfig["host"];
  export const port: DeviceConfig["port"];
  export const clientId: DeviceConfig["clientId"];
  export const connectPacket: DeviceConfig["connectPacket"];
  export const keepalive: DeviceConfig["keepalive"];
  export const inflightWindow: DeviceConfig["inflightWindow"];
  export const eager: DeviceConfig["eager"];
  export const backoff: DeviceConfig["backoff"];
  export const publishIntervalMs: DeviceConfig["publishIntervalMs"];
  export const watchdogS: DeviceConfig["watchdogS"];
  export const readingTopic: DeviceConfig["readingTopic"];
  export const status: DeviceConfig["status"];
  export const diagnostics: DeviceConfig["diagnostics"];
  export const setTopic: DeviceConfig["setTopic"];
  export const subscribe: DeviceConfig["subscribe"];
  export const firmwareVersion: DeviceConfig["firmwareVersion"];
  export const format: DeviceConfig["format"];
  export const storeSegments: DeviceConfig["storeSegments"];
  export const wifi: DeviceConfig["wifi"];
  export const sensor: DeviceConfig["sensor"];
  /** config.tls and config.tlsPoolGrowthVars as constants, so a build without TLS drops its code. */
  export const tls: FirmwareConfig["tls"];
  export const tlsPoolGrowthVars: FirmwareConfig["tlsPoolGrowthVars"];
  /** SLEEP_MS and AWAKE_MAX_MS as constants: a build without battery mode drops its code. */
  export const sleepMs: FirmwareConfig["sleepMs"];
  export const awakeMaxMs: FirmwareConfig["awakeMaxMs"];
  export const schedule: FirmwareConfig["schedule"];
  /** HA_DISCOVERY: the config's text is a function's return value, built only when sent. */
  export const discoveryTopic: import("../src/mqtt/packets").WireString | undefined;
  export function discoveryPayload(): import("../src/mqtt/packets").WireString;
  export function runtimeRules(): FirmwareConfig["runtimeRules"];
}

/** The chip's deep sleep (`chip` in boards/<name>.json). */
declare module "virtual:sleep" {
  import type { DeepSleep } from "./sleep";
  export const deepSleep: DeepSleep;
}

/** The board's sensor driver, chosen by `sensor.type` in boards/<name>.json (checked by tools/build/boards.ts). */
declare module "virtual:sensor" {
  import type { TemperatureSensor } from "../src/app/sensor";
  import type { SensorOptions } from "./config";
  export function createSensor(options: SensorOptions): TemperatureSensor;
}

/** The board's network link: Wi-Fi, or always up. */
declare module "virtual:network" {
  import type { DeviceConfig } from "./config";
  import type { Log, NetworkLink } from "../src/session/ports";
  export function createNetwork(wifi: DeviceConfig["wifi"], log: Log): NetworkLink;
}
