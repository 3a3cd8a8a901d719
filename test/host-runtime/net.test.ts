// require("net") quirks, against a real TCP server on loopback.
import { afterEach, describe, expect, it } from "vitest";
import { run, sleep, startServer, waitFor, type TestRuntime, type TestServer } from "./helpers";

let server: TestServer | undefined;
let rt: TestRuntime | undefined;
afterEach(async () => {
  rt?.rt.kill();
  await rt?.rt.exited;
  await server?.close();
  rt = server = undefined;
});

describe("net sockets", () => {
  it("sends a Uint8Array, an array and an ArrayBuffer as their decimal text, strings as bytes", async () => {
    server = await startServer();
    rt = run(`(function(){
      var s = require("net").connect({host: "127.0.0.1", port: ${server.port}}, function() {
        s.write(new Uint8Array([16, 15])); s.write("|"); s.write([7, 8]); s.write("|");
        s.write(new Uint8Array([1, 2]).buffer); s.write("|"); s.write("\\x00\\xff\\x80" + String.fromCharCode(0x1ff));
        console.log("written", s.write("") === false);
      });
    })()`);
    await rt.line("written true");
    await waitFor(() => server!.lastReceived().length >= 18);
    expect(server.lastReceived()).toBe("16,15|7,8|1,2|\x00\xff\x80\xff");
  });

  it("delivers data as binary strings, and over 536 bytes in several events", async () => {
    const payload = Buffer.alloc(2000);
    for (let i = 0; i < payload.length; i++) payload[i] = i % 256;
    server = await startServer((s) => s.write(payload));
    rt = run(`(function(){
      var s = require("net").connect({host: "127.0.0.1", port: ${server.port}});
      var got = "", events = 0, maxLen = 0, types = {};
      s.on("data", function(d) {
        events++; types[typeof d] = 1; got += d; if (d.length > maxLen) maxLen = d.length;
        if (got.length >= 2000) {
          var ok = true;
          for (var i = 0; i < got.length; i++) if (got.charCodeAt(i) !== i % 256) ok = false;
          console.log("done", events, maxLen, Object.keys(types).join(), ok);
        }
      });
      s.write("go");
    })()`);
    const [, events, maxLen, types, ok] = (await rt.line(/^done/)).split(" ");
    expect(Number(events)).toBeGreaterThanOrEqual(4);
    expect(Number(maxLen)).toBeLessThanOrEqual(536);
    expect(types).toBe("string");
    expect(ok).toBe("true");
  });

  it("may deliver several small packets in one data event", async () => {
    server = await startServer((s) => {
      for (let i = 0; i < 10; i++) s.write("p" + i);
    });
    rt = run(`(function(){
      var s = require("net").connect({host: "127.0.0.1", port: ${server.port}});
      var got = "", events = 0;
      s.on("data", function(d) { events++; got += d; if (got.length >= 20) console.log("events", events, got); });
      s.write("go");
    })()`);
    const line = await rt.line(/^events/);
    expect(line.endsWith("p0p1p2p3p4p5p6p7p8p9")).toBe(true);
    expect(Number(line.split(" ")[1])).toBeLessThan(10);
  });

  it("throws synchronously from connect() for a refused port or an unknown host", async () => {
    rt = run(`(function(){
      var net = require("net");
      try { net.connect({host: "127.0.0.1", port: 1}, function(){ console.log("connected?!"); }); console.log("no throw"); }
      catch (e) { console.log("threw", e instanceof Error, String(e)); }
      try { net.connect({host: "no-such-host.invalid", port: 1883}); console.log("no throw"); }
      catch (e) { console.log("threw", String(e)); }
      console.log("after");
    })()`);
    await rt.line("after");
    expect(rt.lines).toEqual([
      "ERROR: Connect failed (err 111)",
      "threw true InternalError: Unable to create socket",
      "threw InternalError: Unable to locate host",
      "after",
    ]);
    await sleep(50);
    expect(rt.lines).not.toContain("connected?!");
  });

  it("reports a refused connection as 'error' then 'close' in the ESP32-like mode", async () => {
    rt = run(
      `(function(){
        var s = require("net").connect({host: "127.0.0.1", port: 1});
        s.on("error", function(e) { console.log("error", e.code, e.message); });
        s.on("close", function(h) { console.log("close", h); });
      })()`,
      { connectFailure: "event" },
    );
    await rt.line(/^close/);
    expect(rt.lines).toEqual(["error -9 connection reset", "close true"]);
  });

  it("throws 'This socket is closed' on write after the remote closed, and after end()", async () => {
    server = await startServer((s) => s.end());
    rt = run(`(function(){
      var net = require("net");
      var s = net.connect({host: "127.0.0.1", port: ${server.port}});
      s.on("end", function() { console.log("end"); });
      s.on("close", function(hadError) {
        console.log("close", hadError);
        try { s.write("x"); console.log("wrote?!"); } catch (e) { console.log("write threw", String(e)); }
      });
      s.write("bye");
      var t = net.connect({host: "127.0.0.1", port: ${server.port}});
      t.end();
      try { t.write("x"); } catch (e) { console.log("after end", String(e)); }
    })()`);
    await rt.line(/^write threw/);
    expect(rt.lines).toContain("after end Error: This socket is closed");
    expect(rt.lines.slice(-3)).toEqual(["end", "close false", "write threw Error: This socket is closed"]);
  });

  it("delivers every event from a later macrotask, with connect and drain after connecting", async () => {
    server = await startServer((s, d) => s.write(d));
    rt = run(`(function(){
      var order = [];
      var s = require("net").connect({host: "127.0.0.1", port: ${server.port}}, function(sock) {
        order.push("connect:" + (sock === s));
      });
      s.on("drain", function() { order.push("drain"); });
      s.on("data", function(d) { order.push("data:" + d); console.log(order.join(" ")); });
      order.push("sync");
      s.write("hi");
      var o = {};
      o.on("ev", function(a, b) { order.push("ev:" + a + b + (this === o)); });
      o.emit("ev", 1, 2);
      order.push("emitted");
    })()`);
    const line = await rt.line(/data:hi$/);
    const order = line.split(" ");
    expect(order.slice(0, 2)).toEqual(["sync", "emitted"]);
    expect(order).toContain("ev:12true");
    expect(order).toContain("connect:true");
    expect(order).toContain("drain");
  });

  it("keeps data for read() until a 'data' listener is added", async () => {
    server = await startServer((s) => s.write("early"));
    rt = run(`(function(){
      var s = require("net").connect({host: "127.0.0.1", port: ${server.port}}, function() { s.write("go"); });
      setTimeout(function() {
        console.log("available", s.available(), s.read(2));
        s.on("data", function(d) { console.log("late", d); });
      }, 200);
    })()`);
    await rt.line(/^late/);
    expect(rt.lines).toEqual(["available 5 ea", "late rly"]);
  });

  it("lets end(data) flush the data before closing, without a drain after it", async () => {
    server = await startServer();
    rt = run(`(function(){
      var s = require("net").connect({host: "127.0.0.1", port: ${server.port}}, function() {
        s.end("x".repeat(3000));
      });
      s.on("close", function(h) { console.log("closed", h); });
    })()`);
    await rt.line("closed false");
    await waitFor(() => server!.sockets.at(-1)!.readableEnded || server!.lastReceived().length === 3000);
    await waitFor(() => server!.lastReceived().length === 3000);
  });
});
