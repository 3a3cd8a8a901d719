/**
 * Flash wear of a Storage workload, measured on Espruino's Linux interpreter and in the host
 * runtime, so the host runtime's figures (rt.flashStats()) can be trusted for benchmarks.
 *
 * On the interpreter: targets/linux/jshardware.c opens ./espruino.flash with stdio for every
 * flash operation. jshFlashWrite freads the bytes it will write (to AND the new ones in), seeks
 * back and fwrites them; jshFlashErasePage seeks to the page and fwrites 1,024 bytes of 0xFF
 * without reading them (glibc may read the start of the 4 KB block first, up to the page). So
 * under `strace -f -e trace=openat,read,write,lseek,close -xx`, following the file offset of
 * each open of espruino.flash: a write() over bytes read in the same session is a flash write
 * (bytes written += its size, writes += 1 per session), one over bytes not read is an erase
 * (pages erased += size / 1,024). The write that creates the file (O_TRUNC, 256 KB of 0xFF) is
 * not wear. Counting 1,024-byte all-0xFF write()s finds the erases too, but miscounts a
 * compaction copying a page of erased bytes (a file created with a size and not yet filled).
 *
 * CLI: tsx tools/bench/flash-wear.ts workload.js [--espruino path/to/espruino]
 * The workload runs in a fresh directory on both, then `E.reboot()` ends it.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { startBundle } from "../host-runtime/index";

export interface Wear {
  bytesWritten: number;
  writes: number;
  pagesErased: number;
}

const FLASH_FILE = "espruino.flash";

/** Wear from an `strace -xx` log of the Linux interpreter (see the header). */
export function wearFromStrace(log: string, pageBytes = 1024): Wear {
  const wear: Wear = { bytesWritten: 0, writes: 0, pagesErased: 0 };
  interface Session { pos: number; reads: Array<[number, number]>; create: boolean; wrote: boolean }
  const sessions = new Map<string, Session>();
  for (const line of log.split("\n")) {
    const m = /^(?:\d+\s+)?(openat|read|write|lseek|close)\((.*)\)\s+=\s+(-?\d+)/.exec(line);
    if (!m) continue;
    const call = m[1]!;
    const args = m[2]!;
    const ret = Number(m[3]);
    if (call === "openat") {
      const path = /"((?:\\x[0-9a-f]{2})*)"/.exec(args);
      if (ret >= 0 && path && decodeHex(path[1]!).endsWith(FLASH_FILE)) {
        sessions.set(String(ret), { pos: 0, reads: [], create: args.includes("O_TRUNC"), wrote: false });
      }
      continue;
    }
    const fd = call === "close" ? args.trim() : args.slice(0, args.indexOf(","));
    const s = sessions.get(fd);
    if (!s || ret < 0) continue;
    if (call === "close") {
      sessions.delete(fd);
    } else if (call === "lseek") {
      s.pos = ret; // the new offset
    } else if (call === "read") {
      s.reads.push([s.pos, s.pos + ret]);
      s.pos += ret;
    } else {
      const at = s.pos;
      s.pos += ret;
      if (s.create) continue;
      if (s.reads.some(([from, to]) => from <= at && at < to)) {
        wear.bytesWritten += ret;
        if (!s.wrote) wear.writes++;
        s.wrote = true;
      } else {
        wear.pagesErased += ret / pageBytes;
      }
    }
  }
  return wear;
}

function decodeHex(s: string): string {
  return s.replace(/\\x([0-9a-f]{2})/g, (_, h: string) => String.fromCharCode(parseInt(h, 16)));
}

export interface Run {
  wear: Wear;
  /** Console output (the interpreter's banner included). */
  output: string;
}

export interface InterpreterRun {
  /** Flash wear from strace (undefined with `strace: false`). */
  wear?: Wear;
  /** Console output (the interpreter's banner included). */
  output: string;
}

export interface InterpreterOptions {
  /** Working directory, holding espruino.flash (default: a fresh one, removed after). */
  cwd?: string;
  /** Power cut: SIGKILL the interpreter once its output holds this text (the flash file keeps
   * what was written). Without it the script is followed by `E.reboot()`, which ends it. */
  cutAfter?: string;
  /** Trace with strace to measure wear (default true). */
  strace?: boolean;
  timeoutMs?: number;
}

