/**
 * The firmware's entry: wires the board's network and sensor to the MQTT session and the
 * sensor loop, with the settings baked in at build time. Loading the bundle starts it.
 */
import config from "virtual:config";
import { createSensor } from "virtual:sensor";
import { createNetwork } from "virtual:network";
import { MqttSession } from "../src/session/session";
import { SensorLoop } from "../src/app/sensor-loop";
import { espruinoClock } from "./clock";
import { espruinoTransport } from "./transport";

const bootAt = Date.now();

/** One console line, prefixed with seconds since boot (the serial console has no clock). */
function log(line: string): void {
  console.log(((Date.now() - bootAt) / 1000).toFixed(1) + " " + line);
}

function main(): void {
  log("[boot] board " + config.board + ", device " + config.clientId + ", broker " + config.brokerLabel);
  if (config.tls) log("[boot] WARNING: TLS encrypts the link, but Espruino does not verify the broker's certificate");
  const session = new MqttSession(
    {
      host: config.host,
      port: config.port,
      clientId: config.clientId,
      username: config.username,
      password: config.password,
      keepalive: config.keepalive,
      queueSize: config.queueSize,
      status: { topic: config.statusTopic, online: "online", offline: "offline" },
    },
    {
      clock: espruinoClock,
      transport: espruinoTransport(config.tls),
      network: createNetwork(config, log),
      random: Math.random,
      log,
    },
  );
  const loop = new SensorLoop(
    session,
    createSensor(config.sensor),
    espruinoClock,
    { intervalMs: config.publishIntervalMs, topic: config.temperatureTopic, payloadPrefix: config.payloadPrefix },
    log,
  );
  // Espruino's `kill` comes before a reset or a new upload: leave cleanly, so no Will is sent.
  E.on("kill", () => {
    loop.stop();
    session.stop();
  });
  session.start();
  loop.start();
}

main();
