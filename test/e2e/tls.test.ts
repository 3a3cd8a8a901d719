/**
 * mqtts:// end to end: mosquitto with a TLS listener, certificates made by openssl in the
 * test, the `linux` bundle in the host runtime or on Espruino's Linux interpreter (ESPRUINO=...).
 * Espruino 2v29 does not verify the server's certificate; the firmware says so at start-up.
 * Not on a fixed 2,500-JsVar interpreter: mbedtls's two ~16 KB buffers and the certificates do not
 * fit beside the firmware there (it stops with OUT OF MEMORY at boot), which is why the build
 * refuses mqtts:// on the esp32 board (tools/build/budget.ts).
 */
import { beforeAll, describe, expect, it } from "vitest";
import { cleanupAfterEach, startBroker, startFirmware, startWatcher } from "../support/e2e";
import { RUNTIME, smallFixedPool, type Device } from "../support/firmware";
import { freePort } from "../../tools/support/ports";
import { makeCertificates, tlsListener, type Certificates } from "../support/certificates";

const DEVICE = "tls-dev";
const DATA = `sensors/${DEVICE}/temperature`;

let certs: Certificates;
beforeAll(() => {
  certs = makeCertificates();
});

const cleanup = cleanupAfterEach();

/** Resolves once `pattern` has matched `count` console lines. */
async function lines(device: Device, pattern: RegExp, count: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (device.lines.filter((l) => pattern.test(l)).length < count) {
    if (Date.now() > deadline)
      throw new Error(`fewer than ${count} lines like ${pattern}; last:\n${device.lines.slice(-10).join("\n")}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function setup(
  requireClientCertificate: boolean,
  settings: (tlsPort: number, plainPort: number) => Record<string, string>,
) {
  const tlsPort = await freePort();
  const broker = await startBroker(cleanup, { extraConfig: tlsListener(tlsPort, certs, requireClientCertificate) });
  const sub = await startWatcher(cleanup, broker, "sensors/#");
  const { device } = await startFirmware(cleanup, {
    DEVICE_ID: DEVICE,
    PUBLISH_INTERVAL_MS: "200",
    KEEPALIVE_S: "5",
    ...settings(tlsPort, broker.port),
  });
  return { broker, sub, device };
}

describe.skipIf(smallFixedPool())(`mqtts:// on the ${RUNTIME} against mosquitto`, () => {
  it("one-way TLS (CA only): readings arrive, and the console warns that the server is not authenticated", async () => {
    const { sub, device } = await setup(false, (port) => ({
      MQTT_URL: `mqtts://127.0.0.1:${port}`,
      MQTT_CA: certs.ca,
    }));
    await sub.waitFor(() => sub.on(DATA).length >= 3, 20000, "3 readings over TLS");
    expect(device.lines.some((l) => /WARNING: TLS .* does not verify the broker's certificate/.test(l))).toBe(true);
    expect(device.lines.some((l) => l.includes("broker mqtts://127.0.0.1:"))).toBe(true);
  });

  it("two-way TLS (client certificate and key): readings arrive at a broker that requires them", async () => {
    const { sub } = await setup(true, (port) => ({
      MQTT_URL: `mqtts://127.0.0.1:${port}`,
      MQTT_CA: certs.ca,
      MQTT_CERT: certs.clientCert,
      MQTT_KEY: certs.clientKey,
    }));
    await sub.waitFor(() => sub.on(DATA).length >= 3, 20000, "3 readings over two-way TLS");
  });

  it("a broker that requires a client certificate refuses a device without one; the device backs off and keeps running", async () => {
    const { sub, device } = await setup(true, (port) => ({ MQTT_URL: `mqtts://127.0.0.1:${port}`, MQTT_CA: certs.ca }));
    await lines(device, /BACKOFF -> TCP_CONNECTING \(retry\)/, 3, 30000);
    await device.waitForLine(/\[app\] reading #3 .* stored/, 20000); // still measuring, keeping readings
    expect(sub.on(DATA)).toHaveLength(0);
    expect(device.lines.some((l) => /ASSERT|FAILED AT/.test(l))).toBe(false);
  });

  it("TLS to a plain-TCP port ends in backoff, not a crash", async () => {
    const { device } = await setup(false, (_tls, plain) => ({
      MQTT_URL: `mqtts://127.0.0.1:${plain}`,
      MQTT_CA: certs.ca,
    }));
    await lines(device, /BACKOFF -> TCP_CONNECTING \(retry\)/, 3, 30000);
    await device.waitForLine(/\[app\] reading #3 /, 20000);
    expect(device.lines.some((l) => /ASSERT|FAILED AT/.test(l))).toBe(false);
  });
});
