/**
 * Shared pieces of the reliability suite: the device with time-stamped console lines,
 * waiting, per-test cleanup for concurrent tests, and the suite's scale.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { createInterface } from "node:readline";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { RUNTIME } from "../support/firmware";
import { recordConsole, runFirmware, type ConsoleLine, type RunningFirmware } from "../../tools/firmware-runner";
import type { Received, Subscriber } from "../support/subscriber";
import { watchedBroker, type AddCleanup } from "../support/e2e";
import { startTcpProxy, type TcpProxy } from "../../tools/support/tcp-proxy";
import type { Mosquitto } from "../../tools/support/mosquitto";

export { RUNTIME };
export const ON_INTERPRETER = !!process.env.ESPRUINO;

/**
 * A count of the suite, from the environment: RELIABILITY_<NAME>, else `base` x RELIABILITY_SCALE
 * (default 1, the CI size), at least 1.
 */
export function count(name: string, base: number): number {
  const own = process.env[`RELIABILITY_${name}`];
  if (own) return Math.max(1, Math.round(Number(own)));
  const scale = Number(process.env.RELIABILITY_SCALE || 1);
  return Math.max(1, Math.round(base * scale));
}

export const KEEPALIVE_S = 5;
/** The device gives up on a silent link 1.5 x keepalive after its last packet; its check runs each second. */
export const DEAD_LINK_MS = KEEPALIVE_S * 1500 + 1000;
/** Host-side timing slack: concurrent devices, brokers and interpreters share two CPUs in CI. */
export const SLACK_MS = 2000;

/** A console line; `at` is Date.now() on the host when it came (the tests time faults with Date.now()). */
export type Line = ConsoleLine;

export interface Device {
  firmware: RunningFirmware;
  /** Every console line, time-stamped (empty when started with keepLines false). */
  lines: Line[];
  /** Index of the first line at or after `index` matching `pattern`, or -1. */
  find(pattern: RegExp, index?: number): number;
  /** Index of the newest line matching `pattern`, or -1. */
  last(pattern: RegExp): number;
  /**
   * Resolves with the first line from `index` on matching `pattern`; rejects after `timeoutMs`, or
   * once the firmware has exited without one.
   */
  waitFor(pattern: RegExp, timeoutMs: number, index?: number): Promise<Line & { index: number }>;
  /** The seq of the newest reading the device queued (0 before the first). */
  lastSeq(): number;
  /** Lines reporting an exception nobody caught (isUncaughtLine): the firmware must never print one. */
  uncaught: string[];
  /** False once the runtime or the interpreter has exited. */
  alive(): boolean;
}

/**
 * A console line reporting an exception nobody caught: Espruino's own `Uncaught Error: ...`, or
 * what the firmware's process.on("uncaughtException") handler prints instead (`[boot] uncaught
 * exception (carrying on): ...`). Either means something threw that should not have.
 */
export const UNCAUGHT = /uncaught/i;

export function isUncaughtLine(text: string): boolean {
  return UNCAUGHT.test(text);
}

export const CONNECTED = /\[mqtt\] MQTT_CONNECTING -> CONNECTED/;
export const LOST = /\[mqtt\] CONNECTED -> BACKOFF \((.*)\)$/;
/** The connection lost, from any state. */
export const ANY_LOSS = /\[mqtt\] \w+ -> BACKOFF \((.*)\)$/;
export const DELIVERED = /\[app\] reading #(\d+) delivered/;
const QUEUED = /\[app\] reading #(\d+) .* stored \((\d+) waiting\)/;

/** Builds the `linux` bundle with `settings` and runs it (host runtime, or ESPRUINO's interpreter). */
export async function startDevice(
  settings: Record<string, string>,
  options: { keepLines?: boolean; onLine?: (line: string) => void } = {},
): Promise<Device> {
  // LOG_LEVEL=debug: the suite follows each delivery on the console.
  const file = await buildLinux({ KEEPALIVE_S: String(KEEPALIVE_S), LOG_LEVEL: "debug", ...settings });
  const uncaught: string[] = [];
  let seq = 0;
  let running = true;
  const keep = options.keepLines !== false;
  const { firmware, lines, waitFor } = recordConsole(settings.DEVICE_ID ?? "the device", (record) =>
    runFirmware(file, {
      console: (text) => {
        if (keep) record(text, Date.now());
        if (isUncaughtLine(text)) uncaught.push(text);
        const queued = QUEUED.exec(text);
        if (queued) seq = Number(queued[1]);
        if (process.env.ECHO) console.log(text);
        options.onLine?.(text);
      },
    }),
  );
  void firmware.exited.then(() => (running = false));
  return {
    firmware,
    lines,
    find(pattern, index = 0) {
      for (let i = index; i < lines.length; i++) if (pattern.test(lines[i].text)) return i;
      return -1;
    },
    last(pattern) {
      for (let i = lines.length - 1; i >= 0; i--) if (pattern.test(lines[i].text)) return i;
      return -1;
    },
    waitFor,
    lastSeq: () => seq,
    uncaught,
    alive: () => running,
  };
}

export interface WatchedDevice {
  broker: Mosquitto;
  /** The persistent QoS 1 watcher. */
  sub: Subscriber;
  /** The fault proxy between the device and the broker, when there is one. */
  proxy?: TcpProxy;
  device: Device;
}

/**
 * One scenario's rig, each part stopped when the test finishes (`add`): a mosquitto; a watcher
 * `<name>-watcher` on `topic` with a persistent session; a fault proxy in front of the broker
 * (none with `viaProxy` false); and the device `name` on it, a reading every 200 ms.
 */
