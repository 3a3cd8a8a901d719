/**
 * `npm run build` as a maker runs it: one line per problem naming the setting, no stack trace, exit
 * code 2 (docs/flashing.md), the boards that can be built are built, and each board's RAM and flash
 * margin is shown. Bundles go to a temporary --out-dir, never to dist/ (other tests gate dist/).
 */
import { spawn } from "node:child_process";
import { copyFileSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";

const ROOT = resolve(__dirname, "../..");
const EMPTY_ENV = join(mkdtempSync(join(tmpdir(), "build-cli-env-")), "empty.env");
writeFileSync(EMPTY_ENV, "");

interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
  out: string;
}

/** `npm run build -- --out-dir <tmp> ...args` with only `env` (and PATH, HOME) in the environment. */
function build(env: Record<string, string>, args: string[] = []): Promise<Result> {
  const out = mkdtempSync(join(tmpdir(), "build-cli-out-"));
  return new Promise((done) => {
    const child = spawn("npm", ["run", "--silent", "build", "--", "--out-dir", out, ...args], {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "", ENV_FILE: EMPTY_ENV, ...env },
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    child.on("close", (code) => done({ code, stdout, stderr, out }));
  });
}

/** A boards directory with linux.json and the given extra board files. */
function boardsDir(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), "build-cli-boards-"));
  copyFileSync(join(ROOT, "boards/linux.json"), join(dir, "linux.json"));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}

const esp32 = JSON.parse(readFileSync(join(ROOT, "boards/esp32.json"), "utf8"));
const withPin = (pin: string) => JSON.stringify({ ...esp32, sensor: { type: "ds18b20", pin } });
const ESP32_SETTINGS = { MQTT_URL: "mqtt://alice:s3cret@192.0.2.10", DEVICE_ID: "kitchen", WIFI_SSID: "home", WIFI_PASSWORD: "wifi-Pa55word" };
const STACK = /^\s+at /m;

describe.concurrent("npm run build", () => {
  it("without settings: builds linux from its defaults, names each missing esp32 setting on a line, exits 2, no stack trace", async () => {
    const r = await build({});
    expect(r.code).toBe(2);
    expect(existsSync(join(r.out, "linux.js"))).toBe(true);
    expect(existsSync(join(r.out, "esp32.js"))).toBe(false);
    for (const name of ["MQTT_URL", "DEVICE_ID", "WIFI_SSID"]) expect(r.stderr).toMatch(new RegExp(`^.*esp32.*\\n?.*${name}: missing`, "m"));
    expect(r.stderr.split("\n").filter((l) => /: missing/.test(l))).toHaveLength(3);
    expect(r.stderr).not.toMatch(STACK);
    expect(r.stderr).toMatch(/1 of \d+ boards failed/);
  }, 120_000);

  it("one broken board file does not stop the others; each is reported by file and field", async () => {
    const dir = boardsDir({ "broken.json": "{ not json", "flash-pin.json": withPin("D6"), "no-pin.json": withPin("D99"), "input-only.json": withPin("D35") });
    const r = await build({ BOARDS_DIR: dir, ...ESP32_SETTINGS });
    expect(r.code).toBe(2);
    expect(existsSync(join(r.out, "linux.js"))).toBe(true);
    expect(r.stderr).toMatch(/broken.*broken\.json.*JSON/);
    expect(r.stderr).toMatch(/flash-pin.*sensor\.pin: D6 .*flash/);
    expect(r.stderr).toMatch(/no-pin.*sensor\.pin: D99 .*no such pin/);
    expect(r.stderr).toMatch(/input-only.*sensor\.pin: D35 .*input-only/);
    expect(r.stderr).toMatch(/4 of 5 boards failed/);
    expect(r.stderr).not.toMatch(STACK);
  }, 120_000);

  it("a missing ENV_FILE stops the build, naming it", async () => {
    const r = await build({ ENV_FILE: "no-such-file.env" });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/ENV_FILE=no-such-file.env: no such file/);
    expect(r.stderr).not.toMatch(STACK);
  }, 60_000);

  it("mqtts:// on esp32 is refused for RAM, with the numbers; the password is not shown", async () => {
    const r = await build({ ...ESP32_SETTINGS, MQTT_URL: "mqtts://alice:s3cret@192.0.2.10", BOARD: "esp32" });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/MQTT_URL: .*TLS.*2,500 JsVars/);
    expect(r.stderr + r.stdout).not.toContain("s3cret");
    expect(r.stderr).not.toMatch(STACK);
  }, 60_000);

  it("a good build shows each board's RAM and flash margin", async () => {
    const r = await build({ ...ESP32_SETTINGS, BOARD: "esp32" });
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/esp32 +RAM +\[[#-]+\] +\d+ % +1,126 of 2,500 JsVars, 1,374 free/);
    expect(r.stdout).toMatch(/esp32 +flash +\[[#-]+\] +\d+ % +[\d,]+ of 917,504 B, [\d,]+ free/);
    expect(r.stdout).toMatch(/esp32 +bundle +[\d,]+ B \(budget 32,768 B, \d+ %\)/);
    expect(r.stdout + r.stderr).not.toContain("s3cret");
    expect(existsSync(join(r.out, "esp32.js"))).toBe(true);
  }, 60_000);

  it("DEBUG shows the stack trace", async () => {
    const r = await build({ ENV_FILE: "no-such-file.env", DEBUG: "1" });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(STACK);
  }, 60_000);
});
