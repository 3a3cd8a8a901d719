/** The network link on boards with Wi-Fi: Espruino's `Wifi` module, feeding the reconnect state machine. */
import type { Log, NetworkLink } from "../src/session/ports";

/**
 * `wifi` is Espruino's `require("Wifi")`, passed in so the logic is testable off the board.
 * Once joined, the clock is set from `sntpServer` (readings carry their time from then on).
 */
export function wifiLink(wifi: WifiModule, ssid: string, password: string, sntpServer: string, log: Log): NetworkLink {
  let up = false;
  let downListener: (reason: string) => void = () => {};
  wifi.on("connected", () => {
    up = true;
  });
  wifi.on("disconnected", (details) => {
    const wasUp = up;
    up = false;
    if (wasUp) downListener("Wi-Fi disconnected (" + (details && details.reason) + ")");
  });
  return {
    isUp: () => up,
    connect(done) {
      log("[wifi] connecting to " + ssid);
      wifi.connect(ssid, { password }, (error) => {
        up = !error;
        if (!error) {
          log("[wifi] connected");
          wifi.setSNTP(sntpServer, 0);
        }
        done(error || undefined);
      });
    },
    onDown(listener) {
      downListener = listener;
    },
    signal: () => (up ? wifi.getStatus().rssi : undefined),
  };
}
