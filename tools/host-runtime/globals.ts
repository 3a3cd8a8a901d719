// The Espruino globals the bundle sees: print/console, timers, getTime, E, process, require,
// atob/btoa, getSerial. Everything handed to the script is built in the sandbox's realm.
import { randomInt } from "node:crypto";
import { crc32 } from "node:zlib";
import { bytesToBinary, binaryToBytes, iterateBytes } from "./bytes";
import type { Printer } from "./console";
import type { EventSystem } from "./events";
import type { Loop, LoopTimer } from "./loop";
import type { MemoryModel } from "./memory";
import type { Realm } from "./realm";
import type { Timers } from "./timers";

export interface GlobalsDeps {
  realm: Realm;
  loop: Loop;
  events: EventSystem;
  timers: Timers;
  printer: Printer;
  memory: MemoryModel;
  /** Built-in modules by name ("net", "tls", "Storage"); made lazily on first require. */
  modules: Record<string, () => object>;
  /** Reads a Storage file (require() also loads modules saved in Storage). */
  readStorage: (name: string) => string | undefined;
  env: Record<string, unknown>;
  serial: string;
  /** The device would reset: watchdog timeout or E.reboot(). */
  reboot: (reason: string) => void;
  /** Seeds the sandbox's Math.random (E.srand). */
  srand: (seed: number) => void;
}

export const VERSION = "2v29-host";

/** The `E` and `process` objects, kept so the runtime can emit 'kill'/'init' on them. */
export interface EspruinoObjects {
  E: Record<string, unknown>;
  process: Record<string, unknown>;
}

export function installGlobals(d: GlobalsDeps): EspruinoObjects {
  const { realm, timers, printer } = d;
  const g = realm.global;
  const define = (name: string, value: unknown): void => {
    Object.defineProperty(g, name, { value, writable: true, configurable: true, enumerable: false });
  };
  const print = (...args: unknown[]): void => printer.print(args, g);

  define("global", g);
  define("print", print);
  define("console", realm.object({ log: print, debug: print, info: print, warn: print, error: print, trace: print }));
  define("setTimeout", (cb: unknown, ms?: unknown, ...args: unknown[]) => timers.add(cb, ms, args, false));
  define("setInterval", (cb: unknown, ms?: unknown, ...args: unknown[]) => timers.add(cb, ms, args, true));
  define("clearTimeout", (...args: unknown[]) => timers.clear(args, true));
  define("clearInterval", (...args: unknown[]) => timers.clear(args, false));
  define("changeInterval", (id: unknown, ms: unknown) => timers.change(id, ms));
  define("getTime", () => (performance.timeOrigin + performance.now()) / 1000);
  define("getSerial", () => d.serial);
  define("atob", (s: unknown) => bytesToBinary(Buffer.from(String(s), "base64")));
  define("btoa", (s: unknown) => Buffer.from(binaryToBytes(String(s))).toString("base64"));
  define("require", makeRequire(d));

  const E = makeE(d);
  define("E", E);
  const proc = realm.object({
    version: VERSION,
    env: realm.object({ VERSION, BOARD: "HOST", SERIAL: d.serial, ...d.env }),
    memory: (gc?: unknown) => realm.object({ ...d.memory.read(gc) }),
  });
  define("process", proc);
  return { E, process: proc };
}

function makeRequire(d: GlobalsDeps): (name: unknown) => unknown {
  const cache = new Map<string, unknown>();
  return (name: unknown): unknown => {
    if (typeof name !== "string") {
      throw d.realm.error("TypeError", `Expecting module name as a string, got ${typeof name}`);
    }
    if (cache.has(name)) return cache.get(name);
    let exported: unknown;
    const builtIn = Object.prototype.hasOwnProperty.call(d.modules, name) ? d.modules[name] : undefined;
    if (builtIn) exported = builtIn();
    else {
      // A module saved in Storage under its name is evaluated (jspEvaluateModule).
      const source = name.length <= 28 ? d.readStorage(name) : undefined;
      if (source === undefined) throw d.realm.error("Error", `Module ${JSON.stringify(name)} not found`);
      const module = d.realm.object({ exports: d.realm.object() });
      const fn = d.realm.run(`(function (exports, module) {${source}\n})`, name) as (e: unknown, m: unknown) => void;
      fn(module.exports, module);
      exported = module.exports;
    }
    cache.set(name, exported);
    return exported;
  };
}

function makeE(d: GlobalsDeps): Record<string, unknown> {
  const { realm } = d;
  let watchdog: LoopTimer | undefined;
  let watchdogMs = 0;
  const armWatchdog = (): void => {
    d.loop.cancel(watchdog);
    watchdog = d.loop.after(watchdogMs, () => d.reboot("watchdog timeout"));
  };
  return realm.object({
    toUint8Array: (...args: unknown[]) => realm.uint8Array(iterateBytes(args, realm)),
    toString: (...args: unknown[]) => bytesToBinary(iterateBytes(args, realm)),
    toArrayBuffer: (s: unknown) => realm.arrayBuffer(binaryToBytes(String(s))),
    getTemperature: () => NaN, // as on the Linux build
    getSerial: () => d.serial,
    hwRand: () => randomInt(-0x80000000, 0x7fffffff),
    srand: (v: unknown) => d.srand(Number(v) | 0),
    // Unsigned, as on 2v29; strings count their chars' low bytes.
    CRC32: (data: unknown) => crc32(Uint8Array.from(iterateBytes(data, realm))),
    // With isAuto (the default) the idle loop kicks the watchdog; else E.kickWatchdog() must.
    enableWatchdog: (timeout?: unknown, isAuto?: unknown) => {
      d.loop.cancel(watchdog);
      watchdog = undefined;
      if (isAuto === false) {
        watchdogMs = Math.max(1, Number(timeout) || 1) * 1000;
        armWatchdog();
      }
    },
    kickWatchdog: () => {
      if (watchdog !== undefined) armWatchdog();
    },
    stopEventPropagation: () => d.events.stopPropagation(),
    reboot: () => d.reboot("E.reboot()"),
    getErrorFlags: () => realm.array([]),
  });
}
