/**
 * The .env file: each problem users have hit (a `#` that cut a Wi-Fi password, a line without `=` that
 * swallowed the next key, a BOM that hid the first key, a misspelt key and a missing ENV_FILE that
 * were ignored without a word) reproduced with the functions the build reads it through.
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadEnv, readEnvFile, SettingsError } from "../../tools/build/settings";

const dir = mkdtempSync(join(tmpdir(), "env-file-"));
let n = 0;
/** Writes `text` to a new file and returns its path. */
function file(text: string | Buffer): string {
  const path = join(dir, `${++n}.env`);
  writeFileSync(path, text);
  return path;
}

/** The SettingsError's message for reading `text`, or "" when it reads. */
function refusal(text: string): string {
  try {
    readEnvFile(file(text));
    return "";
  } catch (e) {
    expect(e).toBeInstanceOf(SettingsError);
    return (e as Error).message;
  }
}

describe(".env", () => {
  it("keeps a # inside a value, quoted or not preceded by a space", () => {
    expect(readEnvFile(file('WIFI_PASSWORD="correct horse #battery"\n'))).toEqual({ WIFI_PASSWORD: "correct horse #battery" });
    expect(readEnvFile(file("WIFI_PASSWORD='correct horse #battery'\n"))).toEqual({ WIFI_PASSWORD: "correct horse #battery" });
    expect(readEnvFile(file("WIFI_PASSWORD=pa#ss#word\n"))).toEqual({ WIFI_PASSWORD: "pa#ss#word" });
    // A comment after a quoted value is a comment.
    expect(readEnvFile(file('DEVICE_ID="kitchen"   # the one by the window\n'))).toEqual({ DEVICE_ID: "kitchen" });
  });

  it("refuses an unquoted value with ' #' (a comment, or part of the password?) and says how to write it, without showing it", () => {
    const text = refusal("MQTT_URL=mqtt://h\nWIFI_PASSWORD=correct horse #battery\n");
    expect(text).toMatch(/line 2: WIFI_PASSWORD: /);
    expect(text).toMatch(/WIFI_PASSWORD="\.\.\."/);
    expect(text).not.toMatch(/correct|battery/);
  });

  it("reports a line without = by its number, and does not lose the next key", () => {
    const text = refusal("DEVICE_ID=kitchen\nthis line has no equals sign\nMQTT_URL=mqtt://broker.lan\n");
    expect(text).toMatch(/line 2: expected KEY=value/);
    expect(text).not.toContain("this line has no equals sign");
    expect(text).not.toMatch(/MQTT_URL/);
  });

  it("reports every malformed line at once, one line each", () => {
    const text = refusal('A B=1\nDEVICE_ID="kitchen\nWIFI_SSID="home" extra\n');
    const lines = text.split("\n").filter((l) => /line \d+:/.test(l));
    expect(lines).toHaveLength(3);
    expect(text).toMatch(/line 1: .*not a setting name/);
    expect(text).toMatch(/line 2: DEVICE_ID: .*no closing "/);
    expect(text).toMatch(/line 3: WIFI_SSID: .*after the closing quote/);
  });

  it("strips a UTF-8 BOM, so the first key is read", () => {
    const path = file(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from("MQTT_URL=mqtt://broker.lan\r\nDEVICE_ID=kitchen\r\n")]));
    expect(readEnvFile(path)).toEqual({ MQTT_URL: "mqtt://broker.lan", DEVICE_ID: "kitchen" });
  });

  it("takes comments, blank lines, export and spaces around =", () => {
    expect(readEnvFile(file("# a comment\n\n  export DEVICE_ID = kitchen  \nTOPIC_PREFIX=\n"))).toEqual({ DEVICE_ID: "kitchen", TOPIC_PREFIX: "" });
  });

  it("warns about an unknown key with the closest known name, and about a key set twice", () => {
    const { values, warnings } = loadEnv({ ENV_FILE: file("PUBLISH_INTERVL_MS=5000\nmqtt_url=mqtt://h\nDEVICE_ID=a\nDEVICE_ID=b\nFOO=1\n") }, dir);
    expect(values.DEVICE_ID).toBe("b");
    expect(warnings).toEqual([
      expect.stringMatching(/line 1: unknown setting PUBLISH_INTERVL_MS \(did you mean PUBLISH_INTERVAL_MS\?\)/),
      expect.stringMatching(/line 2: unknown setting mqtt_url \(did you mean MQTT_URL\?\)/),
      expect.stringMatching(/line 4: DEVICE_ID set again \(first on line 3\)/),
      expect.stringMatching(/line 5: unknown setting FOO$/),
    ]);
  });

  it("a missing ENV_FILE is an error naming it; a missing default .env is not", () => {
    expect(() => loadEnv({ ENV_FILE: "no-such.env" }, dir)).toThrow(SettingsError);
    expect(() => loadEnv({ ENV_FILE: "no-such.env" }, dir)).toThrow(/ENV_FILE=no-such.env: no such file/);
    expect(loadEnv({}, dir)).toMatchObject({ values: {}, warnings: [] });
  });
});
