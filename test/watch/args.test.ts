import { execFileSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { DEFAULT_PORT, parseWatchArgs, UsageError } from "../../tools/watch/args";

const noFile = join(tmpdir(), "no-such.env");

describe("npm run watch flags", () => {
  it("has defaults that need nothing", () => {
    expect(parseWatchArgs([], {}, noFile)).toEqual({
      url: "mqtt://127.0.0.1:1883",
      prefix: "sensors",
      port: DEFAULT_PORT,
      ca: undefined,
      cert: undefined,
      key: undefined,
      history: 50_000,
      lateAfterS: 30,
    });
  });

  it("takes the firmware's settings from the environment, then .env, and flags over both", () => {
    const dir = mkdtempSync(join(tmpdir(), "watch-args-"));
    const file = join(dir, ".env");
    writeFileSync(file, "MQTT_URL=mqtts://bob:pw@broker.lan\nTOPIC_PREFIX=home/sensors\nMQTT_CA=ca.pem\n");
    expect(parseWatchArgs([], {}, file)).toMatchObject({
      url: "mqtts://bob:pw@broker.lan",
      prefix: "home/sensors",
      ca: "ca.pem",
    });
    expect(parseWatchArgs([], { MQTT_URL: "mqtt://env:1883" }, file)).toMatchObject({
      url: "mqtt://env:1883",
      ca: undefined,
    });
    expect(
      parseWatchArgs(
        ["--url", "mqtt://flag", "--prefix", "p", "--port", "0", "--history", "100", "--late", "5"],
        { MQTT_URL: "mqtt://env" },
        file,
      ),
    ).toMatchObject({
      url: "mqtt://flag",
      prefix: "p",
      port: 0,
      history: 100,
      lateAfterS: 5,
    });
  });

  it("refuses bad flags with a message", () => {
    expect(() => parseWatchArgs(["--port", "http"], {}, noFile)).toThrow(
      new UsageError('--port must be a whole number from 0 to 65535, not "http"'),
    );
    expect(() => parseWatchArgs(["--history", "-1"], {}, noFile)).toThrow(UsageError);
    expect(() => parseWatchArgs(["--prefix", "sensors/#"], {}, noFile)).toThrow(/wildcards/);
    expect(() => parseWatchArgs(["--colour"], {}, noFile)).toThrow(/Unknown option '--colour'/);
    expect(parseWatchArgs(["--help"], {}, noFile)).toBe(null);
  });

  it("prints its help", () => {
    const out = execFileSync(process.execPath, ["--import", "tsx", "tools/watch/main.ts", "--help"], {
      encoding: "utf8",
    });
    expect(out).toContain("--port N");
    expect(out).toContain("--late S");
  });
});
