// Differential test of require("Storage"): the same calls in the host runtime and on Espruino's
// Linux interpreter give the same console lines, the same espruino.flash bytes and the same
// flash wear. The interpreter's results are recorded below (Espruino 2v29.277 for Linux, both
// the normal and the small build), so the host runtime is checked against them on every run;
// with ESPRUINO=/path/to/espruino the interpreter is run as well and compared live (its wear
// measured with strace, see tools/bench/flash-wear.ts).
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import {
  copyFileSync,
  existsSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  truncateSync,
  writeFileSync,
} from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { runInterpreter, type Wear } from "../../tools/bench/flash-wear";
import { FlashFile, type Range } from "../../tools/host-runtime/flash-file";
import { run, sleep, waitFor } from "./helpers";

const ESPRUINO = process.env.ESPRUINO;

const PRELUDE = `
var s = require("Storage");
function st() { var x = s.getStats(); return [x.totalBytes, x.freeBytes, x.fileBytes, x.fileCount, x.trashBytes, x.trashCount].join(","); }
function t(label, f) { var r; try { r = f(); } catch (e) { r = "!! " + e; } print(label + " " + r); }
function hex(x) { if (typeof x !== "string") return String(x); var o = ""; for (var i = 0; i < x.length; i++) { var c = x.charCodeAt(i); o += (c < 16 ? "0" : "") + c.toString(16); } return o; }
function rec(i) { return "rec" + ("000" + i).slice(-4) + ":0123456789"; }
print("<<start>>");
`;

/** Segments, appends at offsets, state bytes, errors, a filename table, compaction, full flash. */
const PHASE1 =
  PRELUDE +
  `
t("boot", st);
t("create", function () { return [s.write("log0", "H0", 0, 4096), s.write("log1", "H1", 0, 4096), s.write("log2", "", 0, 4096)].join(); });
t("append", function () { for (var i = 0; i < 40; i++) s.write("log0", rec(i), 2 + i * 18); return s.read("log0", 2 + 39 * 18, 18); });
t("stats", st);
t("read", function () { return [s.read("log0").length, s.read("log0", 0, 8).length, hex(s.read("log0", 2 + 40 * 18, 6)), s.read("log0", 4090, 100).length, s.read("log0", 5000), s.read("none")].join("|"); });
t("state F0", function () { return s.write("log0", "\\xF0", 4095); });
t("state 00", function () { return s.write("log0", "\\x00", 4095); });
t("state byte", function () { return hex(s.read("log0", 4095, 1)); });
t("overlap", function () { return s.write("log0", "xyz", 2 + 39 * 18 + 16); });
t("too much", function () { return s.write("log0", "0123456789", 4090); });
t("size ignored", function () { return s.write("log1", "abc", 2, 16) && s.read("log1").length; });
t("no file", function () { return s.write("nolog", "abc", 4); });
t("rewrite", function () { return s.write("log2", "short", 0) && s.read("log2"); });
t("same", function () { return s.write("log2", "short") && st(); });
t("erase", function () { s.erase("log1"); s.erase("nothing"); return st(); });
t("zero", function () { return s.write("z", ""); });
t("negative", function () { return s.write("z", "a", -1); });
t("undefined", function () { return s.write("z"); });
t("bytes", function () { return s.write("b", [1, "ab", 300]) && s.write("u16", new Uint16Array([0x102, 0x304])) && hex(s.read("b")) + " " + hex(s.read("u16")); });
t("name", function () { return s.write("a-very-long-file-name-over-28-chars", "n") && s.list(/very/).join(); });
t("drive", function () { return s.write("C:drv", "d") && s.read("drv"); });
t("json", function () { for (var i = 0; i < 230; i++) s.writeJSON("meta", { seq: i, name: "m\\xff", list: [i, "x"] }); return s.read("meta") + " " + s.readJSON("meta").seq; });
t("object", function () { return s.write("obj", { a: "\\xff" }) && s.read("obj"); });
t("stats", st);
t("list", function () { return s.list().join(); });
t("list filter", function () { return s.list(/^log/).join() + "|" + s.list("og").join() + "|" + s.list(/zzz/).length + "|" + s.list(/zzz/g).length; });
t("fill", function () { for (var n = 0; n < 150; n++) { s.write("d" + n, "D" + n, 0, 4000); if (n >= 30) s.erase("d" + (n - 30)); } return st(); });
t("list d", function () { return s.list(/^d/).join(); });
t("full", function () { var n = 0; try { for (; n < 100; n++) s.write("f" + n, "F" + n, 0, 4000); } catch (e) { return n + " " + e; } return n; });
t("stats", st);
t("free", function () { return s.getFree(); });
t("tiny", function () { return s.write("tiny", "t"); });
print("<<cut>>");
setInterval(function () {}, 1000);
`;

