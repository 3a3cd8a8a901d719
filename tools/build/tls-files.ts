/**
 * The TLS files of an mqtts:// build, checked with node:crypto before they are embedded, so a wrong
 * one fails the build by name instead of a handshake on the device: each file's kind (a certificate
 * where a certificate goes, an unencrypted private key for MQTT_KEY), base64 that decodes, the CA's
 * CA flag, the key against the certificate, and expiry (refused when past, a warning within 30 days).
 */
import { createPrivateKey, X509Certificate, type KeyObject } from "node:crypto";
import { readFileSync } from "node:fs";
import { SettingsError } from "./errors";
import type { Settings } from "./settings";

export interface PemBlock {
  label: string;
  /** Header lines inside the block (Proc-Type: 4,ENCRYPTED on an encrypted traditional key). */
  headers: string;
  der: Buffer;
}

const WARN_DAYS = 30;
const DAY_MS = 86400_000;
const PRIVATE_KEY_LABELS = ["PRIVATE KEY", "RSA PRIVATE KEY", "EC PRIVATE KEY"];

/** The first PEM block of `file`, strictly decoded; throws a SettingsError naming `setting`. */
export function readPemBlock(file: string, setting: string): PemBlock {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new SettingsError(`${setting}: cannot read ${file}: ${code === "ENOENT" ? "no such file" : (e as Error).message}`, [
      `${setting}: cannot read ${file}: ${code === "ENOENT" ? "no such file" : (e as Error).message}`,
    ]);
  }
  const fail = (why: string) => {
    throw new SettingsError(`${setting}: ${file}${why}`, [`${setting}: ${file}${why}`]);
  };
  const match = /-----BEGIN ([A-Z0-9 ]+)-----\r?\n([\s\S]*?)-----END \1-----/.exec(text.replace(/^\uFEFF/, ""));
  if (!match) return fail(" holds no PEM block (text with a BEGIN CERTIFICATE or BEGIN PRIVATE KEY line): is it DER, or the wrong file?");
  const label = match[1];
  const lines = match[2].split(/\r?\n/);
  const headerLines = lines.filter((l) => /^[A-Za-z-]+:/.test(l));
  const body = lines.filter((l) => !/^[A-Za-z-]+:/.test(l)).join("").replace(/\s+/g, "");
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(body) || body.length % 4 !== 0 || body.length === 0) {
    return fail(`: the ${label} block is not valid base64 (a damaged or hand-edited file?)`);
  }
  return { label, headers: headerLines.join("\n"), der: Buffer.from(body, "base64") };
}

/** What `checkTlsFiles` found: problems stop the build, warnings are printed. */
export interface TlsReport {
  problems: string[];
  warnings: string[];
}

/**
 * Checks the CA, the client certificate and its key of `s` (those that are set) at `now`.
 * Problems and warnings are one line each, starting with the setting's name.
 */
export function checkTlsFiles(s: Settings, now = new Date()): TlsReport {
  const report: TlsReport = { problems: [], warnings: [] };
  const attempt = <T>(f: () => T): T | undefined => {
    try {
      return f();
    } catch (e) {
      if (!(e instanceof SettingsError)) throw e;
      report.problems.push(...(e.problems.length ? e.problems : [e.message]));
      return undefined;
    }
  };
  const ca = s.caFile ? attempt(() => certificate(s.caFile!, "MQTT_CA")) : undefined;
  if (ca) {
    if (!ca.ca) report.problems.push(`MQTT_CA: ${s.caFile} is not a CA certificate (its basic constraints do not say CA:TRUE): give the certificate of the CA that signed the broker's`);
    expiry(ca, "MQTT_CA", s.caFile!, now, report);
  }
  const cert = s.certFile ? attempt(() => certificate(s.certFile!, "MQTT_CERT")) : undefined;
  if (cert) expiry(cert, "MQTT_CERT", s.certFile!, now, report);
  const key = s.keyFile ? attempt(() => privateKey(s.keyFile!)) : undefined;
  if (cert && key && !cert.checkPrivateKey(key)) {
    report.problems.push(`MQTT_KEY: ${s.keyFile} is not the key of ${s.certFile} (MQTT_CERT): their public keys differ`);
  }
  return report;
}

function certificate(file: string, setting: string): X509Certificate {
  const block = readPemBlock(file, setting);
  const fail = (why: string): never => {
    throw new SettingsError(`${setting}: ${file} ${why}`, [`${setting}: ${file} ${why}`]);
  };
  if (PRIVATE_KEY_LABELS.includes(block.label) || block.label === "ENCRYPTED PRIVATE KEY") return fail(`holds a private key, not a certificate (${setting} wants a PEM certificate)`);
  if (block.label !== "CERTIFICATE") return fail(`holds a ${block.label}, not a certificate (BEGIN CERTIFICATE)`);
  try {
    return new X509Certificate(block.der);
  } catch (e) {
    return fail(`is not a valid certificate: ${(e as Error).message} (damaged or truncated?)`);
  }
}

function privateKey(file: string): KeyObject {
  const block = readPemBlock(file, "MQTT_KEY");
  const fail = (why: string): never => {
    throw new SettingsError(`MQTT_KEY: ${file} ${why}`, [`MQTT_KEY: ${file} ${why}`]);
  };
  if (block.label === "CERTIFICATE") return fail("holds a certificate, not a private key (MQTT_CERT and MQTT_KEY swapped?)");
  if (block.label === "ENCRYPTED PRIVATE KEY" || /ENCRYPTED/.test(block.headers)) {
    return fail(`is encrypted (the device cannot ask for its passphrase): decrypt it with \`openssl pkey -in ${file} -out ${file.replace(/(\.\w+)?$/, "-plain$1")}\` and point MQTT_KEY at that file (in certs/, which git ignores)`);
  }
  if (!PRIVATE_KEY_LABELS.includes(block.label)) return fail(`holds a ${block.label}, not a private key (BEGIN PRIVATE KEY)`);
  const type = block.label === "PRIVATE KEY" ? "pkcs8" : block.label === "RSA PRIVATE KEY" ? "pkcs1" : "sec1";
  try {
    return createPrivateKey({ key: block.der, format: "der", type });
  } catch (e) {
    return fail(`is not a valid private key: ${(e as Error).message}`);
  }
}

function expiry(cert: X509Certificate, setting: string, file: string, now: Date, report: TlsReport): void {
  const to = new Date(cert.validTo);
  const from = new Date(cert.validFrom);
  const day = (d: Date) => d.toISOString().slice(0, 10);
  if (to.getTime() < now.getTime()) report.problems.push(`${setting}: ${file} expired on ${day(to)}`);
  else if (to.getTime() - now.getTime() < WARN_DAYS * DAY_MS) {
    report.warnings.push(`${setting}: ${file} expires in ${plural(Math.floor((to.getTime() - now.getTime()) / DAY_MS), "day")} (${day(to)})`);
  }
  if (from.getTime() > now.getTime()) report.warnings.push(`${setting}: ${file} is not valid before ${day(from)}`);
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? "" : "s"}`;
}
