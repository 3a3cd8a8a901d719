/**
 * MQTT_URL mistakes users have made: a password with "/" shown in the error, a bare URIError for a "%",
 * port 0 accepted and 99999 called "not a URL". Each message names MQTT_URL and never the password.
 */
import { describe, expect, it } from "vitest";
import { loadBoard } from "../../tools/build/boards";
import { firmwareConfig } from "../../tools/build/firmware-config";
import { rawSettings, resolveSettings, SettingsError } from "../../tools/build/settings";

const linux = loadBoard("linux");

/** The problem lines for MQTT_URL=`url` on the linux board (resolving and encoding), "" when it builds. */
function problems(url: string): string {
  try {
    firmwareConfig(linux, resolveSettings(linux, rawSettings(linux, { MQTT_URL: url }, {})));
    return "";
  } catch (e) {
    expect(e).toBeInstanceOf(SettingsError);
    return (e as Error).message;
  }
}

describe("MQTT_URL", () => {
  it.each([
    ["mqtt://alice:pa/ss@host", "pa/ss", /MQTT_URL: .*percent-encoded.*\/ as %2F/],
    ["mqtt://alice:pa?ss@host", "pa?ss", /MQTT_URL: .*percent-encoded/],
    ["mqtt://alice:pa#ss@host", "pa#ss", /MQTT_URL: .*percent-encoded/],
    ["mqtt://alice:p@ss@host", "p@ss", /MQTT_URL: .*percent-encoded.*@ as %40/],
    ["mqtt://alice:50%off@host", "50%off", /MQTT_URL: .*% .*%25/],
  ])("%s: named, masked, with a percent-encoding hint", (url, secret, message) => {
    const text = problems(url);
    expect(text).toMatch(message);
    expect(text).toContain("mqtt://alice:***@");
    expect(text).not.toContain(secret);
    expect(text).not.toMatch(/URIError|URI malformed/);
    expect(text.split("\n").filter((l) => l.includes("MQTT_URL"))).toHaveLength(1);
  });

  it("takes a percent-encoded password and sends it decoded", () => {
    const settings = resolveSettings(linux, rawSettings(linux, { MQTT_URL: "mqtt://alice:pa%2Fss%40x%25@host" }, {}));
    expect(firmwareConfig(linux, settings).connectPacket).toContain("pa/ss@x%");
  });

  it.each([
    ["mqtt://host:0", /MQTT_URL: port 0 is out of range \(1 \.\. 65535\)/],
    ["mqtt://host:99999", /MQTT_URL: port 99999 is out of range \(1 \.\. 65535\)/],
    ["mqtt://host:65536", /port 65536 is out of range/],
    ["mqtt://host:12ab", /MQTT_URL: port "12ab" is not a number/],
    ["mqtt://", /MQTT_URL: .*no host/],
    ["mqtt://user:secret@", /MQTT_URL: .*no host/],
  ])("%s is refused: %s", (url, message) => {
    const text = problems(url);
    expect(text).toMatch(message);
    expect(text).not.toContain("secret");
  });

  it.each(["mqtt://host:1", "mqtt://host:65535", "mqtts://host", "mqtt://[::1]:1883", "mqtt://a.b-c.lan/"])("%s builds", (url) => {
    expect(problems(url)).toBe("");
  });
});