export function watchedDevice(
  add: AddCleanup,
  name: string,
  topic: string,
): Promise<WatchedDevice & { proxy: TcpProxy }>;
export function watchedDevice(add: AddCleanup, name: string, topic: string, viaProxy: boolean): Promise<WatchedDevice>;
export async function watchedDevice(
  add: AddCleanup,
  name: string,
  topic: string,
  viaProxy = true,
): Promise<WatchedDevice> {
  const { broker, sub } = await watchedBroker(add, topic, `${name}-watcher`);
  let proxy: TcpProxy | undefined;
  if (viaProxy) {
    proxy = await startTcpProxy(broker.port);
    add(() => proxy!.close());
  }
  const device = await startDevice({
    MQTT_URL: proxy ? proxy.url : broker.url,
    DEVICE_ID: name,
    PUBLISH_INTERVAL_MS: "200",
  });
  add(() => device.firmware.kill());
  return { broker, sub, proxy, device };
}

/**
 * Waits (up to 45 s) for every seq 1..n on `data` at the watcher, and returns how many times each
 * came: one still missing then is for the test's expect to name.
 */
export async function arrivals(sub: Subscriber, data: string, n: number): Promise<Map<number, number>> {
  await until(
    () => missing(seqCounts(sub.messages, data), n).length === 0,
    45000,
    `readings 1..${n} at the subscriber`,
  ).catch(() => undefined);
  return seqCounts(sub.messages, data);
}

/** The device went through it whole: its queue never full, no exception nobody caught, still running. */
export function expectUnhurt(expect: typeof import("vitest").expect, device: Device): void {
  expect(device.find(/queue full/)).toBe(-1);
  expect(device.uncaught).toEqual([]);
  expect(device.alive()).toBe(true);
}

/** Waits for the device's CONNECTED, then for 5 of its readings (on `data`) at the watcher. */
export async function firstReadings(device: Device, sub: Subscriber, data: string): Promise<void> {
  await device.waitFor(CONNECTED, 20000);
  await until(() => seqCounts(sub.messages, data).size >= 5, 20000, "5 readings at the subscriber");
}

let builder: { child: ChildProcess; waiting: Map<number, (error?: string) => void>; next: number } | undefined;

/** The `linux` bundle with `settings`, built in a child process (see build-child.ts). */
export function buildLinux(settings: Record<string, string>): Promise<string> {
  if (!builder) {
    const script = new URL("./build-child.ts", import.meta.url).pathname;
    const child = spawn(process.execPath, ["--import", "tsx", script], { stdio: ["pipe", "pipe", "inherit"] });
    // It must not keep the test process alive: its pipes and the process itself are unreferenced.
    for (const handle of [child, child.stdin, child.stdout] as unknown as { unref(): void }[]) handle.unref();
    process.once("exit", () => child.kill());
    const waiting = new Map<number, (error?: string) => void>();
    createInterface({ input: child.stdout! }).on("line", (line) => {
      const answer = JSON.parse(line) as { id: number; error?: string };
      waiting.get(answer.id)?.(answer.error);
      waiting.delete(answer.id);
    });
    child.on("exit", (code) => {
      builder = undefined;
      for (const fail of waiting.values()) fail(`the build process exited (${code})`);
      waiting.clear();
    });
    builder = { child, waiting, next: 1 };
  }
  const b = builder;
  const id = b.next++;
  const out = join(mkdtempSync(join(tmpdir(), "bundle-")), "linux.js");
  return new Promise((resolve, reject) => {
    b.waiting.set(id, (error) => (error ? reject(new Error(`build failed: ${error}`)) : resolve(out)));
    b.child.stdin!.write(JSON.stringify({ id, settings, out }) + "\n");
  });
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export async function until(predicate: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(20);
  }
}

/** Waits until the device is connected and has had a reading acknowledged on this connection. */
export async function settled(device: Device, timeoutMs = 70000): Promise<void> {
  await until(
    () => {
      const up = device.last(CONNECTED);
      return up > device.last(ANY_LOSS) && device.find(DELIVERED, up) >= 0;
    },
    timeoutMs,
    "connected, with a reading delivered",
  );
}

/** Cleanups for one test, run newest first when it finishes (tests of a file run concurrently). */
export function cleanups(onTestFinished: (fn: () => Promise<void>) => void): (fn: () => unknown) => void {
  const list: (() => unknown)[] = [];
  onTestFinished(async () => {
    for (const fn of list.splice(0).reverse()) {
      try {
        await fn();
      } catch {
        // a cleanup's failure must not hide the test's
      }
    }
  });
  return (fn) => list.push(fn);
}

/** How many times each seq arrived, from messages on `topic`. */
export function seqCounts(messages: Received[], topic: string): Map<number, number> {
  const counts = new Map<number, number>();
  for (const m of messages) {
    if (m.topic !== topic) continue;
    const seq = JSON.parse(m.payload).seq as number;
    counts.set(seq, (counts.get(seq) ?? 0) + 1);
  }
  return counts;
}

/** Seqs in 1..n that never arrived. */
export function missing(counts: Map<number, number>, n: number): number[] {
  const gone: number[] = [];
  for (let s = 1; s <= n; s++) if (!counts.has(s)) gone.push(s);
  return gone;
}

/** Arrivals beyond the first, summed over all seqs. */
export function duplicates(counts: Map<number, number>): number {
  let n = 0;
  for (const c of counts.values()) n += c - 1;
  return n;
}

export const seconds = (ms: number) => (ms / 1000).toFixed(2) + " s";

/** One summary line per scenario, for the run's log. */
export function report(line: string): void {
  console.log(`[reliability] ${line}`);
}
