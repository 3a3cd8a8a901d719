/**
 * `npm run flash` and `npm run monitor` without a board: the exact command lines they would run
 * (--dry-run), and the flag mistakes that stop them with exit code 2.
 */
import { spawn } from "node:child_process";
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { commandLine, ESPRUINO_CLI, flashArgs, monitorArgs, portError, shellQuote } from "../../tools/espruino-cli";
import {
  FLASH_USAGE,
  MONITOR_USAGE,
  npmTookFlags,
  parseFlashOptions,
  parseMonitorOptions,
} from "../../tools/flash/options";
import { parseCliPortList, pickPort } from "../../tools/flash/ports";

const ROOT = resolve(__dirname, "../..");
const SECRET = "s3cret-Pa55";
const WIFI_SECRET = "wifi-Pa55word";
/** Hermetic settings: no .env of the machine, a broker password and a Wi-Fi password that must never be printed. */
const SETTINGS = {
  ENV_FILE: "/dev/null",
  MQTT_URL: `mqtt://sensor:${SECRET}@broker.example:1883`,
  DEVICE_ID: "desk",
  WIFI_SSID: "home",
  WIFI_PASSWORD: WIFI_SECRET,
};

/** Runs a tool as `npm run` does (from the repository root), stdin a pipe (not a terminal). */
function run(tool: "flash" | "monitor", args: string[], env: Record<string, string> = SETTINGS) {
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((done) => {
    const child = spawn(process.execPath, ["--import", "tsx", `tools/${tool}.ts`, ...args], {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "", ...env },
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    child.on("close", (code) => done({ code, stdout, stderr }));
  });
}

describe("espruino CLI argument lists", () => {
  it("flash: Storage .bootcde and the console by default; RAM and upload-only on request", () => {
    const file = "/x/dist/esp32.js";
    expect(flashArgs({ port: "/dev/ttyUSB0", baud: 115200, file, mode: "storage", monitor: true })).toEqual([
      ESPRUINO_CLI,
      "--no-ble",
      "-p",
      "/dev/ttyUSB0",
      "-b",
      "115200",
      "--config",
      "SAVE_ON_SEND=1",
      "-w",
      file,
    ]);
    expect(flashArgs({ port: "COM3", baud: 921600, file, mode: "ram", monitor: false })).toEqual([
      ESPRUINO_CLI,
      "--no-ble",
      "-p",
      "COM3",
      "-b",
      "921600",
      "--config",
      "SAVE_ON_SEND=0",
      file,
    ]);
  });

  it("monitor: the terminal, without the process.env query", () => {
    expect(monitorArgs("/dev/cu.usbserial-0001", 115200)).toEqual([
      ESPRUINO_CLI,
      "--no-ble",
      "-p",
      "/dev/cu.usbserial-0001",
      "-b",
      "115200",
      "--config",
      "ENV_ON_CONNECT=false",
    ]);
  });

  it("quotes for a POSIX shell only what needs it", () => {
    expect(shellQuote("/dev/ttyUSB0")).toBe("/dev/ttyUSB0");
    expect(shellQuote("SAVE_ON_SEND=1")).toBe("SAVE_ON_SEND=1");
    expect(shellQuote("/tmp/my dir/it's.js")).toBe("'/tmp/my dir/it'\\''s.js'");
    expect(commandLine(["a b", "c"])).toBe("'a b' c");
  });

  it("accepts serial devices and telnet consoles as ports, nothing else", () => {
    for (const ok of [
      "/dev/ttyUSB0",
      "/dev/ttyACM1",
      "/dev/cu.usbserial-0001",
      "/dev/serial/by-id/usb-Silicon_Labs_CP2102-if00-port0",
      "COM3",
      "tcp://127.0.0.1:2323",
      "tcp://esp.local",
    ]) {
      expect(portError(ok), ok).toBe("");
    }
    for (const bad of ["", "ttyUSB0", "-p", "/dev/", "/dev/tty USB0", "http://host", "tcp://", "COM", "/dev/x.js"]) {
      expect(portError(bad), bad).not.toBe("");
    }
  });
});

describe("flag parsing", () => {
  it("defaults: esp32, 115200 baud, Storage, stay on the console, the port found by itself", () => {
    expect(parseFlashOptions(["--port", "/dev/ttyUSB0"])).toEqual({
      port: "/dev/ttyUSB0",
      baud: 115200,
      dryRun: false,
      help: false,
      list: false,
      board: "esp32",
      ram: false,
      monitor: true,
      bundle: undefined,
    });
    expect(parseFlashOptions([])).toMatchObject({ port: undefined, list: false });
    expect(
      parseFlashOptions([
        "--port=COM4",
        "--board=linux",
        "--baud=921600",
        "--ram",
        "--no-monitor",
        "--dry-run",
        "--bundle",
        "b.js",
      ]),
    ).toMatchObject({
      port: "COM4",
      baud: 921600,
      board: "linux",
      ram: true,
      monitor: false,
      dryRun: true,
      bundle: "b.js",
    });
    expect(parseMonitorOptions(["--port", "tcp://127.0.0.1:2323", "--baud", "9600"])).toEqual({
      port: "tcp://127.0.0.1:2323",
      baud: 9600,
      dryRun: false,
      help: false,
      list: false,
    });
  });

  it("-p and -b are --port and --baud; -h is --help; --list lists", () => {
    expect(parseFlashOptions(["-p", "/dev/ttyACM0", "-b", "9600"])).toMatchObject({ port: "/dev/ttyACM0", baud: 9600 });
    expect(parseMonitorOptions(["-p", "COM3", "-b", "921600"])).toMatchObject({ port: "COM3", baud: 921600 });
    expect(parseFlashOptions(["-h"]).help).toBe(true);
    expect(parseMonitorOptions(["--list"]).list).toBe(true);
  });

  it("--help is a real help: every flag, what it does, examples", () => {
    for (const usage of [FLASH_USAGE, MONITOR_USAGE]) {
      for (const flag of ["-p, --port", "-b, --baud", "--list", "--dry-run", "-h, --help"])
        expect(usage).toContain(flag);
      expect(usage).toMatch(/examples:/i);
      expect(usage).toMatch(/npm run (flash|monitor) -- -p \/dev\/ttyUSB0/);
      expect(usage).toContain("docs/flashing.md");
    }
    for (const flag of ["--board", "--ram", "--no-monitor", "--bundle"]) expect(FLASH_USAGE).toContain(flag);
  });

  it("says when npm's -- was forgotten (npm took the flags for itself)", () => {
    expect(npmTookFlags("flash", { npm_config_port: "true" })).toMatch(
      /npm took --port for itself: write npm run flash -- --port/,
    );
    expect(npmTookFlags("flash", { npm_config_dry_run: "true", npm_config_ram: "true" })).toMatch(/--dry-run, --ram/);
    expect(npmTookFlags("monitor", { npm_config_parseable: "true" })).toMatch(/-p/);
    expect(npmTookFlags("flash", { npm_config_cache: "/x" })).toBe("");
  });

  it.each([
    [["--port"], /--port needs a value/],
    [["--port", "--dry-run"], /--port needs a value/],
    [["--port", "usb0"], /--port "usb0": expected a serial device/],
    [["--port", "/dev/ttyUSB0", "--board", "esp8266"], /unknown board "esp8266" \(boards: esp32, linux\)/],
    [["--port", "/dev/ttyUSB0", "--bogus"], /unknown flag "--bogus"/],
    [["--port", "/dev/ttyUSB0", "--ram=yes"], /--ram takes no value/],
    [["--port", "/dev/ttyUSB0", "--baud", "fast"], /--baud "fast"/],
    [["--port", "/dev/ttyUSB0", "--baud", "12"], /--baud "12"/],
    [["--port", "/dev/ttyUSB0", "extra"], /unexpected argument "extra"/],
    [["--port", "/dev/ttyUSB0", "--port", "/dev/ttyUSB1"], /--port given twice/],
    [["--port", "/dev/ttyUSB0", "--bundle", "firmware.bin"], /--bundle "firmware.bin": expected a .js file/],
  ])("flash %j is refused", (argv, message) => {
    expect(() => parseFlashOptions(argv)).toThrow(message);
  });

  it("monitor knows no flash flags", () => {
    expect(() => parseMonitorOptions(["--port", "/dev/ttyUSB0", "--board", "esp32"])).toThrow(/unknown flag "--board"/);
  });

  it("suggests the flag meant", () => {
    expect(() => parseFlashOptions(["--prot", "/dev/ttyUSB0"])).toThrow(
      /unknown flag "--prot" \(did you mean --port\?\)/,
    );
  });
});

describe("serial ports", () => {
  it("reads the espruino CLI's --list", () => {
    const out =
      "Espruino Command-line Tool 0.1.67\n-----------------------------------\n\nSearching for serial ports...\nPORTS:\n  /dev/ttyUSB0  (Silicon Labs CP2102 USB to UART)\n  /dev/ttyACM0  (undefined)\n";
    expect(parseCliPortList(out)).toEqual([
      { path: "/dev/ttyUSB0", description: "Silicon Labs CP2102 USB to UART" },
      { path: "/dev/ttyACM0", description: "" },
    ]);
    expect(parseCliPortList("Error: No Ports Found\n")).toEqual([]);
  });

  it("picks the only port; refuses none or several, naming them", () => {
    expect(pickPort([{ path: "/dev/ttyUSB0", description: "CP2102" }])).toBe("/dev/ttyUSB0");
    expect(() => pickPort([])).toThrow(/no serial port found.*--port/);
    expect(() =>
      pickPort([
        { path: "/dev/ttyUSB0", description: "" },
        { path: "/dev/ttyACM0", description: "" },
      ]),
    ).toThrow(/2 serial ports: \/dev\/ttyUSB0, \/dev\/ttyACM0: pick one with --port/);
  });
});

// Each case is a process of its own: run them side by side.
describe.concurrent("npm run flash / monitor --dry-run", () => {
  it("flash prints the one command line it would run, and no secret; stdin not a terminal: no console (-w)", async () => {
    const r = await run("flash", ["--port", "/dev/ttyUSB0", "--dry-run"]);
    expect(r.stderr).toContain(
      '[flash] board esp32, device desk, broker mqtt://sensor:***@broker.example:1883, Wi-Fi "home" (password ***)',
    );
    expect(r.stderr).toContain("stdin is not a terminal");
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(
      `${ESPRUINO_CLI} --no-ble -p /dev/ttyUSB0 -b 115200 --config SAVE_ON_SEND=1 ${ROOT}/dist/esp32.js\n`,
    );
    for (const secret of [SECRET, WIFI_SECRET]) expect(r.stdout + r.stderr).not.toContain(secret);
  });

  it("flash --dry-run runs the build's checks: a missing MQTT_CA file, TLS on the esp32", async () => {
    const r = await run("flash", ["-p", "/dev/ttyUSB0", "--dry-run"], {
      ...SETTINGS,
      MQTT_URL: `mqtts://sensor:${SECRET}@broker.example`,
      MQTT_CA: "/nonexistent/ca.pem",
    });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/MQTT_CA: cannot read \/nonexistent\/ca.pem/);
    expect(r.stderr).toMatch(/MQTT_URL: mqtts:\/\/ needs/);
    expect(r.stdout).toBe("");
    expect(r.stdout + r.stderr).not.toContain(SECRET);
    expect(r.stderr).not.toMatch(/^\s+at /m);
  });

  it("flash --dry-run shows the RAM and flash margin", async () => {
    const r = await run("flash", ["-p", "/dev/ttyUSB0", "--dry-run"]);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/\[flash\] esp32 +RAM +\[[#-]+\] +45 % +1,126 of 2,500 JsVars/);
    expect(r.stderr).toMatch(/\[flash\] esp32 +flash +\[/);
  });

  it("--help prints the usage with examples, exit 0", async () => {
    const r = await run("flash", ["--help"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(FLASH_USAGE + "\n");
  });

  it("npm's forgotten --: exit 2 with the command to type", async () => {
    const r = await run("flash", ["/dev/ttyUSB0"], { ...SETTINGS, npm_config_port: "true" });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/npm took --port for itself: write npm run flash -- --port/);
  });

  it("flash --ram --no-monitor with a given bundle, quoted for the shell", async () => {
    const r = await run("flash", [
      "--port",
      "tcp://127.0.0.1:2323",
      "--board",
      "linux",
      "--baud",
      "9600",
      "--ram",
      "--no-monitor",
      "--bundle",
      "/tmp/my dir/it's.js",
      "--dry-run",
    ]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(
      `${ESPRUINO_CLI} --no-ble -p tcp://127.0.0.1:2323 -b 9600 --config SAVE_ON_SEND=0 '/tmp/my dir/it'\\''s.js'\n`,
    );
  });

  it("monitor prints its command line", async () => {
    const r = await run("monitor", ["--port", "COM3", "--baud", "115200", "--dry-run"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`${ESPRUINO_CLI} --no-ble -p COM3 -b 115200 --config ENV_ON_CONNECT=false\n`);
  });

  it.each([
    ["flash", ["--port", "ttyUSB0", "--dry-run"], /\[flash\] --port "ttyUSB0"/],
    ["flash", ["--port", "/dev/ttyUSB0", "--board", "esp8266", "--dry-run"], /unknown board "esp8266"/],
    ["flash", ["--port", "/dev/ttyUSB0", "--verbose"], /unknown flag "--verbose"/],
    ["monitor", ["--port", "/dev/ttyUSB0", "--ram"], /unknown flag "--ram"/],
    ["monitor", ["--port", "/dev/does-not-exist-0"], /no such device/],
  ] as const)("%s %j: exit code 2 and a message naming it", async (tool, argv, message) => {
    const r = await run(tool, [...argv]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stderr).toMatch(/usage: npm run /);
    expect(r.stdout).toBe("");
  });

  it("bad settings: exit code 2, every bad one named, no secret", async () => {
    const r = await run("flash", ["--port", "/dev/ttyUSB0", "--dry-run"], {
      ENV_FILE: "/dev/null",
      MQTT_URL: `http://u:${SECRET}@h`,
      WIFI_PASSWORD: "short",
    });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/MQTT_URL: scheme must be mqtt/);
    expect(r.stderr).toMatch(/DEVICE_ID: missing/);
    expect(r.stderr).toMatch(/WIFI_SSID: missing/);
    expect(r.stderr).toMatch(/WIFI_PASSWORD: must be 8 to 64/);
    expect(r.stdout + r.stderr).not.toContain(SECRET);
  });
});
