/**
 * One settings schema (tools/build/settings-schema.ts): the build's checks, the README's settings
 * table and .env.example come from it, and this test fails when either file disagrees with it
 * (`npm run docs:settings` rewrites both).
 */
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { boardNames, loadBoard } from "../../tools/build/boards";
import { SETTING_NAMES } from "../../tools/build/settings";
import { envExample, integerBounds, readmeWithSettingsTable, SETTINGS } from "../../tools/build/settings-schema";
import { settingsProblems } from "../support/settings";

const ROOT = resolve(__dirname, "../..");
const boards = boardNames().map(loadBoard);
const esp32 = loadBoard("esp32");
const good: Record<string, string> = { MQTT_URL: "mqtt://alice:s3cret@broker.lan", DEVICE_ID: "kitchen", WIFI_SSID: "home", WIFI_PASSWORD: "wifi-Pa55word" };

const problems = (env: Record<string, string>, board = esp32) => settingsProblems(env, board);

describe("the settings schema", () => {
  it("README's settings table is the schema's (run `npm run docs:settings` after changing it)", () => {
    const readme = readFileSync(resolve(ROOT, "README.md"), "utf8");
    expect(readme).toBe(readmeWithSettingsTable(readme, boards));
  });

  it(".env.example is the schema's (run `npm run docs:settings` after changing it)", () => {
    expect(readFileSync(resolve(ROOT, ".env.example"), "utf8")).toBe(envExample());
  });

  it("names every setting the build reads, once, each with a description", () => {
    expect(SETTINGS.map((s) => s.name)).toEqual([...SETTING_NAMES]);
    for (const s of SETTINGS) expect(s.description.length, s.name).toBeGreaterThan(10);
  });

  it(".env.example, with its placeholders, is a good esp32 configuration", () => {
    const env = Object.fromEntries(
      envExample()
        .split("\n")
        .filter((l) => /^[A-Z_]+=/.test(l))
        .map((l) => [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1)]),
    );
    expect(problems(env)).toBe("");
  });

  describe.each(SETTINGS.filter((s) => s.type === "integer").map((s) => [s.name, s] as const))("%s", (name) => {
    it.each(boards.map((b) => [b.name, b] as const))("on %s: the schema's bounds are the build's", (_b, board) => {
      const { min, max } = integerBounds(name, board);
      const env = board.network === "wifi" ? good : {};
      // An interval under the sensor's minimum is refused for that reason, not the range.
      const low = name === "PUBLISH_INTERVAL_MS" && board.sensor.type === "ds18b20" ? 1000 : min;
      expect(problems({ ...env, [name]: String(low) }, board)).toBe("");
      expect(problems({ ...env, [name]: String(max) }, board)).toBe("");
      expect(problems({ ...env, [name]: String(min - 1) }, board)).toMatch(new RegExp(`^  ${name}: `, "m"));
      expect(problems({ ...env, [name]: String(max + 1) }, board)).toMatch(new RegExp(`^  ${name}: `, "m"));
    });
  });

  it("a secret setting's value never appears in a message", () => {
    for (const s of SETTINGS.filter((s) => s.secret)) {
      const text = problems({ ...good, [s.name]: "x" });
      if (text) expect(text, s.name).not.toMatch(/"x"/);
    }
    expect(problems({ ...good, WIFI_PASSWORD: "short-pw" + "#".repeat(60) })).not.toContain("short-pw");
  });

  it("certs/, where .env.example puts the device's key, is ignored by git", () => {
    expect(envExample()).toContain("certs/device.key");
    expect(execFileSync("git", ["check-ignore", "certs/device.key", "certs/ca.pem"], { cwd: ROOT }).toString()).toBe("certs/device.key\ncerts/ca.pem\n");
  });
});
