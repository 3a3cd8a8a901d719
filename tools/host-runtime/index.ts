// Runs an Espruino bundle (dist/<board>.js) on Node with Espruino's API and quirks, so a bug
// that would break on the device breaks here too. See README.md for what is mirrored.
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import type { ConsoleSink } from "./console";
import type { MemoryInfo } from "./memory";
import { createSandbox, type Sandbox } from "./sandbox";
import type { FlashStats } from "./storage";

export type { ConsoleSink } from "./console";
export type { MemoryInfo } from "./memory";
export type { FlashStats } from "./storage";

/** Storage's flash as each build has it: size, erase page, whether a filename table is kept. */
export const STORAGE_LAYOUTS = {
  /** Espruino for Linux: 256 KB fake flash (./espruino.flash), 1 KB pages, ESPR_STORAGE_FILENAME_TABLE. */
  linux: { bytes: 262144, pageBytes: 1024, filenameTable: true },
  /** ESP32 (boards/ESP32.py): 224 pages of 4 KB = 896 KB, no filename table. */
  esp32: { bytes: 917504, pageBytes: 4096, filenameTable: false },
} as const;

export interface HostRuntimeOptions {
  /** Path of the bundle to run (or give `code`). */
  file?: string;
  /** Bundle source text (instead of `file`). */
  code?: string;
  /** Directory for Storage's flash file; default: a new temp dir, removed on exit. */
  cwd?: string;
  /** Receives each console line; default: written to process.stdout. */
  console?: ConsoleSink;
  /** Extra entries for process.env (VERSION, BOARD:"HOST" and SERIAL are always there). */
  env?: Record<string, string | number | boolean>;
  /** Emit E's 'init' after the script ran, as when it boots from flash. Default true. */
  emitInit?: boolean;
  /** "throw" (default): like the Linux build, a refused port or unknown host throws from
   * connect(). "event": like the ESP32 may, report it later as 'error' then 'close'. */
  connectFailure?: "throw" | "event";
  /** Timeout of the blocking connect probe, ms (default 3000). */
  connectTimeoutMs?: number;
  /** Strip V8 built-ins Espruino lacks (Map, Array.from, ...). Default true. */
  strictBuiltins?: boolean;
  /** Initial process.memory().total in JsVars (default 16383); doubles like Linux's pool. */
  memoryTotal?: number;
  /** Storage's flash image inside cwd (default "espruino.flash", the Linux build's raw format). */
  storageFile?: string;
  /** Flash layout (default "linux"); storageBytes/storagePageBytes override its figures. */
  storageLayout?: keyof typeof STORAGE_LAYOUTS;
  /** Storage size in bytes (default 262144, the Linux build's fake flash). */
  storageBytes?: number;
  /** Storage's erase page in bytes (default 1024, as on the Linux build). */
  storagePageBytes?: number;
  /** getSerial() / E.getSerial() (default "HOST-0001"). */
  serial?: string;
}

/** Why the runtime ended. */
export interface ExitInfo {
  reason: "stop" | "kill" | "watchdog timeout" | "E.reboot()";
}

export interface HostRuntime {
  /** Directory holding Storage's flash file. */
  readonly cwd: string;
  /** Resolves once the runtime is torn down (no timers, sockets or handles left). */
  readonly exited: Promise<ExitInfo>;
  /** "running" until stop()/kill(), then "stopping", then "stopped". */
  readonly state: "running" | "stopping" | "stopped";
  /**
   * As Espruino 2v29's reset(), load() or exit: E's 'kill' listeners run, then every socket closes
   * at once (a FIN, so the broker sends the Will) with whatever they wrote still unsent, and the
   * timers are gone.
   */
  stop(): Promise<void>;
  /** Pulling the power: sockets reset, timers dropped, no 'kill' event. */
  kill(): void;
  /** The same estimate the script gets from process.memory() (see memory.ts). */
  memory(): MemoryInfo;
  /** Flash wear since start: bytes written, writes and pages erased by Storage. */
  flashStats(): FlashStats;
}

export function startBundle(options: HostRuntimeOptions): HostRuntime {
  const code = options.code ?? (options.file !== undefined ? readFileSync(options.file, "utf8") : undefined);
  if (code === undefined) throw new Error("startBundle: give `file` or `code`");
  const ownDir = options.cwd === undefined;
  const cwd = options.cwd ?? mkdtempSync(path.join(os.tmpdir(), "espruino-host-"));
  const sink: ConsoleSink = options.console ?? ((line) => process.stdout.write(line + "\n"));
  const layout = STORAGE_LAYOUTS[options.storageLayout ?? "linux"];

  let state: HostRuntime["state"] = "running";
  let resolveExit!: (info: ExitInfo) => void;
  const exited = new Promise<ExitInfo>((r) => (resolveExit = r));

  const teardown = (info: ExitInfo, abrupt: boolean): void => {
    if (state === "stopped") return;
    state = "stopped";
    sb.loop.dispose();
    sb.timers.dispose();
    sb.events.clear();
    const netDown = sb.net.destroyAll(abrupt);
    if (ownDir) rmSync(cwd, { recursive: true, force: true });
    void netDown.then(
      () => resolveExit(info),
      () => resolveExit(info),
    );
  };

  const sb: Sandbox = createSandbox({
    cwd,
    console: sink,
    env: options.env ?? {},
    strictBuiltins: options.strictBuiltins ?? true,
    connectFailure: options.connectFailure ?? "throw",
    connectTimeoutMs: options.connectTimeoutMs ?? 3000,
    memoryTotal: options.memoryTotal ?? 16383,
    storageFile: options.storageFile ?? "espruino.flash",
    storageBytes: options.storageBytes ?? layout.bytes,
    storagePageBytes: options.storagePageBytes ?? layout.pageBytes,
    storageFilenameTable: layout.filenameTable,
    serial: options.serial ?? "HOST-0001",
    onReboot: (reason) => {
      sb.printer.line(`[host-runtime] ${reason}: the device would reset here; the runtime stops`);
      teardown({ reason: reason as ExitInfo["reason"] }, true);
    },
  });

  // The bundle is one script; an exception is printed and whatever it set up keeps running.
  sb.loop.guard(() => sb.realm.run(code, options.file ?? "bundle.js"));
  if (options.emitInit ?? true) sb.events.queueEvent(sb.objects.E, "init", []);

  return {
    cwd,
    exited,
    get state() {
      return state;
    },
    stop(): Promise<void> {
      if (state === "running") {
        state = "stopping";
        // E 'kill' runs from a later macrotask; its writes stay in the send buffers teardown drops.
        sb.loop.soon(() => {
          sb.events.callNow(sb.objects.E, "kill", []);
          teardown({ reason: "stop" }, false);
        });
      }
      return exited.then(() => undefined);
    },
    kill(): void {
      teardown({ reason: "kill" }, true);
    },
    memory(): MemoryInfo {
      return sb.memory.read(false);
    },
    flashStats(): FlashStats {
      return sb.storage.wear();
    },
  };
}
