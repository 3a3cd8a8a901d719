/**
 * `npm run flash` for real, against Espruino's Linux interpreter (ESPRUINO=/path/to/espruino) in
 * place of a board: its console on telnet (tcp://127.0.0.1:2323), its Storage in espruino.flash in
 * its working directory, a "power cycle" is SIGKILL and a new interpreter in the same directory.
 * The bundle goes up through tools/flash.ts and the real espruino CLI, as on an ESP32.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildBundle } from "../../tools/build/build-bundle";
import { startMosquitto, type Mosquitto } from "../../tools/support/mosquitto";
import { waitForPort } from "../../tools/support/ports";
import { subscribe, type Subscriber } from "../support/subscriber";

const ROOT = resolve(__dirname, "../..");
const ESPRUINO = process.env.ESPRUINO ?? "";
const TELNET = 2323;
const DEVICE = "flash-test";
const DATA = `sensors/${DEVICE}/temperature`;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** True while something accepts connections on the telnet port. */
function listening(port: number): Promise<boolean> {
  return new Promise((done) => {
    const socket = connect({ host: "127.0.0.1", port }, () => {
      socket.destroy();
      done(true);
    });
    socket.once("error", () => done(false));
  });
}

interface Interpreter {
  child: ChildProcess;
  /** What it printed on its own stdout (the console while no telnet client is connected). */
  output(): string;
  kill(): Promise<void>;
}

/** Espruino with its console on telnet, in `dir` (where its Storage file lives). Its port is fixed: wait for it to be free. */
async function startInterpreter(dir: string): Promise<Interpreter> {
  for (let waited = 0; await listening(TELNET); waited += 250) {
    if (waited > 30000) throw new Error(`port ${TELNET} is taken by another process (another Espruino --telnet?)`);
    await sleep(250);
  }
  // stdin an open pipe: with /dev/null the interpreter reports FIFO_FULL.
  const child = spawn(ESPRUINO, ["--telnet"], { cwd: dir, stdio: ["pipe", "pipe", "pipe"] });
  let output = "";
  child.stdout!.on("data", (d) => (output += d.toString("latin1")));
  child.stderr!.on("data", (d) => (output += d.toString("latin1")));
  const exited = new Promise<void>((r) => child.once("exit", () => r()));
  await waitForPort(TELNET, 10000);
  return {
    child,
    output: () => output,
    async kill() {
      // SIGTERM may be ignored with --telnet.
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
      await exited;
    },
  };
}

/** Runs `npm run flash` (tools/flash.ts through tsx) without staying on the console; stdin /dev/null with `stdin: "ignore"`. */
function flash(args: string[], stdin: "pipe" | "ignore" = "pipe"): Promise<{ code: number | null; output: string }> {
  return new Promise((done) => {
    const child = spawn(process.execPath, ["--import", "tsx", "tools/flash.ts", ...args], {
      cwd: ROOT,
      env: { ...process.env, ENV_FILE: "/dev/null" },
      stdio: [stdin, "pipe", "pipe"],
    });
    let output = "";
    child.stdout!.on("data", (d) => (output += d));
    child.stderr!.on("data", (d) => (output += d));
    child.on("close", (code) => done({ code, output }));
  });
}

interface Memory {
  free: number;
  usage: number;
}

/** process.memory() asked on the console, from a timer (so the typed line's own text is gone). */
function memory(): Promise<Memory> {
  return new Promise((done, fail) => {
    const socket = connect({ host: "127.0.0.1", port: TELNET }, () => {
      socket.write('\x10setTimeout(function(){print("MEM"+JSON.stringify(process.memory()))},20)\n');
    });
    let text = "";
    const timer = setTimeout(() => {
      socket.destroy();
      fail(new Error("no process.memory() answer: " + text.slice(-300)));
    }, 5000);
    socket.on("data", (d) => {
      text += d.toString("latin1");
      const m = /MEM(\{[^\n]*\})/.exec(text);
      if (m) {
        clearTimeout(timer);
        socket.destroy();
        done(JSON.parse(m[1]));
      }
    });
    socket.on("error", fail);
  });
}

describe.runIf(!!ESPRUINO)("npm run flash on Espruino's Linux interpreter", () => {
  const dir = mkdtempSync(join(tmpdir(), "espruino-flash-"));
  const bundle = join(mkdtempSync(join(tmpdir(), "flash-bundle-")), "linux.js");
  let broker: Mosquitto;
  let sub: Subscriber;
  let interpreter: Interpreter | undefined;
  const used: Record<string, number> = {};

  const readings = () => sub.on(DATA).length;
  const moreReadings = (n: number, what: string) => {
    const from = readings();
    return sub.waitFor(() => readings() >= from + n, 15000, what);
  };
  const powerCycle = async () => {
    await interpreter?.kill();
    interpreter = await startInterpreter(dir);
  };

  beforeAll(async () => {
    broker = await startMosquitto();
    sub = await subscribe(broker.url, `sensors/${DEVICE}/#`);
    await buildBundle("linux", { MQTT_URL: broker.url, DEVICE_ID: DEVICE, PUBLISH_INTERVAL_MS: "200" }, bundle);
    interpreter = await startInterpreter(dir);
  });
  afterAll(async () => {
    await interpreter?.kill();
    await sub?.close();
    await broker?.stop();
  });

  it("--ram: runs at once, gone after a power cycle", async () => {
    const r = await flash([
      "--port",
      `tcp://127.0.0.1:${TELNET}`,
      "--board",
      "linux",
      "--bundle",
      bundle,
      "--ram",
      "--no-monitor",
    ]);
    expect(r.code, r.output).toBe(0);
    expect(r.output).toContain("Upload Complete");
    await moreReadings(3, "3 readings after the RAM upload");
    await sleep(500);
    used.ram = (await memory()).usage;

    await powerCycle();
    const before = readings();
    await sleep(2000);
    expect(readings()).toBe(before);
    expect(interpreter!.output()).not.toContain("[boot]");
  }, 90000);

  it("default: .bootcde runs from flash, uses fewer JsVars, survives a power cycle", async () => {
    const r = await flash([
      "--port",
      `tcp://127.0.0.1:${TELNET}`,
      "--board",
      "linux",
      "--bundle",
      bundle,
      "--no-monitor",
    ]);
    expect(r.code, r.output).toBe(0);
    expect(r.output).toContain("Upload Complete");
    // load() restarted the interpreter: the firmware's first line, from .bootcde.
    expect(r.output).toContain("[boot] board linux, device flash-test");
    await moreReadings(3, "3 readings after the upload to Storage");
    await sleep(500);
    used.storage = (await memory()).usage;
    console.log(`JsVars used with the firmware running: from .bootcde ${used.storage}, sent to RAM ${used.ram}`);
    if (used.ram !== undefined) expect(used.storage).toBeLessThan(used.ram);

    await powerCycle();
    await moreReadings(3, "3 readings after the power cycle");
    expect(interpreter!.output()).toContain("[boot] board linux, device flash-test");
  }, 90000);

  it("in a pipe (`npm run flash ... < /dev/null`): no console, the upload completes, with progress", async () => {
    const r = await flash(["--port", `tcp://127.0.0.1:${TELNET}`, "--board", "linux", "--bundle", bundle], "ignore");
    expect(r.code, r.output).toBe(0);
    expect(r.output).toContain("stdin is not a terminal");
    expect(r.output).toMatch(/\[flash\] uploading [\d,]+ B/);
    expect(r.output).toContain("Upload Complete");
    expect(r.output).not.toContain("the upload did not complete");
    await moreReadings(3, "3 readings after the upload from a pipe");
  }, 90000);
});
