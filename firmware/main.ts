/**
 * The firmware's entry: wires the board's network and sensor to the MQTT session and the
 * sensor loop, with the settings baked in at build time. Loading the bundle starts it.
 */
import config from "virtual:config";
import { createSensor } from "virtual:sensor";
import { createNetwork } from "virtual:network";
import { createSession } from "../src/session/session";
import { createSensorLoop } from "../src/app/sensor-loop";
import { espruinoClock } from "./clock";
import { espruinoTransport } from "./transport";

const bootAt = Date.now();

/** One console line, prefixed with seconds since boot (the serial console has no clock). */
function log(line: string): void {
  console.log(((Date.now() - bootAt) / 1000).toFixed(1) + " " + line);
}

log("[boot] board " + config.board + ", device " + config.clientId + ", broker " + config.brokerLabel);
if (config.tls) log("[boot] WARNING: TLS encrypts the link, but Espruino does not verify the broker's certificate");
const session = createSession(config, {
  clock: espruinoClock,
  transport: espruinoTransport(config.tls),
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
// Espruino's `kill` comes before a reset, a new upload or the interpreter's exit: leave cleanly,
// so the broker does not send the Will.
E.on("kill", () => {
  loop.stop();
  session.stop();
});
session.start();
loop.start();
