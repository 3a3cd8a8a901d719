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
 *
 * Figure 7 of `npm run bench` (benchFlashWear; alone: tsx tools/bench/flash-wear.ts --bench
 * [--quick]): the durable store driven through store-workload.ts for tens of thousands of readings
 * on the esp32 and linux Storage layouts of the host runtime, and on the Linux interpreter under
 * strace (its log read through a FIFO as it comes), with the wear read at a mark every 250
 * readings. Per 1,000 readings over whole compaction cycles (every erase comes from a
 * compaction, and a compaction erases each page at most once), and the esp32 board's Storage
 * lifetime at its default interval and STORE_READINGS: 100,000 erase cycles a page, the erases
 * spread evenly over the pages a compaction erases.
 */
import { execFileSync, spawn } from "node:child_process";
import { createReadStream, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { startBundle } from "../host-runtime/index";
import { buildBundle } from "../build/build-bundle";
import { storeSegments } from "../build/settings";
import { PLACEHOLDER_SETTINGS } from "./bundle-size";
import { espruinoVersion } from "../espruino-binary";
import { storeWorkloadScript, WEAR_MARK } from "./store-workload";
import { missingRow, type BenchRow } from "./table";
import { isEntryPoint, REPO_ROOT, tempDir } from "./shared";

export interface Wear {
  bytesWritten: number;
  writes: number;
  pagesErased: number;
}

const FLASH_FILE = "espruino.flash";

/**
 * Parses an `strace -xx` log of the Linux interpreter line by line (see the header), so a long
 * run can be followed as it goes. `onStdout` gets the text of each write() to fd 1 (the console).
 */
export class StraceWear {
  readonly wear: Wear = { bytesWritten: 0, writes: 0, pagesErased: 0 };
  private sessions = new Map<
    string,
    { pos: number; reads: Array<[number, number]>; create: boolean; wrote: boolean }
  >();

  constructor(
    private pageBytes = 1024,
    private onStdout?: (text: string) => void,
  ) {}

  line(line: string): void {
    const m = /^(?:\d+\s+)?(openat|read|write|lseek|close)\((.*)\)\s+=\s+(-?\d+)/.exec(line);
    if (!m) return;
    const call = m[1]!;
    const args = m[2]!;
    const ret = Number(m[3]);
    if (call === "openat") {
      const path = /"((?:\\x[0-9a-f]{2})*)"/.exec(args);
      if (ret >= 0 && path && decodeHex(path[1]!).endsWith(FLASH_FILE)) {
        this.sessions.set(String(ret), { pos: 0, reads: [], create: args.includes("O_TRUNC"), wrote: false });
      }
      return;
    }
    const fd = call === "close" ? args.trim() : args.slice(0, args.indexOf(","));
    if (fd === "1" && call === "write" && this.onStdout) {
      const text = /"((?:\\x[0-9a-f]{2})*)"/.exec(args);
      if (text) this.onStdout(decodeHex(text[1]!));
    }
    const s = this.sessions.get(fd);
    if (!s || ret < 0) return;
    if (call === "close") {
      this.sessions.delete(fd);
    } else if (call === "lseek") {
      s.pos = ret; // the new offset
    } else if (call === "read") {
      s.reads.push([s.pos, s.pos + ret]);
      s.pos += ret;
    } else {
      const at = s.pos;
      s.pos += ret;
      if (s.create) return;
      if (s.reads.some(([from, to]) => from <= at && at < to)) {
        this.wear.bytesWritten += ret;
        if (!s.wrote) this.wear.writes++;
        s.wrote = true;
      } else {
        this.wear.pagesErased += ret / this.pageBytes;
      }
    }
  }
}

/** Wear from an `strace -xx` log of the Linux interpreter (see the header). */
export function wearFromStrace(log: string, pageBytes = 1024): Wear {
  const parser = new StraceWear(pageBytes);
  for (const line of log.split("\n")) parser.line(line);
  return parser.wear;
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
export async function runInterpreter(
  espruino: string,
  script: string,
  o: InterpreterOptions = {},
): Promise<InterpreterRun> {
  const dir = o.cwd ?? tempDir("flash-wear-");
  const log = join(dir, `strace-${process.pid}.log`);
  const traced = o.strace ?? true;
  try {
    writeFileSync(join(dir, "workload.js"), o.cutAfter === undefined ? script + "\nE.reboot();\n" : script);
    const argv = traced
      ? ["-f", "-e", "trace=openat,read,write,lseek,close", "-xx", "-o", log, espruino, "workload.js"]
      : ["workload.js"];
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
      const pid = traced
        ? Number(readFileSync(`/proc/${child.pid}/task/${child.pid}/children`, "utf8").trim().split(" ")[0])
        : child.pid!;
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
    if (!ended)
      throw new Error(`the workload did not reach ${o.cutAfter ?? "E.reboot()"}; output:\n${output.slice(-2000)}`);
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
  return {
    wear: { bytesWritten: wear.bytesWritten, writes: wear.writes, pagesErased: wear.pagesErased },
    output: lines.join("\n"),
  };
}

// ---- Figure 7: wear of the durable store over many readings (store-workload.ts) ----

/** Wear at each `<<wear N>>` mark of a workload: N readings so far. */
export interface WearMark {
  readings: number;
  wear: Wear;
}

const copyWear = (w: Wear): Wear => ({ bytesWritten: w.bytesWritten, writes: w.writes, pagesErased: w.pagesErased });

/** Reads `<<wear N>>` marks out of console text that may come in pieces. */
function markReader(onMark: (readings: number) => void): (text: string) => void {
  let pending = "";
  return (text) => {
    pending += text;
    let m: RegExpExecArray | null;
    const re = /<<wear (\d+)>>/g;
    let last = 0;
    while ((m = re.exec(pending))) {
      onMark(Number(m[1]));
      last = re.lastIndex;
    }
    pending = pending.slice(last).slice(-64);
  };
}

/** Runs a workload script in the host runtime: the wear counters at each mark, until `<<wear done>>`. */
export async function hostWearTimeline(
  script: string,
  storageLayout: "linux" | "esp32",
  timeoutMs = 900000,
): Promise<WearMark[]> {
  const marks: WearMark[] = [];
  let rt: ReturnType<typeof startBundle> | undefined;
  let output = "";
  const done = new Promise<void>((resolveDone, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`host workload: no end after ${timeoutMs} ms; output:\n${output.slice(-1000)}`)),
      timeoutMs,
    );
    const read = markReader((readings) => marks.push({ readings, wear: copyWear(rt!.flashStats()) }));
    rt = startBundle({
      code: script,
      storageLayout,
      emitInit: false,
      console: (line) => {
        output = (output + line + "\n").slice(-4000);
        read(line + "\n");
        if (/Uncaught|Error/.test(line)) reject(new Error("host workload: " + line));
        if (line.includes(WEAR_MARK + "done>>")) {
          clearTimeout(timer);
          resolveDone();
        }
      },
    });
  });
  try {
    await done;
  } finally {
    rt?.kill();
    await rt?.exited;
  }
  return marks;
}