/** Runs `script` on the Linux interpreter (`espruino workload.js`, stdin an open pipe). */
export async function runInterpreter(espruino: string, script: string, o: InterpreterOptions = {}): Promise<InterpreterRun> {
  const dir = o.cwd ?? mkdtempSync(join(tmpdir(), "flash-wear-"));
  const log = join(dir, `strace-${process.pid}.log`);
  const traced = o.strace ?? true;
  try {
    writeFileSync(join(dir, "workload.js"), o.cutAfter === undefined ? script + "\nE.reboot();\n" : script);
    const argv = traced ? ["-f", "-e", "trace=openat,read,write,lseek,close", "-xx", "-o", log, espruino, "workload.js"] : ["workload.js"];
    const child = spawn(traced ? "strace" : espruino, argv, {
      cwd: dir,
      stdio: ["pipe", "pipe", "pipe"], // an open stdin: on EOF the interpreter would stop reading its console
      detached: true,
    });
    let output = "";
    let cut = false;
    const powerCut = (): void => {
      if (cut) return;
      cut = true;
      // the interpreter only: strace then ends by itself and writes its whole log
      const pid = traced ? Number(readFileSync(`/proc/${child.pid}/task/${child.pid}/children`, "utf8").trim().split(" ")[0]) : child.pid!;
      process.kill(pid, "SIGKILL");
    };
    const onData = (d: Buffer): void => {
      output += d.toString("latin1");
      if (o.cutAfter !== undefined && output.includes(o.cutAfter)) powerCut();
    };
    child.stdout.on("data", onData);
    child.stderr.on("data", onData);
    const timer = setTimeout(() => process.kill(-child.pid!, "SIGKILL"), o.timeoutMs ?? 120000);
    await new Promise((resolve) => child.once("exit", resolve));
    clearTimeout(timer);
    const ended = o.cutAfter === undefined ? output.includes("Not implemented") : cut;
    if (!ended) throw new Error(`the workload did not reach ${o.cutAfter ?? "E.reboot()"}; output:\n${output.slice(-2000)}`);
    return { wear: traced ? wearFromStrace(readFileSync(log, "latin1")) : undefined, output };
  } finally {
    if (o.cwd === undefined) rmSync(dir, { recursive: true, force: true });
    else rmSync(log, { force: true });
  }
}

/** Runs `script` on the interpreter under strace in a fresh directory: its flash wear. */
export async function interpreterWear(espruino: string, script: string): Promise<Run> {
  const r = await runInterpreter(espruino, script);
  return { wear: r.wear!, output: r.output };
}

/** Runs `script` in the host runtime (Linux layout) in `cwd`; it must be synchronous. */
export async function hostWear(script: string, cwd?: string): Promise<Run> {
  const lines: string[] = [];
  const rt = startBundle({ code: script, cwd, console: (l) => lines.push(l), emitInit: false });
  const wear = rt.flashStats();
  rt.kill();
  await rt.exited;
  return { wear: { bytesWritten: wear.bytesWritten, writes: wear.writes, pagesErased: wear.pagesErased }, output: lines.join("\n") };
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const at = args.indexOf("--espruino");
  const espruino = at >= 0 ? args.splice(at, 2)[1]! : process.env.ESPRUINO ?? "espruino";
  if (args.length !== 1) throw new Error("usage: tsx tools/bench/flash-wear.ts workload.js [--espruino path]");
  const script = readFileSync(args[0]!, "utf8");
  const host = await hostWear(script);
  const real = await interpreterWear(espruino, script);
  const row = (name: string, w: Wear) => `${name.padEnd(12)} ${String(w.bytesWritten).padStart(12)} ${String(w.writes).padStart(8)} ${String(w.pagesErased).padStart(13)}`;
  console.log(`${"".padEnd(12)} ${"bytes written".padStart(12)} ${"writes".padStart(8)} ${"pages erased".padStart(13)}`);
  console.log(row("host", host.wear));
  console.log(row("interpreter", real.wear));
  const same = JSON.stringify(host.wear) === JSON.stringify(real.wear);
  console.log(same ? "agree" : "DIFFER");
  process.exitCode = same ? 0 : 1;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((e: unknown) => {
    console.error(e instanceof Error ? e.message : e);
    process.exitCode = 1;
  });
}
