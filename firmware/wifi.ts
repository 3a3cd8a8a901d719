/** The network link on boards with Wi-Fi: Espruino's `Wifi` module, feeding the reconnect state machine. */
import type { Log, NetworkLink } from "../src/session/ports";

/** `wifi` is Espruino's `require("Wifi")`, passed in so the logic is testable off the board. */
export function wifiLink(wifi: WifiModule, ssid: string, password: string, log: Log): NetworkLink {
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
        if (!error) log("[wifi] connected");
        done(error || undefined);
      });
    },
    onDown(listener) {
      downListener = listener;
    },
  };
}
