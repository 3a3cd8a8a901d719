// require("tls") as in Espruino 2v29 (libs/network/network.c): ca/cert/key are DER binary
// strings (PEM text fails to parse), the server certificate is NOT verified, the SNI name is
// fixed, and a failed handshake is an uncaught InternalError rather than an 'error' event.
import { X509Certificate, createPrivateKey } from "node:crypto";
import { readFileSync } from "node:fs";
import path from "node:path";
import tls from "node:tls";
import { binaryToBytes } from "./bytes";
import type { Realm } from "./realm";

/** PEM material for Node, decoded from Espruino's DER options. */
export interface TlsSetup {
  ca?: string;
  cert?: string;
  key?: string;
}

// mbedtls_ssl_set_hostname(&ssl, "mbed TLS Server 1") in network.c.
const SNI_NAME = "mbed TLS Server 1";

/** Decodes options.key/cert/ca like ssl_newSocketData, throwing its InternalErrors. */
export function prepareTls(options: Record<string, unknown>, realm: Realm, cwd: string): TlsSetup {
  const setup: TlsSetup = {};
  // An option present with the value undefined crashes 2v29 (ASSERT(jsvIsFlatString(v)) in
  // jsvar.c, measured): fail loudly here too rather than quietly ignore it.
  for (const name of ["key", "cert", "ca"]) {
    if (Object.prototype.hasOwnProperty.call(options, name) && options[name] === undefined) {
      throw realm.error(
        "InternalError",
        `ASSERT(jsvIsFlatString(v)) FAILED: tls option '${name}' is undefined (the interpreter crashes here)`,
      );
    }
  }
  const key = der(options.key, cwd);
  if (key !== undefined) {
    setup.key = parseKey(key);
    if (setup.key === undefined)
      throw realm.error("InternalError", "HTTPS init failed! mbedtls_pk_parse_key: Invalid format");
  }
  for (const name of ["cert", "ca"] as const) {
    const bytes = der(options[name], cwd);
    if (bytes === undefined) continue;
    const pem = parseCert(bytes);
    if (pem === undefined) {
      // MBEDTLS_ERR_X509_INVALID_FORMAT + MBEDTLS_ERR_ASN1_UNEXPECTED_TAG, printed as -0x%x.
      throw realm.error("InternalError", `HTTPS init failed! mbedtls_x509_crt_parse of '${name}': -0x21e2`);
    }
    setup[name] = pem;
  }
  return setup;
}

/** Connects and starts the handshake (IPv4, like Espruino). */
export function startTls(host: string, port: number, setup: TlsSetup): tls.TLSSocket {
  // `family` reaches net's connect at run time; Node's typings leave it out of tls options.
  const options: tls.ConnectionOptions & { family: number } = {
    host,
    port,
    family: 4,
    rejectUnauthorized: false, // MBEDTLS_SSL_VERIFY_NONE
    servername: SNI_NAME,
    ca: setup.ca,
    cert: setup.cert,
    key: setup.key,
  };
  return tls.connect(options);
}

/** The mbedtls error code Espruino would print for a failed handshake. */
export function handshakeErrorCode(error: Error & { code?: string }): string {
  const code = error.code ?? "";
  if (code === "ECONNRESET" || code === "EPIPE" || /disconnected|hang up/i.test(error.message)) {
    return "-0x7280"; // MBEDTLS_ERR_SSL_CONN_EOF
  }
  if (/WRONG_VERSION|PACKET_LENGTH|RECORD/i.test(code + error.message)) return "-0x7200"; // INVALID_RECORD
  return "-0x7780"; // MBEDTLS_ERR_SSL_FATAL_ALERT_MESSAGE
}

/** A certificate option: a binary string, a function returning one, or (<=100 chars) a file path. */
function der(value: unknown, cwd: string): Uint8Array | undefined {
  if (value === undefined) return undefined;
  let v: unknown = value;
  if (typeof v === "function") v = (v as () => unknown)();
  if (typeof v === "string" && v.length <= 100) {
    const fromFile = loadPemFile(path.resolve(cwd, v));
    if (fromFile) return fromFile;
  }
  if (typeof v === "string") return binaryToBytes(v);
  if (v instanceof Uint8Array || ArrayBuffer.isView(v)) {
    const view = v as ArrayBufferView;
    return new Uint8Array(view.buffer, view.byteOffset, view.byteLength);
  }
  return binaryToBytes(String(v));
}

/** load_cert_file: the base64 body of a PEM file, decoded. */
function loadPemFile(file: string): Uint8Array | undefined {
  let text: string;
  try {
    text = readFileSync(file, "latin1");
  } catch {
    return undefined;
  }
  const body = text.split("\n").slice(1).join("").split("-")[0]!.replace(/\r/g, "");
  return new Uint8Array(Buffer.from(body, "base64"));
}

function parseCert(bytes: Uint8Array): string | undefined {
  if (bytes[0] !== 0x30) return undefined; // DER only: Node would also accept PEM, mbedtls does not
  try {
    return new X509Certificate(Buffer.from(bytes)).toString();
  } catch {
    return undefined;
  }
}

function parseKey(bytes: Uint8Array): string | undefined {
  for (const type of ["pkcs8", "pkcs1", "sec1"] as const) {
    try {
      const k = createPrivateKey({ key: Buffer.from(bytes), format: "der", type });
      return k.export({ format: "pem", type: "pkcs8" }).toString();
    } catch {
      // try the next encoding
    }
  }
  return undefined;
}
