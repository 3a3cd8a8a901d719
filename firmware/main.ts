/**
 * The firmware's entry: wires the board's network, sensor and flash to the MQTT session, the
 * durable store and the sensor loop, with the settings baked in at build time. Loading the
 * bundle starts it.
 */
import * as config from "virtual:config";
import {
  awakeMaxMs,
  discoveryPayload,
  discoveryTopic,
  runtimeRules,
  schedule,
  sleepMs,
  tls,
  tlsPoolGrowthVars,
} from "virtual:config";
import { deepSleep } from "virtual:sleep";
import { createSensor } from "virtual:sensor";
import { createNetwork } from "virtual:network";
import { createSession, DISCONNECT_FLUSH_MS } from "../src/session/session";
import { createSensorLoop } from "../src/app/sensor-loop";
import { createDelivery } from "../src/app/delivery";
import { superviseSession } from "../src/app/supervisor";
import { guardMemory } from "../src/app/memory-guard";
import { runWake } from "../src/app/wake-cycle";
import { createDiagnostics } from "../src/app/diagnostics";
import { announceToHomeAssistant } from "../src/app/home-assistant";
import { handleSetMessage, restoreSettings, type SetMessagePorts } from "../src/app/remote-settings";
import { subscribeFixed } from "../src/session/fixed-subscriptions";
import { lastSeq, openReadingStore } from "../src/store/reading-store";
import { countBoot } from "../src/store/boot-counter";
import { espruinoClock, readingClock } from "./clock";
import { espruinoTransport } from "./transport";
import { seedRandom } from "./random";

const bootAt = Date.now();
/** The session's clock at boot: battery mode times the wake by it (SNTP may step Date.now()). */
const wokeAt = espruinoClock.now();

/**
 * JsVars free below which the firmware sheds (memory-guard.ts), and above which it stops: an
 * ESP32 with Wi-Fi on leaves about 2,500, of which the firmware uses about 1,130 connected (about 1,370 free).
 */
const MEMORY_RESERVE = 400;
const MEMORY_RECOVERED = 550;
/** Battery mode: a wake's reads of the sensor for one good reading, and their spacing, ms. */
const WAKE_READ_ATTEMPTS = 3;
const WAKE_READ_SPACING_MS = 1000;
/** A restart asked for over MQTT waits this long at most for what is queued (its confirmation) to go, ms. */
const RESTART_FLUSH_MS = 3000;

/**
 * Makes the Linux interpreter's resizable JsVar pool grow by about `vars`, then frees them: the
 * free space mbedtls needs as contiguous blocks, which its own allocations cannot make appear.
 */
function growPool(vars: number): number {
  const filler: number[] = [];
  for (let i = 0; i < vars; i++) filler.push(i);
  return filler.length;
}

/** One console line, prefixed with seconds since boot (the serial console has no clock). */
function log(line: string): void {
  console.log(((Date.now() - bootAt) / 1000).toFixed(1) + " " + line);
}

const flash = require("Storage");
const boot = countBoot(flash, E.CRC32);
/** Why this start happened (power-on, reset, a timer wake): the console and the diagnostics say. */
const startCause = deepSleep.wakeCause();
log(
  "[boot] board " +
    config.board +
    ", device " +
    config.clientId +
    ", firmware " +
    config.firmwareVersion +
    ", boot " +
    boot +
    ", broker " +
    config.brokerLabel,
);
if (sleepMs)
  log("[sleep] woke: " + startCause + "; a wake every " + sleepMs + " ms, awake at most " + awakeMaxMs + " ms");
if (tls) log("[boot] WARNING: TLS encrypts the link, but Espruino does not verify the broker's certificate");
const store = openReadingStore(flash, E.CRC32, { segments: config.storeSegments, log });
const held = store.counts;
log("[store] room for " + store.capacity + " readings; " + held.stored + " waiting, last seq " + lastSeq(store));
if (held.resent)
  log(
    "[store] " + held.resent + " sent before the restart without a PUBACK: sent again (the broker may get them twice)",
  );
