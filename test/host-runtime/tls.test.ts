// require("tls") as Espruino 2v29 does it: DER options, no server verification, fixed SNI,
// handshake failures as uncaught exceptions. Certificates are made with the openssl CLI.
import { execFileSync } from "node:child_process";
import { readFileSync, rmSync } from "node:fs";
import net from "node:net";
import tls from "node:tls";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { makeCa, makeCertificates, type Certificates } from "../support/certificates";
import { run, type TestRuntime } from "./helpers";

const hasOpenssl = (() => {
  try {
    execFileSync("openssl", ["version"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
})();

let certs: Certificates | undefined;
/** The wrong CA: one that signed neither certificate. */
let otherCa = "";
const pem = (file: string): string => readFileSync(file, "utf8");
/** The base64 body of a PEM file: what a firmware passes to atob(). */
const body = (file: string): string =>
  pem(file)
    .split("\n")
    .filter((l) => l && !l.startsWith("-----"))
    .join("");

interface TlsServer {
  port: number;
  servernames: string[];
  authorized: boolean[];
  close(): Promise<void>;
}

async function tlsEchoServer(options: tls.TlsOptions = {}): Promise<TlsServer> {
  const servernames: string[] = [];
  const authorized: boolean[] = [];
  const sockets = new Set<net.Socket>();
  const server = tls.createServer({ key: pem(certs!.serverKey), cert: pem(certs!.serverCert), ...options }, (s) => {
    servernames.push(String((s as tls.TLSSocket & { servername?: string }).servername));
    authorized.push(s.authorized);
    s.on("data", (d) => s.write(d));
  });
  server.on("connection", (s: net.Socket) => {
    sockets.add(s);
    s.on("error", () => {});
  });
  server.on("tlsClientError", () => {});
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return {
    port: (server.address() as net.AddressInfo).port,
    servernames,
    authorized,
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}

let rt: TestRuntime | undefined;
let server: TlsServer | undefined;
beforeAll(() => {
  if (!hasOpenssl) return;
  certs = makeCertificates();
  otherCa = makeCa(certs.dir, "other-ca");
});
afterAll(() => {
  if (certs) rmSync(certs.dir, { recursive: true, force: true });
});
afterEach(async () => {
  rt?.rt.kill();
  await rt?.rt.exited;
  await server?.close();
  rt = server = undefined;
});

/** Bundle code: TLS connect with `extra` options, echo "ping", log the answer. */
function echoClient(port: number, extra: string): string {
  return `(function(){
    var s = require("tls").connect({host: "127.0.0.1", port: ${port}${extra}}, function() { console.log("connect"); s.write("ping"); });
    s.on("data", function(d) { console.log("data", typeof d, d); s.end(); });
    s.on("error", function(e) { console.log("error", e.code, e.message); });
    s.on("close", function(h) { console.log("close", h); });
  })()`;
}

describe.skipIf(!hasOpenssl)("tls sockets", () => {
  it("connects with a DER ca, sends the fixed SNI name and echoes strings", async () => {
    server = await tlsEchoServer();
    rt = run(echoClient(server.port, `, ca: atob("${body(certs!.ca)}")`));
    await rt.line(/^close/);
    expect(rt.lines).toEqual(["connect", "data string ping", "close false"]);
    expect(server.servernames).toEqual(["mbed TLS Server 1"]);
  });

  it("does not verify the server certificate: a wrong CA still connects", async () => {
    server = await tlsEchoServer();
    rt = run(echoClient(server.port, `, ca: atob("${body(otherCa)}")`));
    await rt.line(/^close/);
    expect(rt.lines).toContain("data string ping");
  });

  it("refuses PEM text: connect() throws", async () => {
    server = await tlsEchoServer();
    const pemText = JSON.stringify(pem(certs!.ca));
    rt = run(`try { require("tls").connect({host: "127.0.0.1", port: ${server.port}, ca: ${pemText}}); }
      catch (e) { console.log(String(e)); }`);
    await rt.line(/HTTPS init failed/);
    expect(rt.lines).toEqual(["InternalError: HTTPS init failed! mbedtls_x509_crt_parse of 'ca': -0x21e2"]);
  });

  it("presents a DER client certificate and key", async () => {
    server = await tlsEchoServer({ requestCert: true, rejectUnauthorized: true, ca: pem(certs!.ca) });
    rt = run(
      echoClient(server.port, `, cert: atob("${body(certs!.clientCert)}"), key: atob("${body(certs!.clientKey)}")`),
    );
    await rt.line(/^close/);
    expect(rt.lines).toContain("data string ping");
    expect(server.authorized).toEqual([true]);
  });

  it("reports a failed handshake as an uncaught InternalError, then closes", async () => {
    const plain = net.createServer((s) => {
      s.on("error", () => {});
      s.resume();
      s.end("HTTP/1.1 400 Bad Request\r\n\r\n");
    });
    await new Promise<void>((r) => plain.listen(0, "127.0.0.1", r));
    try {
      const port = (plain.address() as net.AddressInfo).port;
      rt = run(`(function(){
        var s = require("tls").connect({host: "127.0.0.1", port: ${port}});
        s.on("error", function(e) { console.log("error", e.code); });
        s.on("close", function(h) { console.log("close", h); });
      })()`);
      await rt.line(/^close/);
      expect(rt.lines).toEqual(["Uncaught InternalError: mbedtls_ssl_handshake returned -0x7200", "close false"]);
    } finally {
      await new Promise((r) => plain.close(r));
    }
  });
});