/**
 * Runs a workload script on the Linux interpreter under strace, the log parsed as it comes (through
 * a pipe, never on disk: a long run logs gigabytes): the wear at each mark, until `<<wear done>>`.
 */
export async function interpreterWearTimeline(
  espruino: string,
  script: string,
  timeoutMs = 1800000,
): Promise<WearMark[]> {
  const dir = tempDir("flash-wear-timeline-");
  const marks: WearMark[] = [];
  try {
    writeFileSync(join(dir, "workload.js"), script);
    const parser: StraceWear = new StraceWear(
      1024,
      markReader((readings) => marks.push({ readings, wear: copyWear(parser.wear) })),
    );
    // strace writes its log into a FIFO that this process reads as it fills.
    const fifo = join(dir, "strace.fifo");
    execFileSync("mkfifo", [fifo]);
    const child = spawn(
      "strace",
      ["-f", "-s", "128", "-e", "trace=openat,read,write,lseek,close", "-xx", "-o", fifo, espruino, "workload.js"],
      {
        cwd: dir,
        stdio: ["pipe", "pipe", "pipe"],
        detached: true,
      },
    );
    let output = "";
    let ended = false;
    const end = (): void => {
      if (ended) return;
      ended = true;
      // the interpreter only: strace then ends by itself, its whole log written
      const pid = Number(readFileSync(`/proc/${child.pid}/task/${child.pid}/children`, "utf8").trim().split(" ")[0]);
      if (pid) process.kill(pid, "SIGKILL");
    };
    const onData = (d: Buffer): void => {
      output = (output + d.toString("latin1")).slice(-4000);
      if (output.includes(WEAR_MARK + "done>>")) end();
    };
    child.stdout!.on("data", onData);
    child.stderr!.on("data", onData);
    let pending = "";
    const log = createReadStream(fifo);
    log.on("data", (d: Buffer | string) => {
      pending += typeof d === "string" ? d : d.toString("latin1");
      const lines = pending.split("\n");
      pending = lines.pop() ?? "";
      for (const line of lines) parser.line(line);
    });
    const logEnded = new Promise<void>((r) => log.once("end", () => r()));
    const timer = setTimeout(() => process.kill(-child.pid!, "SIGKILL"), timeoutMs);
    await new Promise((r) => child.once("exit", r));
    await logEnded;
    clearTimeout(timer);
    if (pending) parser.line(pending);
    if (!ended) throw new Error(`the workload did not finish; output:\n${output.slice(-2000)}`);
    return marks;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Per 1,000 readings over whole compaction cycles (from just after the first to just after the last), or the whole run. */
export interface SteadyWear {
  bytesPer1000: number;
  pagesPer1000: number;
  /** Compactions (chunks in which pages were erased) in the run, and readings between two of them. */
  compactions: number;
  readingsPerCycle?: number;
  /** Pages erased by one compaction (the most seen). */
  pagesPerCompaction: number;
  /** "2 whole cycles (readings 39,250..117,500)" or "whole run, 1 compaction". */
  window: string;
  readings: number;
}

export function steadyWear(marks: WearMark[]): SteadyWear {
  const jumps: number[] = [];
  let mostPerCompaction = 0;
  for (let i = 1; i < marks.length; i++) {
    const erased = marks[i].wear.pagesErased - marks[i - 1].wear.pagesErased;
    if (erased > 0) {
      jumps.push(i);
      mostPerCompaction = Math.max(mostPerCompaction, erased);
    }
  }
  const per = (a: WearMark, b: WearMark) => {
    const readings = b.readings - a.readings;
    return {
      bytesPer1000: ((b.wear.bytesWritten - a.wear.bytesWritten) / readings) * 1000,
      pagesPer1000: ((b.wear.pagesErased - a.wear.pagesErased) / readings) * 1000,
      readings,
    };
  };
  const first = marks[0];
  const last = marks[marks.length - 1];
  if (jumps.length >= 2) {
    const a = marks[jumps[0]];
    const b = marks[jumps[jumps.length - 1]];
    const cycles = jumps.length - 1;
    return {
      ...per(a, b),
      compactions: jumps.length,
      readingsPerCycle: (b.readings - a.readings) / cycles,
      pagesPerCompaction: mostPerCompaction,
      window: `${cycles} whole cycle${cycles > 1 ? "s" : ""}, readings ${a.readings}..${b.readings}`,
    };
  }
  if (jumps.length === 1) {
    // From a compact flash (the setup) to just after the first compaction: about one cycle.
    const b = marks[jumps[0]];
    return {
      ...per(first, b),
      compactions: 1,
      readingsPerCycle: b.readings - first.readings,
      pagesPerCompaction: mostPerCompaction,
      window: `readings ${first.readings}..${b.readings}, from a compact flash to the first compaction`,
    };
  }
  return {
    ...per(first, last),
    compactions: 0,
    pagesPerCompaction: 0,
    window: `readings ${first.readings}..${last.readings}, no compaction`,
  };
}

/** Erase cycles a page of the ESP32's SPI flash is rated for (the figure's assumption). */
export const ERASE_CYCLES = 100000;
export const LIFETIME_TARGET_YEARS = 10;
const YEAR_S = 365.25 * 86400;

interface BoardFacts {
  intervalMs: number;
  storeReadings: number;
}

function boardFacts(name: string): BoardFacts {
  const board = JSON.parse(readFileSync(join(REPO_ROOT, `boards/${name}.json`), "utf8"));
  return {
    intervalMs: Number(board.defaults.PUBLISH_INTERVAL_MS),
    storeReadings: Number(board.defaults.STORE_READINGS),
  };
}

export interface FlashWearOptions {
  espruino?: string;
  group?: string;
  /** Skip the interpreter (strace) runs: they take minutes. */
  quick?: boolean;
}

interface Case {
  layout: "linux" | "esp32";
  mode: "normal" | "outage";
  outage?: number;
  readings: number;
  on: "host" | "interpreter";
}

export async function benchFlashWear(o: FlashWearOptions): Promise<BenchRow[]> {
  const group = o.group;
  const rows: BenchRow[] = [];
  const dir = tempDir("bench-wear-build-");
  const boards = { esp32: boardFacts("esp32"), linux: boardFacts("linux") };
  // What else each board's Storage holds: its bundle as .bootcde (the test settings), the boot counter.
  const files = async (board: "linux" | "esp32") => [
    { name: ".bootcde", data: await buildBundle(board, PLACEHOLDER_SETTINGS, join(dir, `${board}.js`)) },
    { name: "rb1", data: "\x00\x00\x01\x00", size: 256 },
  ];
  const interpreterReadings = Number(process.env.BENCH_WEAR_INTERPRETER_READINGS || 11500);
  const cases: Case[] = [
    { layout: "esp32", mode: "normal", readings: 90000, on: "host" },
    { layout: "esp32", mode: "outage", outage: 1500, readings: 90000, on: "host" },
    { layout: "esp32", mode: "outage", outage: boards.esp32.storeReadings, readings: 95040, on: "host" },
    { layout: "linux", mode: "normal", readings: 25000, on: "host" },
    { layout: "linux", mode: "outage", outage: 1500, readings: 25500, on: "host" },
    { layout: "linux", mode: "normal", readings: interpreterReadings, on: "interpreter" },
    { layout: "linux", mode: "outage", outage: 1500, readings: interpreterReadings, on: "interpreter" },
  ];
  const describe = (c: Case) =>
    c.mode === "normal" ? "delivered normally" : `through outages of ${c.outage!.toLocaleString("en-US")} readings`;
  const results = new Map<Case, SteadyWear>();
  const runtimeOf = (c: Case) =>
    c.on === "host"
      ? `host runtime, ${c.layout} Storage (${c.layout === "esp32" ? "896 KB, 4 KB pages" : "256 KB, 1 KB pages"})`
      : `${o.espruino ? espruinoVersion(o.espruino) : "Espruino"}, strace of ./espruino.flash (256 KB, 1 KB pages)`;
  for (const c of cases) {
    const name = (what: string) =>
      `${what} per 1,000 readings, ${describe(c)}, ${c.on === "host" ? `host ${c.layout}` : "Espruino (Linux)"}`;
    if (c.on === "interpreter" && (!o.espruino || o.quick)) {
      const why = o.espruino ? "skipped (--quick)" : "needs ESPRUINO";
      rows.push(
        missingRow(name("bytes written"), "B", "", why, group),
        missingRow(name("pages erased"), "pages", "", why, group),
      );
      continue;
    }
    const segments = storeSegments(boards[c.layout].storeReadings);
    const script = await storeWorkloadScript({
      segments,
      readings: c.readings,
      mode: c.mode,
      outage: c.outage,
      chunk: 250,
      files: await files(c.layout),
    });
    const marks =
      c.on === "host" ? await hostWearTimeline(script, c.layout) : await interpreterWearTimeline(o.espruino!, script);
    const w = steadyWear(marks);
    results.set(c, w);
    const note = `${w.window}; ${segments} segments of 4 KB; ${w.compactions} compaction${w.compactions === 1 ? "" : "s"}${w.readingsPerCycle ? `, one every ${Math.round(w.readingsPerCycle).toLocaleString("en-US")} readings, erasing up to ${w.pagesPerCompaction} pages` : ""}`;
    rows.push({
      group,
      name: name("bytes written"),
      value: Math.round(w.bytesPer1000),
      unit: "B",
      target: "",
      runtime: runtimeOf(c),
      note,
    });
    rows.push({
      group,
      name: name("pages erased"),
      value: Math.round(w.pagesPer1000 * 100) / 100,
      unit: "pages",
      target: "",
      runtime: runtimeOf(c),
      note: `${c.layout === "esp32" ? "4 KB" : "1 KB"} pages`,
    });
    if (c.on === "interpreter") {
      // The same workload in the host runtime: the wear must agree at every mark.
      const host = await hostWearTimeline(script, "linux");
      const base = (m: WearMark[]) => m[0].wear;
      const delta = (m: WearMark, b: Wear) =>
        `${m.wear.bytesWritten - b.bytesWritten}/${m.wear.writes - b.writes}/${m.wear.pagesErased - b.pagesErased}`;
      let differ = 0;
      for (let i = 0; i < Math.max(marks.length, host.length); i++) {
        if (
          !marks[i] ||
          !host[i] ||
          marks[i].readings !== host[i].readings ||
          delta(marks[i], base(marks)) !== delta(host[i], base(host))
        )
          differ++;
      }
      rows.push({
        group,
        name: `marks where host runtime and Espruino differ, ${describe(c)}`,
        value: differ,
        unit: "",
        target: "0",
        ok: differ === 0,
        runtime: runtimeOf(c),
        note: `${marks.length} marks every 250 readings: bytes written, writes and pages erased since mark 0`,
      });
    }
  }
  // Lifetime of the esp32 board's Storage at its default interval and STORE_READINGS.
  const perYear = YEAR_S / (boards.esp32.intervalMs / 1000);
  for (const c of cases.filter((k) => k.on === "host" && k.layout === "esp32")) {
    const w = results.get(c)!;
    const name = `esp32 Storage lifetime, ${describe(c)}`;
    if (!w.pagesPer1000 || !w.pagesPerCompaction) {
      rows.push(missingRow(name, "years", `>= ${LIFETIME_TARGET_YEARS}`, "no compaction measured", group));
      continue;
    }
    const erasesPerYear = (w.pagesPer1000 / 1000) * perYear;
    // Even wear over the pages compaction cycles through: each compaction erases each of them once.
    const years = (ERASE_CYCLES * w.pagesPerCompaction) / erasesPerYear;
    rows.push({
      group,
      name,
      value: Math.round(years),
      unit: "years",
      target: `>= ${LIFETIME_TARGET_YEARS}`,
      ok: years >= LIFETIME_TARGET_YEARS,
      runtime: runtimeOf(c),
      note: `${Math.round(perYear).toLocaleString("en-US")} readings a year (one every ${boards.esp32.intervalMs / 1000} s), ${Math.round(erasesPerYear).toLocaleString("en-US")} page erases a year spread evenly over the ${w.pagesPerCompaction} pages a compaction erases, ${ERASE_CYCLES.toLocaleString("en-US")} cycles each; STORE_READINGS ${boards.esp32.storeReadings}`,
    });
  }
  return rows;
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  if (args[0] === "--bench") {
    const { formatRows } = await import("./table");
    console.log(formatRows(await benchFlashWear({ espruino: process.env.ESPRUINO, quick: args.includes("--quick") })));
    return;
  }
  const at = args.indexOf("--espruino");
  const espruino = at >= 0 ? args.splice(at, 2)[1]! : (process.env.ESPRUINO ?? "espruino");
  if (args.length !== 1) throw new Error("usage: tsx tools/bench/flash-wear.ts workload.js [--espruino path]");
  const script = readFileSync(args[0]!, "utf8");
  const host = await hostWear(script);
  const real = await interpreterWear(espruino, script);
  const row = (name: string, w: Wear) =>
    `${name.padEnd(12)} ${String(w.bytesWritten).padStart(12)} ${String(w.writes).padStart(8)} ${String(w.pagesErased).padStart(13)}`;
  console.log(
    `${"".padEnd(12)} ${"bytes written".padStart(12)} ${"writes".padStart(8)} ${"pages erased".padStart(13)}`,
  );
  console.log(row("host", host.wear));
  console.log(row("interpreter", real.wear));
  const same = JSON.stringify(host.wear) === JSON.stringify(real.wear);
  console.log(same ? "agree" : "DIFFER");
  process.exitCode = same ? 0 : 1;
}

if (isEntryPoint(import.meta.url)) {
  main().catch((e: unknown) => {
    console.error(e instanceof Error ? e.message : e);
    process.exitCode = 1;
  });
}
