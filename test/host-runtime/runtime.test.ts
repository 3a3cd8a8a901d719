// The sandbox's globals, timers, Storage and the runtime's lifecycle.
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { run, sleep, startServer, waitFor, type TestRuntime, type TestServer } from "./helpers";

const ESPRUINO = process.env.ESPRUINO;

/** Says hello on connect; its kill handler writes "bye" and ends the socket. */
const KILL_SCRIPT = (port: number) => `(function(){
  var s = require("net").connect({host: "127.0.0.1", port: ${port}}, function() { s.write("hello"); });
  setInterval(function() {}, 50);
  E.on("kill", function() { console.log("kill"); s.end("bye"); });
  E.on("init", function() { console.log("init"); });
})()`;

/** Resolves once the peer has seen the socket end after it said hello. */
function closedAfterHello(server: TestServer): Promise<void> {
  return new Promise<void>((resolve) => {
    const check = setInterval(() => {
      const s = server.sockets.at(-1);
      if (s && server.lastReceived().startsWith("hello") && s.readableEnded) {
        clearInterval(check);
        resolve();
      }
    }, 5);
  });
}

let rt: TestRuntime | undefined;
let server: TestServer | undefined;
afterEach(async () => {
  rt?.rt.kill();
  await rt?.rt.exited;
  await server?.close();
  rt = server = undefined;
});

describe("sandbox globals", () => {
  it("has only what Espruino has", async () => {
    rt = run(`(function(){
      var names = ["Map", "Set", "WeakMap", "Symbol", "Proxy", "Reflect", "TextEncoder", "Buffer", "setImmediate",
        "queueMicrotask", "module", "exports", "RangeError", "BigInt", "Intl"];
      console.log("missing", names.filter(function(n) { return typeof globalThis[n] !== "undefined"; }).join() || "none");
      var members = [[Array, "from"], [Array, "of"], [Number, "isFinite"], [Number, "isInteger"], [Number, "isNaN"],
        [Math, "trunc"], [Object, "freeze"], [Array.prototype, "at"], [String.prototype, "trimStart"]];
      console.log("members", members.filter(function(m) { return typeof m[0][m[1]] !== "undefined"; }).length);
      try { new Map(); } catch (e) { console.log("Map:", e.name); }
      try { Array.from([1]); } catch (e) { console.log("Array.from:", e.name); }
      try { require("fs"); } catch (e) { console.log(String(e)); }
      console.log("kept", typeof Object.entries, typeof "a".padStart, typeof [].find, typeof isFinite,
        typeof Promise, typeof Uint8Array.prototype.subarray, typeof DataView, typeof JSON.stringify);
      console.log("process", typeof process.memory, process.version, process.env.BOARD, typeof process.exit);
    })()`);
    await rt.line(/^process/);
    expect(rt.lines).toEqual([
      "missing none",
      "members 0",
      "Map: ReferenceError",
      "Array.from: TypeError",
      'Error: Module "fs" not found',
      "kept function function function function function function function function",
      "process function 2v29-host HOST undefined",
    ]);
  });

  it("prints like Espruino: strings raw, other values as pretty JSON", async () => {
    rt = run(`console.log("a", 1, [1, 2], {x: 1}, null, undefined, true, new Uint8Array([1, 2])); print("p");`);
    await rt.line("p");
    expect(rt.lines[0]).toBe('a 1 [ 1, 2 ] { "x": 1 } null undefined true new Uint8Array([1, 2])');
  });

  it("a typed array's slice() returns a plain Array, as Espruino's does; subarray() a view", async () => {
    rt = run(`(function(){
      var a = new Uint8Array([1, 2, 3, 4]), s = a.slice(1), t = a.slice(-2), u = a.slice(1, -1), v = a.subarray(2);
      console.log(Array.isArray(s), s instanceof Uint8Array, s.join(), t.join(), u.join(), Array.isArray(new Int16Array(2).slice()),
        v instanceof Uint8Array, v.join());
    })()`);
    await rt.line(/^(true|false) /);
    // Espruino 2v29 (Linux and the 2,500-var build) prints: true false 2,3,4 3,4 2,3 true true 3,4
    expect(rt.lines[0]).toBe("true false 2,3,4 3,4 2,3 true true 3,4");
  });

  it("E: getTemperature is NaN, toString/toUint8Array walk their arguments", async () => {
    rt = run(`(function(){
      var u = E.toUint8Array("AB", [1, 2], {data: 3, count: 2}, 256 + 7);
      console.log(isNaN(E.getTemperature()), u.length, u.join(), E.toString(new Uint8Array([104, 105])),
        typeof getTime(), getTime() > 1.6e9, Date.now() % 1 !== 0 || true);
    })()`);
    await rt.line(/^true/);
    expect(rt.lines[0]).toBe("true 7 65,66,1,2,3,3,7 hi number true true");
  });

  it("process.memory() returns Espruino's fields as numbers", async () => {
    rt = run(`setTimeout(function(){ var m = process.memory();
      console.log(["free", "usage", "total", "history", "gc", "gctime", "blocksize"].map(function(k) { return typeof m[k]; }).join(), m.free + m.usage === m.total || m.free === 0); }, 1);`);
    const line = await rt.line(/^number/);
    expect(line).toBe("number,number,number,number,number,number,number true");
    expect(rt.rt.memory().blocksize).toBe(27);
  });
});

