/** The network link on boards with Wi-Fi: Espruino's `Wifi` module, feeding the reconnect state machine. */
import type { Log, NetworkLink } from "../src/session/ports";

/**
 * Where `Wifi.save()` keeps the station's SSID and password. An ESP32 that finds them there at
 * power-on or at a wake from deep sleep starts joining before the firmware runs
 * (docs/espruino-runtime.md, "Wi-Fi"); `Wifi.connect` would throw that join away and start again.
 */
const SAVED_WIFI = ".wificfg";
/**
 * How long the board's own join gets before the firmware starts one, ms: a join and DHCP take
 * 1 to 3 s, and the session's network deadline (10 s) leaves the firmware's join the rest.
 */
const BOARD_JOIN_MS = 5000;

/** The one Storage call the link makes. */
export interface SavedWifiStore {
  readJSON(name: string, noExceptions: true): unknown;
}

/**
 * Whether `.wificfg` holds these settings. A function of its own so that the file's object is not
 * kept: every local of wifiLink lives as long as the link does.
 */
function savedWifiIs(storage: SavedWifiStore, ssid: string, password: string): boolean {
  const saved = storage.readJSON(SAVED_WIFI, true) as { ssid?: unknown; password?: unknown } | undefined;
  return !!saved && saved.ssid === ssid && saved.password === password;
}

/**
 * `wifi` is Espruino's `require("Wifi")` and `storage` its `require("Storage")`, passed in so the
 * logic is testable off the board. Once joined, the clock is set from `sntpServer` (readings carry
 * their time from then on). The first join with these settings saves them, so that every later
 * start (a wake, a reset) joins while the firmware boots and takes its reading.
 */
export function wifiLink(
  wifi: WifiModule,
  ssid: string,
  password: string,
  sntpServer: string,
  log: Log,
  storage: SavedWifiStore,
): NetworkLink {
  let isSaved = savedWifiIs(storage, ssid, password);
  /** The board is joining with the saved settings; the first connect() waits for it. */
  let boardJoining = isSaved;
  let up = false;
  /** connect()'s callback while the board's join is waited for. */
  let waiting: ((error?: string) => void) | undefined;
  let waitTimer: ReturnType<typeof setTimeout> | undefined;
  let downListener: (reason: string) => void = () => {};

  function joined(done: (error?: string) => void): void {
    up = true;
    log("[wifi] connected");
    wifi.setSNTP(sntpServer, 0);
    done();
  }

  /** The board's join is over, either way: stop waiting; its outcome, or our own join. */
  function stopWaiting(): ((error?: string) => void) | undefined {
    const done = waiting;
    waiting = undefined;
    clearTimeout(waitTimer);
    return done;
  }

  function join(done: (error?: string) => void): void {
    log("[wifi] connecting to " + ssid);
    wifi.connect(ssid, { password }, (error) => {
      if (error) {
        up = false;
        return done(error);
      }
      if (!isSaved) {
        isSaved = true;
        wifi.save();
        log("[wifi] settings saved: the board joins with them at its next start");
      }
      joined(done);
    });
  }

  wifi.on("connected", () => {
    up = true;
    const done = stopWaiting();
    if (done) joined(done);
  });
  wifi.on("disconnected", (details) => {
    const wasUp = up;
    up = false;
    const done = stopWaiting();
    if (done) {
      log("[wifi] the board's join failed (" + (details && details.reason) + ")");
      join(done);
    } else if (wasUp) downListener("Wi-Fi disconnected (" + (details && details.reason) + ")");
  });
  return {
    isUp: () => up,
    connect(done) {
      stopWaiting(); // a wait the session gave up on
      if (!boardJoining) return join(done);
      boardJoining = false;
      if (wifi.getIP().ip !== "0.0.0.0") return joined(done);
      log("[wifi] joining " + ssid + " with the board's saved settings");
      waiting = done;
      waitTimer = setTimeout(() => {
        const late = stopWaiting();
        if (late) {
          log("[wifi] the board's join took over " + BOARD_JOIN_MS + " ms");
          join(late);
        }
      }, BOARD_JOIN_MS);
    },
    onDown(listener) {
      downListener = listener;
    },
    signal: () => (up ? wifi.getStatus().rssi : undefined),
  };
}
