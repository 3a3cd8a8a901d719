/**
 * The reliability suite's "never crashes" check (Device.uncaught, isUncaughtLine) catches an
 * exception thrown in the firmware, whichever way it is reported: Espruino's own `Uncaught ...`
 * line, or the line of the firmware's process.on("uncaughtException") handler, which takes the
 * exception instead (the `linux` bundle, with a throwing timer appended, in the host runtime).
 */
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { buildBundle } from "../../tools/build/build-bundle";
import { startBundle, type HostRuntime } from "../../tools/host-runtime/index";
import { isUncaughtLine, until } from "./harness";

describe("isUncaughtLine", () => {
  it.each([
    "Uncaught Error: boom",
    "Uncaught InternalError: mbedtls_ssl_handshake returned -0x7200",
    "12.3 [boot] uncaught exception (carrying on): Error: boom",
  ])("catches %s", (line) => {
    expect(isUncaughtLine(line)).toBe(true);
  });

  it.each([
    "0.2 [mqtt] MQTT_CONNECTING -> CONNECTED (new session)",
    "0.0 [app] bad reading skipped (1 so far): not a number: NaN",
    "9.0 [mqtt] CONNECTED -> BACKOFF (malformed packet from broker: PUBLISH with QoS 3)",
  ])("lets %s pass", (line) => {
    expect(isUncaughtLine(line)).toBe(false);
  });
});

describe("an exception thrown in the firmware", () => {
  let rt: HostRuntime | undefined;
  afterEach(async () => {
    rt?.kill();
    await rt?.exited;
    rt = undefined;
  });

  it("is caught by the check, as the firmware reports it", async () => {
    const file = join(mkdtempSync(join(tmpdir(), "bundle-")), "linux.js");
    // Port 9 (discard) on loopback: nothing listens, so the device just retries; no broker needed.
    await buildBundle("linux", { MQTT_URL: "mqtt://127.0.0.1:9", PUBLISH_INTERVAL_MS: "60000" }, file);
    const code =
      readFileSync(file, "utf8") + '\nsetTimeout(function () { throw new Error("injected by the test"); }, 200);\n';
    const lines: string[] = [];
    rt = startBundle({ code, console: (l) => lines.push(l) });
    await until(
      () => lines.some((l) => l.includes("injected by the test")),
      10000,
      "the injected exception on the console",
    );
    const reported = lines.filter((l) => l.includes("injected by the test"));
    expect(reported.filter(isUncaughtLine), `console:\n${lines.join("\n")}`).toEqual(reported);
  });
});