describe("Math.random", () => {
  const script = `(function(){
    var a = [Math.random(), Math.random()];
    E.srand(12345);
    var b = [Math.random(), Math.random()];
    E.srand(12345);
    var c = [Math.random(), Math.random()];
    console.log(JSON.stringify({ a: a, b: b, c: c }));
  })()`;

  it("gives the same numbers at every start, as Espruino does (it never seeds rand()), and others after E.srand", async () => {
    const runs: Array<{ a: number[]; b: number[]; c: number[] }> = [];
    for (let i = 0; i < 2; i++) {
      rt = run(script);
      runs.push(JSON.parse(await rt.line(/^\{/)));
      rt.rt.kill();
      await rt.rt.exited;
    }
    expect(runs[0].a).toEqual(runs[1].a);
    expect(runs[0].b).not.toEqual(runs[0].a);
    expect(runs[0].c).toEqual(runs[0].b);
    for (const x of [...runs[0].a, ...runs[0].b]) {
      expect(x).toBeGreaterThanOrEqual(0);
      expect(x).toBeLessThan(1);
    }
  });
});

describe("Function.apply", () => {
  it("takes at most 256 arguments, as Espruino's does", async () => {
    rt = run(`(function(){
      console.log("ok", String.fromCharCode.apply(null, new Uint8Array(256)).length);
      try { String.fromCharCode.apply(null, new Uint8Array(257)); } catch (e) { console.log(e.message); }
    })()`);
    await rt.line(/Maximum 256/);
    expect(rt.lines).toEqual(["ok 256", "Array passed to Function.apply is too big! Maximum 256 arguments, got 257"]);
  });
});

describe("events", () => {
  it("hands uncaught exceptions to process 'uncaughtException' listeners", async () => {
    rt = run(`process.on("uncaughtException", function(e) { console.log("handled", e.message); });
      setTimeout(function() { throw new Error("oops"); }, 1);`);
    await rt.line("handled oops");
    expect(rt.lines).toEqual(["handled oops"]);
  });

  it("limits emit to 4 arguments and ignores an unheard 'error'", async () => {
    rt = run(`(function(){
      var o = {};
      o.on("e", function(a, b, c, d, e) { console.log("got", a, b, c, d, e); });
      try { o.emit("e", 1, 2, 3, 4, 5); } catch (err) { console.log(String(err)); }
      o.emit("error", new Error("nobody listens"));
    })()`);
    await rt.line(/^got/);
    expect(rt.lines).toEqual(["TypeError: Too many arguments (>4)", "got 1 2 3 4 undefined"]);
  });
});

describe("timers", () => {
  it("prints an uncaught exception from a timer and keeps the interval running", async () => {
    rt = run(`(function(){
      var n = 0;
      var id = setInterval(function() { n++; if (n === 3) { clearInterval(id); console.log("ran", n); } throw new Error("boom " + n); }, 5);
    })()`);
    await rt.line("ran 3");
    expect(rt.lines).toEqual(["Uncaught Error: boom 1", "Uncaught Error: boom 2", "ran 3", "Uncaught Error: boom 3"]);
  });

  it("numbers timers like Espruino: restart at 1, clearTimeout() clears all, clearTimeout(undefined) throws", async () => {
    rt = run(`(function(){
      var a = setTimeout(function(){}, 1000), b = setTimeout(function(){}, 1000);
      clearTimeout(b);
      var c = setTimeout(function(){}, 1000);
      clearTimeout();
      var d = setTimeout(function(){ console.log("d ran?!"); }, 1000);
      clearTimeout();
      try { clearTimeout(undefined); } catch (e) { console.log(String(e)); }
      try { changeInterval(99, 10); } catch (e) { console.log(String(e)); }
      console.log("ids", a, b, c, d);
    })()`);
    await rt.line(/^ids/);
    expect(rt.lines).toEqual([
      "Error: clearTimeout(undefined) not allowed. Use clearTimeout() instead",
      "Error: Unknown Interval",
      "ids 1 2 2 1",
    ]);
  });

  it("runs setTimeout with arguments and a string callback", async () => {
    rt = run(
      `setTimeout(function(a, b) { console.log("args", a, b); }, 1, "x", 2); setTimeout("console.log('str')", 2);`,
    );
    await rt.line("str");
    expect(rt.lines).toEqual(["args x 2", "str"]);
  });
});

describe("Storage", () => {
  it("round-trips binary strings and JSON, persisted in cwd across runs", async () => {
    const cwd = mkdtempSync(path.join(os.tmpdir(), "host-runtime-test-"));
    try {
      const first = run(
        `(function(){
          var s = require("Storage"), all = "";
          for (var i = 0; i < 256; i++) all += String.fromCharCode(i);
          s.write("bin", all);
          s.writeJSON("cfg", {a: 1, "b-c": "\\xff", list: [1, "x"], skip: undefined});
          s.write("part", "Hello", 0, 8); s.write("part", "!", 5);
          try { s.write("part", "?", 0 + 1); } catch (e) { console.log(String(e)); }
          try { s.write("empty", ""); } catch (e) { console.log(String(e)); }
          console.log("raw", s.read("cfg"));
          console.log("done");
        })()`,
        { cwd },
      );
      await first.line("done");
      first.rt.kill();
      await first.rt.exited;
      expect(first.lines).toEqual([
        "Error: File already written with different data",
        "Error: Can't create zero length file",
        'raw {a:1,"b-c":"\\xFF",list:[1,"x"]}',
        "done",
      ]);
      rt = run(
        `(function(){
          var s = require("Storage"), bin = s.read("bin"), ok = bin.length === 256;
          for (var i = 0; i < 256; i++) if (bin.charCodeAt(i) !== i) ok = false;
          var cfg = s.readJSON("cfg");
          console.log(ok, cfg.a, cfg["b-c"].charCodeAt(0), cfg.list.length, Array.isArray(cfg.list),
            s.read("part").slice(0, 6), s.read("part").charCodeAt(7), s.list().sort().join(), s.read("nope"), new Uint8Array(s.readArrayBuffer("part"))[5]);
          s.erase("bin");
          console.log(s.list().indexOf("bin"), typeof s.getFree());
        })()`,
        { cwd },
      );
      await rt.line(/^-1/);
      expect(rt.lines[0]).toBe("true 1 255 2 true Hello! 255 bin,cfg,part undefined 33");
    } finally {
      rmSync(cwd, { recursive: true, force: true });
    }
  });
});

describe("lifecycle", () => {
  it("stop() is 2v29's reset(): E 'kill', then the sockets close at once, the handler's writes unsent, no handles left", async () => {
    const before = process.getActiveResourcesInfo().filter((r) => r !== "TTYWrap").length;
    server = await startServer();
    const closedByPeer = closedAfterHello(server);
    rt = run(KILL_SCRIPT(server.port));
    await rt.line("init");
    await waitFor(() => server!.lastReceived() === "hello");
    await rt.rt.stop();
    expect(rt.lines).toEqual(["init", "kill"]);
    expect(rt.rt.state).toBe("stopped");
    await closedByPeer;
    await sleep(100);
    expect(server.lastReceived()).toBe("hello");
    await server.close();
    server = undefined;
    await sleep(20);
    const after = process.getActiveResourcesInfo().filter((r) => r !== "TTYWrap").length;
    expect(after).toBeLessThanOrEqual(before);
  });

  it.skipIf(!ESPRUINO)("the interpreter ($ESPRUINO) does the same for a reset() typed at its console", async () => {
    server = await startServer();
    const closedByPeer = closedAfterHello(server);
    const dir = mkdtempSync(path.join(os.tmpdir(), "kill-reset-"));
    const file = path.join(dir, "kill.js");
    writeFileSync(
      file,
      KILL_SCRIPT(server.port).replace('E.on("init", function() { console.log("init"); });', 'console.log("init");'),
    );
    const child = spawn(ESPRUINO!, [file], { cwd: dir, stdio: ["pipe", "pipe", "pipe"] });
    let out = "";
    child.stdout.on("data", (d: Buffer) => (out += d.toString("latin1")));
    try {
      await waitFor(() => server!.lastReceived() === "hello", 10000);
      child.stdin.write("reset()\n");
      await closedByPeer;
      await sleep(300);
      expect(out).toMatch(/\bkill\b/);
      expect(server.lastReceived()).toBe("hello");
    } finally {
      child.kill("SIGKILL");
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("E.enableWatchdog(s, false) resets the device when E.kickWatchdog stops coming; isAuto never does", async () => {
    rt = run(`(function(){
      E.enableWatchdog(1, false);
      var kicks = 0, t = setInterval(function() { E.kickWatchdog(); if (++kicks === 6) { clearInterval(t); console.log("stopped kicking"); } }, 300);
      setInterval(function() {}, 1000);
    })()`);
    await rt.line("stopped kicking", 5000);
    const stoppedAt = Date.now();
    expect((await rt.rt.exited).reason).toBe("watchdog timeout");
    expect(Date.now() - stoppedAt).toBeGreaterThan(500);
    expect(Date.now() - stoppedAt).toBeLessThan(2000);
    const auto = run(`E.enableWatchdog(1); setInterval(function() {}, 100);`);
    await sleep(2000);
    expect(auto.rt.state).toBe("running");
    auto.rt.kill();
  });

  it("runs as a CLI: console on stdout, SIGTERM -> E 'kill' -> exit 0", async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "host-runtime-cli-"));
    try {
      const bundle = path.join(dir, "bundle.js");
      writeFileSync(
        bundle,
        `setInterval(function(){}, 1000); E.on("kill", function(){ console.log("kill"); }); console.log("up");`,
      );
      const cli = path.resolve(import.meta.dirname, "../../tools/host-runtime/main.ts");
      const child = spawn(process.execPath, ["--import", "tsx", cli, bundle, "--cwd", dir], {
        stdio: ["ignore", "pipe", "inherit"],
      });
      let out = "";
      child.stdout.on("data", (d: Buffer) => (out += d.toString()));
      await waitFor(() => out.includes("up\n"), 20000);
      child.kill("SIGTERM");
      const code = await new Promise((r) => child.on("exit", r));
      expect(code).toBe(0);
      expect(out).toBe("up\nkill\n");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("kill() drops everything at once, without 'kill'", async () => {
    server = await startServer();
    rt = run(`(function(){
      var s = require("net").connect({host: "127.0.0.1", port: ${server.port}}, function() { s.write("hi"); });
      E.on("kill", function() { console.log("kill?!"); });
    })()`);
    await waitFor(() => server!.lastReceived() === "hi");
    const peer = server.sockets.at(-1)!;
    const peerClosed = new Promise((r) => peer.on("close", r));
    rt.rt.kill();
    expect((await rt.rt.exited).reason).toBe("kill");
    await peerClosed;
    expect(rt.lines).toEqual([]);
  });
});
