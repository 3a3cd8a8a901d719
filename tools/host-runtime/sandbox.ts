// Builds the Espruino environment: a node:vm context stripped to Espruino's built-ins, with
// on/emit on every object, Espruino's globals, and the net/tls/Storage modules.
import { ESPRUINO_EXTRAS, stripScript } from "./builtins";
import { describeException, Printer, type ConsoleSink } from "./console";
import { EventSystem } from "./events";
import { installGlobals, type EspruinoObjects } from "./globals";
import { Loop } from "./loop";
import { MemoryModel } from "./memory";
import { NetStack } from "./net";
import { Realm } from "./realm";
import { Storage } from "./storage";
import { Timers } from "./timers";

export interface SandboxOptions {
  cwd: string;
  console: ConsoleSink;
  env: Record<string, unknown>;
  strictBuiltins: boolean;
  connectFailure: "throw" | "event";
  connectTimeoutMs: number;
  memoryTotal: number;
  storageFile: string;
  storageBytes: number;
  storagePageBytes: number;
  storageFilenameTable: boolean;
  serial: string;
  /** Called when the device would reset (watchdog, E.reboot()). */
  onReboot: (reason: string) => void;
}

export interface Sandbox {
  realm: Realm;
  loop: Loop;
  events: EventSystem;
  timers: Timers;
  net: NetStack;
  printer: Printer;
  memory: MemoryModel;
  storage: Storage;
  objects: EspruinoObjects;
}

export function createSandbox(o: SandboxOptions): Sandbox {
  const printer = new Printer(o.console);
  const realm = new Realm();
  // Espruino's process.on('uncaughtException') handlers see the error instead of the console.
  let processObj: object | undefined;
  let inHandler = false;
  const report = (error: unknown): void => {
    if (processObj && !inHandler && events.has(processObj, "uncaughtException")) {
      inHandler = true; // a handler that throws is reported plainly, not recursively
      try {
        events.callNow(processObj, "uncaughtException", [error]);
      } finally {
        inHandler = false;
      }
    } else {
      printer.line("Uncaught " + describeException(error));
    }
  };
  const loop = new Loop(report);
  const events = new EventSystem(loop, realm);
  if (o.strictBuiltins) realm.run(stripScript(), "host-runtime:builtins");
  const srand = (realm.run(ESPRUINO_EXTRAS, "host-runtime:extras") as (now: () => number) => (v: number) => void)(
    () => performance.timeOrigin + performance.now(),
  );
  events.install(realm.objectPrototype);

  const timers = new Timers(loop, realm);
  const memory = new MemoryModel(o.memoryTotal);
  const storage = new Storage(realm, {
    cwd: o.cwd,
    fileName: o.storageFile,
    sizeBytes: o.storageBytes,
    pageBytes: o.storagePageBytes,
    filenameTable: o.storageFilenameTable,
    print: (line) => printer.line(line),
  });
  const storageModule = storage.module() as { read: (name: string) => string | undefined };
  const net = new NetStack(loop, realm, events, {
    connectFailure: o.connectFailure,
    connectTimeoutMs: o.connectTimeoutMs,
    cwd: o.cwd,
    print: (line) => printer.line(line),
    warn: (message) => printer.line("[host-runtime] WARNING: " + message),
    report,
  });
  const objects = installGlobals({
    realm,
    loop,
    events,
    timers,
    printer,
    memory,
    modules: {
      net: () => net.module("net"),
      tls: () => net.module("tls"),
      Storage: () => storageModule,
    },
    readStorage: (name) => storageModule.read(name),
    env: o.env,
    serial: o.serial,
    reboot: o.onReboot,
    srand,
  });
  processObj = objects.process;
  return { realm, loop, events, timers, net, printer, memory, storage, objects };
}