/** After the power cut: read back, erase, compact, a file bigger than a page. */
const PHASE2 =
  PRELUDE +
  `
t("boot", st);
t("list", function () { return s.list().join(); });
t("read back", function () { return [s.read("log0", 0, 2), s.read("log0", 2 + 7 * 18, 18), hex(s.read("log0", 4095, 1)), s.readJSON("meta").seq, s.read("tiny")].join("|"); });
t("erase f", function () { for (var n = 0; n < 100; n += 2) s.erase("f" + n); return st(); });
t("too big", function () { return s.write("huge", "h", 0, 100000); });
t("compact", function () { s.compact(); return st(); });
t("after", function () { return s.list(/^f/).length + " " + s.read("f1", 0, 2) + " " + s.read("log0", 0, 2); });
t("big", function () { return s.write("g", "G", 0, 20000) && st(); });
print("<<end>>");
`;

/** Starting again from nothing. */
const PHASE3 =
  PRELUDE +
  `
t("eraseAll", function () { s.eraseAll(); return st() + " " + s.list().length; });
t("again", function () { return s.write("log0", "H0", 0, 4096) && s.write("log0", rec(0), 2) && s.read("log0", 0, 20) + " " + st(); });
print("<<end>>");
`;

interface PhaseResult {
  lines: string[];
  /** SHA-256 of espruino.flash after the phase. */
  image: string;
  wear: Wear;
}

