// Espruino on Linux resolves the host and connects with BLOCKING calls, so a refused port or an
// unknown host throws from connect() itself. Node only connects asynchronously, so the caller
// blocks (Atomics.wait) while a worker thread resolves the name (IPv4 only, like
// gethostbyname) and tries the TCP connect. The probe's own connection reaches the server and
// is closed at once: a server sees one extra, empty connection per connect().
import { Worker } from "node:worker_threads";

export type ProbeResult =
  | { ok: true; address: string }
  | { ok: false; reason: "dns" }
  | { ok: false; reason: "connect"; address: string; errno: number };

// Linux errno values, printed by Espruino as "Connect failed (err N)".
const ERRNO: Record<string, number> = {
  ECONNREFUSED: 111,
  ETIMEDOUT: 110,
  EHOSTUNREACH: 113,
  ENETUNREACH: 101,
  EADDRNOTAVAIL: 99,
  EACCES: 13,
};

// state[0]: 0 while busy, then 1 ok / 2 connect failed / 3 dns failed; state[1]: text length.
const WORKER = `
const { parentPort } = require("worker_threads");
const net = require("net"), dns = require("dns");
parentPort.on("message", ({ host, port, timeout, sab }) => {
  const state = new Int32Array(sab, 0, 2), text = new Uint8Array(sab, 8);
  let finished = false;
  const done = (code, msg, sock) => {
    if (finished) return;
    finished = true;
    if (sock) sock.destroy();
    const b = Buffer.from(msg).subarray(0, text.length);
    text.set(b);
    state[1] = b.length;
    Atomics.store(state, 0, code);
    Atomics.notify(state, 0);
  };
  dns.lookup(host, { family: 4 }, (err, address) => {
    if (err) return done(3, "dns");
    const s = net.connect({ host: address, port });
    const timer = setTimeout(() => done(2, "ETIMEDOUT " + address, s), timeout);
    s.on("connect", () => { clearTimeout(timer); done(1, "ok " + address, s); });
    s.on("error", (e) => { clearTimeout(timer); done(2, (e.code || "EIO") + " " + address, s); });
  });
});`;

export class Prober {
  private worker: Worker | undefined;

  /** Resolves `host` and tries a TCP connect to `port`, blocking the caller. */
  probe(host: string, port: number, timeoutMs: number): ProbeResult {
    if (!this.worker) {
      this.worker = new Worker(WORKER, { eval: true });
      this.worker.unref();
    }
    const sab = new SharedArrayBuffer(8 + 256);
    const state = new Int32Array(sab, 0, 2);
    this.worker.postMessage({ host, port, timeout: timeoutMs, sab });
    // The first call also waits for the worker to boot.
    if (Atomics.wait(state, 0, 0, timeoutMs + 10_000) === "timed-out") {
      return { ok: false, reason: "connect", address: host, errno: ERRNO.ETIMEDOUT! };
    }
    const text = Buffer.from(new Uint8Array(sab, 8, state[1]!)).toString();
    const [word = "", address = host] = text.split(" ");
    if (state[0] === 1) return { ok: true, address };
    if (state[0] === 3) return { ok: false, reason: "dns" };
    return { ok: false, reason: "connect", address, errno: ERRNO[word] ?? 111 };
  }

  /** Stops the worker thread; resolves once it no longer holds any handle. */
  async dispose(): Promise<void> {
    const w = this.worker;
    this.worker = undefined;
    if (w) await w.terminate();
  }
}
