/**
 * A throwaway PKI made with the openssl CLI: a CA, a server certificate for 127.0.0.1 and a client
 * certificate, and more CAs (ones that signed neither: the wrong CA) on request.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface Certificates {
  dir: string;
  ca: string;
  serverCert: string;
  serverKey: string;
  clientCert: string;
  clientKey: string;
}

/** Runs the openssl CLI in `dir`, quietly: `command` is its arguments, split at spaces. */
function openssl(dir: string, command: string): void {
  execFileSync("openssl", command.split(" "), { cwd: dir, stdio: "ignore" });
}

/** A self-signed CA in `dir` (`<name>.key`, `<name>.pem`), good for 2 days; returns the certificate's path. */
export function makeCa(dir: string, name: string): string {
  openssl(dir, `req -x509 -newkey rsa:2048 -nodes -keyout ${name}.key -out ${name}.pem -days 2 -subj /CN=${name}`);
  return join(dir, `${name}.pem`);
}

export function makeCertificates(): Certificates {
  const dir = mkdtempSync(join(tmpdir(), "certs-"));
  makeCa(dir, "ca");
  writeFileSync(join(dir, "server.ext"), "subjectAltName=IP:127.0.0.1,DNS:localhost\n");
  for (const who of ["server", "client"]) {
    const cn = who === "server" ? "127.0.0.1" : "device";
    openssl(dir, `req -newkey rsa:2048 -nodes -keyout ${who}.key -out ${who}.csr -subj /CN=${cn}`);
    const ext = who === "server" ? " -extfile server.ext" : "";
    openssl(dir, `x509 -req -in ${who}.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out ${who}.pem -days 2${ext}`);
  }
  const path = (f: string) => join(dir, f);
  return {
    dir,
    ca: path("ca.pem"),
    serverCert: path("server.pem"),
    serverKey: path("server.key"),
    clientCert: path("client.pem"),
    clientKey: path("client.key"),
  };
}

/** mosquitto.conf lines for a TLS listener on `port`. */
export function tlsListener(port: number, c: Certificates, requireClientCertificate: boolean): string {
  return [
    `listener ${port} 127.0.0.1`,
    `cafile ${c.ca}`,
    `certfile ${c.serverCert}`,
    `keyfile ${c.serverKey}`,
    `require_certificate ${requireClientCertificate}`,
  ].join("\n");
}
