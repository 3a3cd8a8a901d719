/** The two network links a board can name in boards/<name>.json (`network`). */
import { ALWAYS_UP, type Log, type NetworkLink } from "../src/session/ports";
import type { DeviceConfig } from "./config";
import { wifiLink } from "./wifi";

/** `"network": "wifi"`. */
/** `settings` is always set on a board whose network is Wi-Fi (tools/build/firmware-config.ts). */
export function createWifiNetwork(settings: DeviceConfig["wifi"], log: Log): NetworkLink {
  const wifi = settings as NonNullable<DeviceConfig["wifi"]>;
  return wifiLink(require("Wifi"), wifi.ssid, wifi.password, wifi.sntpServer, log, require("Storage"));
}

/** `"network": "none"`: Espruino's Linux build has no Wi-Fi; the host's network is up. */
export function createAlwaysUpNetwork(): NetworkLink {
  return ALWAYS_UP;
}