/** Recorded on Espruino 2v29.277 for Linux (bin/espruino and the 2,500-JsVar small build). */
const RECORDED: Record<"phase1" | "phase2" | "phase3", PhaseResult> = {
  phase1: {
    lines: [
      "boot 262144,262144,0,0,0,0",
      "create true,true,true",
      "append rec0039:0123456789",
      "stats 262144,249760,12384,3,0,0",
      "read 4096|8|ffffffffffff|6||",
      "state F0 true",
      "state 00 !! Error: File already written with different data",
      "state byte f0",
      "overlap !! Error: File already written with different data",
      "too much !! Error: Too much data for file size",
      "size ignored 4096",
      "no file !! Error: Unable to find or create file",
      "rewrite short",
      "same 262144,249720,8296,3,4128,1",
      "erase 262144,249720,4168,2,8256,2",
      "zero !! Error: Can't create zero length file",
      "negative false",
      "undefined !! Error: Can't get pointer to data to write",
      "bytes 0161622c 0201",
      "name a-very-long-file-name-over-2",
      "drive d",
      'json {seq:229,name:"m\\xFF",list:[229,"x"]} 229',
      'object {"a":"\\u00FF"}',
      "stats 262144,233144,4656,9,24344,231",
      "list log0,log2,b,u16,a-very-long-file-name-over-2,drv,meta,obj",
      "list filter log0,log2|log0,log2|0|8",
      "Compacting... \b-\b/\b-\b\\\b|\b/\b-\b\\\b|",
      "Compacting... \b/\b-\b\\\b|\b/\b-\b\\\b|",
      "Compacting... \b/\b-\b\\\b|\b/\b-\b\\\b|",
      "fill 262144,27888,125392,38,108864,27",
      "list d drv,d120,d121,d122,d123,d124,d125,d126,d127,d128,d129,d130,d131,d132,d133,d134,d135,d136,d137,d138,d139,d140,d141,d142,d143,d144,d145,d146,d147,d148,d149",
      "Compacting... \b\\\b|\b/\b-\b\\\b|\b/\b-\b\\\b|",
      "full 33 Error: Unable to find or create file",
      "stats 262144,3696,258448,71,0,0",
      "free 3696",
      "tiny true",
    ],
    image: "4a11dca422f2524328f2b86deb2244eeede7f31b3ddcd75bf1a5d0c97cce9461",
    wear: { bytesWritten: 551320, writes: 2778, pagesErased: 1012 },
  },
  phase2: {
    lines: [
      "boot 262144,3660,258484,72,0,0",
      "list log0,log2,b,u16,a-very-long-file-name-over-2,drv,meta,obj,d120,d121,d122,d123,d124,d125,d126,d127,d128,d129,d130,d131,d132,d133,d134,d135,d136,d137,d138,d139,d140,d141,d142,d143,d144,d145,d146,d147,d148,d149,f0,f1,f2,f3,f4,f5,f6,f7,f8,f9,f10,f11,f12,f13,f14,f15,f16,f17,f18,f19,f20,f21,f22,f23,f24,f25,f26,f27,f28,f29,f30,f31,f32,tiny",
      "read back H0|rec0007:0123456789|f0|229|t",
      "erase f 262144,3660,189940,55,68544,17",
      "too big !! Error: Unable to find or create file",
      "Compacting... \b-\b\\\b|\b/\b-\b\\\b|\b/\b-\b\\\b|\b/\b-\b\\\b|",
      "compact 262144,72204,189940,55,0,0",
      "after 16 F1 H0",
      "big 262144,52172,209972,56,0,0",
    ],
    image: "9adeca89d0d525f69f202f75ccac5a1d8c3b883811acf1981693de74b16eff25",
    wear: { bytesWritten: 190044, writes: 412, pagesErased: 253 },
  },
  phase3: {
    lines: ["eraseAll 262144,262144,0,0,0,0 0", "again H0rec0000:0123456789 262144,258016,4128,1,0,0"],
    image: "36802b7cb9545c977db04b2cbb7f6264f04c1c333d23cf812b0946f10b4336b6",
    wear: { bytesWritten: 56, writes: 4, pagesErased: 256 },
  },
};

const dirs: string[] = [];
function tempDir(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), "storage-test-"));
  dirs.push(dir);
  return dir;
}
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function between(lines: string[], end: string): string[] {
  const from = lines.findIndex((l) => l.endsWith("<<start>>"));
  const to = lines.findIndex((l) => l.endsWith(end));
  if (from < 0 || to < 0) throw new Error(`no <<start>> ... ${end} in:\n${lines.slice(-20).join("\n")}`);
  return lines.slice(from + 1, to);
}

function imageHash(cwd: string): string {
  return createHash("sha256")
    .update(readFileSync(path.join(cwd, "espruino.flash")))
    .digest("hex");
}

/** One phase in the host runtime; phase 1 ends in a power cut (kill()), phase 2 at <<end>>. */
async function hostPhase(code: string, cwd: string, end: string): Promise<PhaseResult> {
  const r = run(code, { cwd, emitInit: false });
  await r.line(new RegExp(end), 20000);
  const wear = r.rt.flashStats();
  r.rt.kill();
  await r.rt.exited;
  return {
    lines: between(r.lines, end),
    image: imageHash(cwd),
    wear: { bytesWritten: wear.bytesWritten, writes: wear.writes, pagesErased: wear.pagesErased },
  };
}

/** One phase on the interpreter; its wear measured with strace when `traced` (slow: every
 * flash read opens espruino.flash, phase 1 makes 770,000 system calls, 30-70 s under strace). */
