// Espruino on Linux resolves the host and connects with BLOCKING calls, so a refused port or an
// unknown host throws from connect() itself. Node can only connect asynchronously: this probe
// blocks on a child Node process that resolves (IPv4 only, like gethostbyname) and connects.
// The probe's own connection reaches the server and is closed at once.
import { spawnSync } from "node:child_process";

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

const SCRIPT = `
const net = require("net"), dns = require("dns");
const [host, port, timeout] = process.argv.slice(1);
const done = (code, text) => { process.stdout.write(text); process.exit(code); };
dns.lookup(host, { family: 4 }, (err, address) => {
  if (err) return done(2, "dns");
  const s = net.connect({ host: address, port: Number(port) });
  setTimeout(() => done(1, "ETIMEDOUT " + address), Number(timeout));
  s.on("connect", () => { s.destroy(); done(0, "ok " + address); });
  s.on("error", (e) => done(1, (e.code || "EIO") + " " + address));
});`;

/** Resolves `host` and tries a TCP connect to `port`, blocking the caller (~50 ms). */
export function probeConnect(host: string, port: number, timeoutMs: number): ProbeResult {
  const r = spawnSync(process.execPath, ["-e", SCRIPT, host, String(port), String(timeoutMs)], {
    encoding: "utf8",
    timeout: timeoutMs + 10_000,
    stdio: ["ignore", "pipe", "ignore"],
  });
  const [word = "", address = host] = (r.stdout ?? "").trim().split(" ");
  if (r.status === 0) return { ok: true, address };
  if (r.status === 2) return { ok: false, reason: "dns" };
  return { ok: false, reason: "connect", address, errno: ERRNO[word] ?? 111 };
}
