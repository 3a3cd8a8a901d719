/** Build settings: precedence, one clear error naming every bad setting, secrets masked, wire strings encoded. */
import { describe, expect, it } from "vitest";
import { loadBoard, boardNames } from "../../tools/build/boards";
import { rawSettings, resolveSettings, maskedUrl } from "../../tools/build/settings";
import { firmwareConfig, asciiSource } from "../../tools/build/firmware-config";
import mqttPacket from "mqtt-packet";
import { settingsProblems } from "../support/settings";

const esp32 = loadBoard("esp32");
const linux = loadBoard("linux");
const good = { MQTT_URL: "mqtt://alice:s3cret@broker.lan:1884", DEVICE_ID: "greenhouse-1", WIFI_SSID: "home", WIFI_PASSWORD: "password123" };

const problems = (env: Record<string, string>, board = esp32) => settingsProblems(env, board);

describe("settings", () => {
  it("lists the boards in boards/", () => {
    expect(boardNames()).toEqual(expect.arrayContaining(["esp32", "linux"]));
  });

  it("takes the environment over the .env file over the board's defaults", () => {
    const raw = rawSettings(linux, { DEVICE_ID: "from-env" }, { DEVICE_ID: "from-file", STORE_READINGS: "7" });
    expect(raw.DEVICE_ID).toBe("from-env");
    expect(raw.STORE_READINGS).toBe("7");
    expect(raw.MQTT_URL).toBe("mqtt://127.0.0.1:1883");
  });

  it("names every missing setting at once", () => {
    const text = problems({});
    expect(text).toContain('bad settings for board "esp32"');
    expect(text).toMatch(/MQTT_URL: missing/);
    expect(text).toMatch(/DEVICE_ID: missing/);
    expect(text).toMatch(/WIFI_SSID: missing/);
  });

  it.each([
    [{ MQTT_URL: "http://x" }, "MQTT_URL: scheme must be mqtt:// or mqtts://"],
    [{ MQTT_URL: "mqtt://:pw@host" }, "MQTT_URL: "],
    [{ MQTT_URL: "not a url at all" }, "MQTT_URL: not a URL"],
    [{ MQTT_URL: "mqtt://host/path" }, "nothing after the port"],
    [{ DEVICE_ID: "a/b" }, "DEVICE_ID: \"a/b\" must not contain"],
    [{ TOPIC_PREFIX: "a/#" }, "TOPIC_PREFIX"],
    [{ TOPIC_PREFIX: "a//b" }, "TOPIC_PREFIX"],
    [{ PUBLISH_INTERVAL_MS: "fast" }, "PUBLISH_INTERVAL_MS: \"fast\" is not a whole number"],
    [{ KEEPALIVE_S: "0" }, "KEEPALIVE_S"],
    [{ STORE_READINGS: "100000" }, "STORE_READINGS"],
    [{ STORE_READINGS: "99" }, "STORE_READINGS"],
    [{ SNTP_SERVER: "pool ntp org" }, "SNTP_SERVER"],
    [{ RECONNECT_MAX_MS: "500" }, "RECONNECT_MAX_MS"],
    [{ WIFI_PASSWORD: "short" }, "WIFI_PASSWORD"],
    [{ MQTT_CA: "ca.pem" }, "MQTT_CA: only applies to mqtts://"],
    [{ MQTT_URL: "mqtts://h", MQTT_CERT: "c.pem" }, "MQTT_KEY: MQTT_CERT and MQTT_KEY go together"],
  ])("refuses %j", (override, message) => {
    expect(problems({ ...good, ...override })).toContain(message);
  });

  it("never shows a password: not in the error for a bad URL, masked in the broker label", () => {
    expect(problems({ ...good, MQTT_URL: "mqtt://alice:hunter2@ bad host" })).not.toContain("hunter2");
    const settings = resolveSettings(esp32, rawSettings(esp32, good, {}));
    expect(maskedUrl(settings.mqttUrl)).toBe("mqtt://alice:***@broker.lan:1884");
    expect(firmwareConfig(esp32, settings).brokerLabel).not.toContain("s3cret");
  });

  it("bakes topics, client id and the payload start as UTF-8 byte strings, and the source as ASCII", () => {
    const settings = resolveSettings(linux, rawSettings(linux, { DEVICE_ID: "serre-été", TOPIC_PREFIX: "maison/capteurs" }, {}));
    const config = firmwareConfig(linux, settings);
    expect(config.clientId).toBe(Buffer.from("serre-été", "utf8").toString("latin1"));
    expect(config.readingTopic).toBe(Buffer.from("maison/capteurs/serre-été/temperature", "utf8").toString("latin1"));
    expect(config.format.prefix).toBe(Buffer.from('{"device":"serre-été","seq":', "utf8").toString("latin1"));
    const source = asciiSource(config);
    expect(/^[\x20-\x7e]*$/.test(source)).toBe(true);
    expect(source).toContain("serre-\\xc3\\xa9t\\xc3\\xa9");
    expect(config.port).toBe(1883);
    expect(config.tls).toBeUndefined();
  });

  it("fails the build on a CONNECT the device could not send (a user name over 65535 bytes)", () => {
    const settings = resolveSettings(linux, rawSettings(linux, { MQTT_URL: `mqtt://${"u".repeat(70000)}@host` }, {}));
    expect(() => firmwareConfig(linux, settings)).toThrow(/bad settings for board "linux":\n {2}MQTT_URL: mqtt encode: user name over 65535 bytes/);
  });

  it("bakes the CONNECT packet: client id, credentials, keepalive, the retained offline Will", () => {
    const config = firmwareConfig(esp32, resolveSettings(esp32, rawSettings(esp32, { ...good, KEEPALIVE_S: "45" }, {})));
    const packets: mqttPacket.Packet[] = [];
    const parser = mqttPacket.parser({ protocolVersion: 4 });
    parser.on("packet", (p) => packets.push(p));
    parser.parse(Buffer.from(config.connectPacket, "latin1"));
    expect(packets).toHaveLength(1);
    expect(packets[0]).toMatchObject({
      cmd: "connect",
      clientId: "greenhouse-1",
      username: "alice",
      keepalive: 45,
      clean: true,
      will: { topic: "sensors/greenhouse-1/status", qos: 1, retain: true },
    });
    expect(String((packets[0] as mqttPacket.IConnectPacket).password)).toBe("s3cret");
    expect(String((packets[0] as mqttPacket.IConnectPacket).will?.payload)).toBe("offline");
  });

  it("caps the reconnect backoff at RECONNECT_MAX_MS (default one minute)", () => {
    const backoff = (env: Record<string, string>) => firmwareConfig(linux, resolveSettings(linux, rawSettings(linux, env, {}))).backoff;
    expect(backoff({})).toEqual({ baseMs: 1000, capMs: 60000, minMs: 100 });
    expect(backoff({ RECONNECT_MAX_MS: "2000" })).toEqual({ baseMs: 1000, capMs: 2000, minMs: 100 });
  });

  it("turns the watchdog on for esp32 (30 s) and off for linux, and refuses one the supervisor's kicks cannot keep", () => {
    const watchdog = (board: typeof linux, env: Record<string, string>) => firmwareConfig(board, resolveSettings(board, rawSettings(board, { ...good, ...env }, {}))).watchdogS;
    expect(watchdog(esp32, {})).toBe(30);
    expect(watchdog(linux, {})).toBe(0);
    expect(watchdog(linux, { WATCHDOG_S: "10" })).toBe(10);
    expect(problems({ ...good, WATCHDOG_S: "9" })).toMatch(/\n {2}WATCHDOG_S: 0 \(off\) or at least 10: the supervisor kicks it every 5 s and a connect can block for 3 s \(got 9\)$/);
    expect(problems({ ...good, WATCHDOG_S: "0" })).toBe("");
  });

  it("fails by name on a certificate file that cannot be read", () => {
    const settings = resolveSettings(linux, rawSettings(linux, { MQTT_URL: "mqtts://h", MQTT_CA: "/nonexistent/ca.pem" }, {}));
    expect(() => firmwareConfig(linux, settings)).toThrow(/MQTT_CA: cannot read \/nonexistent\/ca.pem/);
  });

  it("refuses a board file with an unknown sensor", () => {
    expect(() => loadBoard("no-such-board")).toThrow(/board "no-such-board"/);
  });
});