async function interpreterPhase(
  code: string,
  cwd: string,
  end: string,
  traced: boolean,
): Promise<Omit<PhaseResult, "wear"> & { wear?: Wear }> {
  const r = await runInterpreter(ESPRUINO!, code, { cwd, cutAfter: end, strace: traced, timeoutMs: 60000 });
  const lines = r.output.split("\n").map((l) => l.replace(/\r$/, "").replace(/^(>|\x1b\[J)+/, ""));
  return { lines: between(lines, end), image: imageHash(cwd), wear: r.wear };
}

describe("Storage, host runtime against the interpreter's recorded results", () => {
  const phases = [
    { name: "phase1", code: PHASE1, end: "<<cut>>" },
    { name: "phase2", code: PHASE2, end: "<<end>>" },
    { name: "phase3", code: PHASE3, end: "<<end>>" },
  ] as const;
  const host: Partial<Record<(typeof phases)[number]["name"], PhaseResult>> = {};
  const cwd = tempDir();

  it("phase 1: segments, appends, state bytes, errors, filename table, compaction, full flash", async () => {
    host.phase1 = await hostPhase(PHASE1, cwd, "<<cut>>");
    expect(host.phase1.lines).toEqual(RECORDED.phase1.lines);
    expect(host.phase1.image).toBe(RECORDED.phase1.image);
    expect(host.phase1.wear).toEqual(RECORDED.phase1.wear);
  });

  it("phase 2, after a power cut: read back from cwd, erase, compact", async () => {
    host.phase2 = await hostPhase(PHASE2, cwd, "<<end>>");
    expect(host.phase2.lines).toEqual(RECORDED.phase2.lines);
    expect(host.phase2.image).toBe(RECORDED.phase2.image);
    expect(host.phase2.wear).toEqual(RECORDED.phase2.wear);
  });

  it("phase 3: eraseAll, then a segment again", async () => {
    host.phase3 = await hostPhase(PHASE3, cwd, "<<end>>");
    expect(host.phase3.lines).toEqual(RECORDED.phase3.lines);
    expect(host.phase3.image).toBe(RECORDED.phase3.image);
    expect(host.phase3.wear).toEqual(RECORDED.phase3.wear);
  });

  it.skipIf(!ESPRUINO)("the interpreter ($ESPRUINO) gives the same lines, flash bytes and wear", async () => {
    const dir = tempDir();
    const copy = tempDir();
    const real: Partial<Record<(typeof phases)[number]["name"], Awaited<ReturnType<typeof interpreterPhase>>>> = {};
    for (const p of phases) {
      // wear from strace for phases 2 and 3 (compaction copying erased bytes, eraseAll, appends)
      real[p.name] = await interpreterPhase(p.code, dir, p.end, p.name !== "phase1");
      // the interpreter's flash file after phase 1, booted in the host runtime, reads back the same
      if (p.name === "phase1") copyFileSync(path.join(dir, "espruino.flash"), path.join(copy, "espruino.flash"));
    }
    const fromReal = await hostPhase(PHASE2, copy, "<<end>>");
    for (const p of phases) {
      const r = real[p.name]!;
      console.log(
        `${ESPRUINO} ${p.name}: wear ${r.wear ? JSON.stringify(r.wear) : "(not traced)"}; ${r.lines.filter((l) => /^(stats|full|fill|compact|big|again) /.test(l)).join("; ")}`,
      );
    }
    for (const p of phases) {
      expect(host[p.name]?.lines, p.name).toEqual(real[p.name]!.lines);
      expect(host[p.name]?.image, p.name).toBe(real[p.name]!.image);
      if (real[p.name]!.wear) expect(host[p.name]?.wear, p.name).toEqual(real[p.name]!.wear);
    }
    expect(fromReal.lines).toEqual(real.phase2!.lines);
    expect(fromReal.image).toBe(real.phase2!.image);
  });
});

describe("Storage persistence", () => {
  it("a host process killed at any moment leaves a whole image: the old state or the new", async () => {
    const cwd = tempDir();
    const bundle = path.join(cwd, "bundle.js");
    // records of 40 bytes appended to 4 KB segments; a segment full: the oldest erased
    writeFileSync(
      bundle,
      `var s = require("Storage"), n = 0;
      function rec(i) { var r = "rec" + i + ":"; while (r.length < 40) r += "x"; return r; }
      setInterval(function () {
        var seg = Math.floor(n / 100), name = "seg" + seg;
        if (n % 100 === 0) { s.write(name, rec(n), 0, 4000); if (seg >= 4) s.erase("seg" + (seg - 4)); }
        else s.write(name, rec(n), (n % 100) * 40);
        n++;
      }, 0);
      console.log("up");`,
    );
    const cli = path.resolve(import.meta.dirname, "../../tools/host-runtime/main.ts");
    for (let round = 0; round < 4; round++) {
      const child = spawn(process.execPath, ["--import", "tsx", cli, bundle, "--cwd", cwd], {
        stdio: ["ignore", "pipe", "inherit"],
      });
      let out = "";
      child.stdout.on("data", (d: Buffer) => (out += d.toString()));
      await waitFor(() => out.includes("up\n"), 20000);
      await sleep(150 + Math.floor(Math.random() * 250));
      child.kill("SIGKILL");
      await new Promise((r) => child.on("exit", r));
      expect(statSync(path.join(cwd, "espruino.flash")).size).toBe(262144);
      // booted again: not corrupt, and every segment holds whole records only
      const r = run(
        `(function () {
        var s = require("Storage"), bad = 0, records = 0;
        s.list(/^seg/).forEach(function (name) {
          var d = s.read(name);
          for (var o = 0; o < d.length; o += 40) {
            var r = d.substr(o, 40);
            if (r.charCodeAt(0) === 255) break;
            if (!/^rec\\d+:x+$/.test(r)) bad++;
            records++;
          }
        });
        console.log("check", bad, records > 0);
      })()`,
        { cwd, emitInit: false },
      );
      await r.line(/^check/);
      r.rt.kill();
      await r.rt.exited;
      expect(r.lines).toEqual(["check 0 true"]);
    }
  });
});

describe("Storage's flash file", () => {
  it("a torn journal is dropped (the old image), a whole one is applied again (the new image)", () => {
    const file = path.join(tempDir(), "espruino.flash");
    const old = new Uint8Array(4096).fill(0xff);
    old.set([1, 2, 3, 4], 64);
    new FlashFile(file, 4096).save(old, []); // no file yet: written whole
    const next = old.slice();
    next.fill(0, 64, 68);
    next.set([7, 7, 7, 7], 2000);
    const ranges: Range[] = [
      [64, 68],
      [2000, 2004],
    ];
    // killed after the journal, before the image: the next load finishes the save
    new FlashFile(file, 4096).writeJournal(next, ranges);
    expect(new FlashFile(file, 4096).load()).toEqual(next);
    expect(new Uint8Array(readFileSync(file))).toEqual(next);
    expect(existsSync(file + ".journal")).toBe(false);
    // killed while writing the journal: the image is as it was
    for (const cut of [0, 5, 11, 20, 31]) {
      const f = new FlashFile(file, 4096);
      f.writeJournal(old, ranges);
      truncateSync(f.journal, cut);
      expect(new FlashFile(file, 4096).load()).toEqual(next);
    }
    // and a whole save
    const f = new FlashFile(file, 4096);
    f.save(old, ranges);
    expect(f.load()).toEqual(old);
  });
});

describe("Storage layouts", () => {
  it("esp32: 896 KB in 4 KB pages, no filename table", async () => {
    const r = run(
      `(function () {
      var s = require("Storage");
      for (var i = 0; i < 260; i++) s.write("m", "v" + i);
      var a = s.getStats();
      s.compact();
      var b = s.getStats();
      console.log(a.totalBytes, a.fileCount, a.trashCount, b.fileCount, b.trashCount, b.freeBytes);
    })()`,
      { storageLayout: "esp32", emitInit: false },
    );
    await r.line(/^917504/);
    const wear = r.rt.flashStats();
    r.rt.kill();
    await r.rt.exited;
    // one live file and no filename table (Linux would have one after 200); compaction erased
    // the 3 pages of 4 KB that 260 files of 36 bytes took
    expect(r.lines).toEqual(["Compacting... ", "917504 1 259 1 0 917468"]);
    expect(wear).toMatchObject({ sizeBytes: 917504, pageBytes: 4096, pagesErased: 3 });
  });
});