const networkLink = createNetwork(config.wifi, log);
// The session's settings one by one: each is an export of virtual:config of its own, which the
// minifier inlines where it is read, so no object of every setting stays in RAM.
const session = createSession(
  {
    host: config.host,
    port: config.port,
    connectPacket: config.connectPacket,
    keepalive: config.keepalive,
    status: config.status,
    inflightWindow: config.inflightWindow,
    eager: config.eager,
    backoff: config.backoff,
  },
  {
    clock: espruinoClock,
    transport: espruinoTransport(tls),
    network: networkLink,
    // The device, this boot and the time: no two devices, and no two boots, share the jitter.
    random: seedRandom(config.clientId + ":" + boot + ":" + Date.now()),
    log,
  },
);
// Listeners are told in the order added: the discovery config and diagnostics are queued at a
// CONNACK before delivery hands out readings.
const birth = discoveryTopic ? announceToHomeAssistant(session, discoveryTopic, discoveryPayload, log) : undefined;
// Looked at by the supervisor's periodic check (started below) and on an error flag.
const memory = guardMemory(() => process.memory().free, { reserve: MEMORY_RESERVE, recovered: MEMORY_RECOVERED }, log);
// Espruino sets an error flag when memory ran short or out: look at once (and say which).
E.on("errorFlag", (flags) => {
  log("[memory] Espruino error flags: " + flags.join(", "));
  memory.check();
});
// Readings handed to the session at a time: as many as may be in flight. One more ready behind
// them would save a Storage read per reading but hold another reading in RAM through a drain.
const delivery = createDelivery(
  session,
  store,
  readingClock,
  { topic: config.readingTopic, format: config.format, readAhead: config.inflightWindow, boot, lowMemory: memory.low },
  log,
);
const loop = createSensorLoop(
  delivery,
  createSensor(config.sensor),
  espruinoClock,
  sleepMs ? WAKE_READ_SPACING_MS : config.publishIntervalMs,
  log,
  memory.low,
);
const diagnostics = createDiagnostics(
  session,
  config.diagnostics.topic,
  espruinoClock,
  () => {
    const d = delivery.counts();
    return {
      fw: config.firmwareVersion,
      boot,
      uptime: readingClock.uptime(),
      reset: startCause,
      free: process.memory().free,
      stored: d.waiting,
      dropped: d.dropped,
      failed: loop.counts().failed,
      reconnects: d.connects ? d.connects - 1 : 0,
      rssi: networkLink.signal ? networkLink.signal() : undefined,
      interval_ms: sleepMs || loop.intervalMs(),
    };
  },
  sleepMs ? 0 : config.diagnostics.everyMs,
  log,
);
/** Set just before a restart asked for over MQTT or a deep sleep. */
let restarting = false;

/** What the settings code needs, made when a set message comes (so it is not in RAM between). */
function settingsPorts(): SetMessagePorts {
  return {
    flash,
    crc: E.CRC32,
    rules: runtimeRules(),
    apply(name, value) {
      if (name === "PUBLISH_INTERVAL_MS") loop.interval(value);
      else if (name === "DIAGNOSTICS_MS") diagnostics.every(value);
    },
    confirm: (result) => diagnostics.send(result),
    restart() {
      restarting = true;
      const askedAt = Date.now();
      // The confirmation first (it is queued), then a clean stop: `offline`, DISCONNECT.
      const flushed = (): void => {
        if (session.queued() && Date.now() - askedAt < RESTART_FLUSH_MS) {
          setTimeout(flushed, 100);
          return;
        }
        // E.reboot() at once would close the socket before the DISCONNECT leaves.
        session.stop(() => {
          log("[boot] restarting (asked over MQTT)");
          setTimeout(() => E.reboot(), DISCONNECT_FLUSH_MS);
        });
      };
      flushed();
    },
    log,
  };
}

if (config.subscribe) {
  restoreSettings(settingsPorts());
  subscribeFixed(
    session,
    config.subscribe,
    (topic, payload, retained) => {
      if (topic === config.setTopic) handleSetMessage(payload, retained, settingsPorts());
      else if (birth) birth(payload, retained);
    },
    log,
  );
}
// An exception nobody caught (Espruino reports a failed TLS handshake this way) is logged, and
// the firmware carries on: the session's deadlines recover from whatever was interrupted.
process.on("uncaughtException", (e) => log("[boot] uncaught exception (carrying on): " + e));
// Espruino's `kill` comes before a reset(), load(), an upload or the interpreter's exit, and 2v29
// closes every socket right after it: nothing written here would leave (docs/espruino-runtime.md).
// The TCP close makes the broker publish the Will, so the retained status says `offline`; the
// store already holds every reading.
E.on("kill", () => restarting || log("[boot] stopping (reset, load or exit): the broker's Will reports offline"));
// Start once this top-level script has finished: while it runs, its own text holds JsVars, and
// a TLS connection needs ~16 KB of contiguous JsVar memory for mbedtls (measured: connecting from
// the top level made Espruino 2v29 on Linux fail ASSERT(jsvIsFlatString) in jsvMalloc).
setTimeout(() => {
  if (tlsPoolGrowthVars) log("[boot] TLS: JsVar pool grown by " + growPool(tlsPoolGrowthVars) + " for mbedtls");
  // Turned on once the boot's work (the store's scan) is done; kicked by the supervisor.
  if (config.watchdogS) {
    E.enableWatchdog(config.watchdogS, false);
    log("[boot] watchdog " + config.watchdogS + " s, kicked while the session is healthy");
  }
  superviseSession(
    session,
    espruinoClock,
    log,
    config.watchdogS ? { kick: () => E.kickWatchdog() } : undefined,
    memory.check,
  );
  if (!sleepMs) {
    session.start();
    return loop.start();
  }
  const ports = {
    session,
    pending: () => store.counts.stored,
    delivered: () => delivery.counts().delivered,
    readOnce: loop.readOnce,
    clock: espruinoClock,
    log,
    sleep(ms: number) {
      restarting = true;
      deepSleep.sleep(ms);
    },
  };
  // Queued first, behind `online`: every wake, in case the broker lost it.
  if (schedule) session.publish(schedule.topic, schedule.payload, 1, true);
  runWake({ sleepMs, awakeMaxMs, readAttempts: WAKE_READ_ATTEMPTS }, ports, wokeAt);
}, 0);
