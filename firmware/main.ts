/**
 * The firmware's entry: wires the board's network and sensor to the MQTT session and the
 * sensor loop, with the settings baked in at build time. Loading the bundle starts it.
 */
import config, { tls, tlsPoolGrowthVars } from "virtual:config";
import { createSensor } from "virtual:sensor";
import { createNetwork } from "virtual:network";
import { createSession } from "../src/session/session";
import { createSensorLoop } from "../src/app/sensor-loop";
import { espruinoClock } from "./clock";
import { espruinoTransport } from "./transport";

const bootAt = Date.now();

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

log("[boot] board " + config.board + ", device " + config.clientId + ", broker " + config.brokerLabel);
if (tls) log("[boot] WARNING: TLS encrypts the link, but Espruino does not verify the broker's certificate");
const session = createSession(config, {
  clock: espruinoClock,
  transport: espruinoTransport(tls),
  network: createNetwork(config, log),
  random: Math.random,
  log,
});
const loop = createSensorLoop(
  session,
  createSensor(config.sensor),
  espruinoClock,
  { intervalMs: config.publishIntervalMs, topic: config.temperatureTopic, payloadPrefix: config.payloadPrefix },
  log,
);
// An exception nobody caught (Espruino reports a failed TLS handshake this way) is logged, and
// the firmware carries on: the session's deadlines recover from whatever was interrupted.
process.on("uncaughtException", (e) => log("[boot] uncaught exception (carrying on): " + e));
// Espruino's `kill` comes before a reset, a new upload or the interpreter's exit: leave cleanly,
// so the broker does not send the Will.
E.on("kill", () => {
  loop.stop();
  session.stop();
});
// Start once this top-level script has finished: while it runs, its own text holds JsVars, and
// a TLS connection needs ~16 KB of contiguous JsVar memory for mbedtls (measured: connecting from
// the top level made Espruino 2v29 on Linux fail ASSERT(jsvIsFlatString) in jsvMalloc).
setTimeout(() => {
  if (tlsPoolGrowthVars) log("[boot] TLS: JsVar pool grown by " + growPool(tlsPoolGrowthVars) + " for mbedtls");
  session.start();
  loop.start();
}, 0);
