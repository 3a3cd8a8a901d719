/**
 * TLS files checked at build time (node:crypto), so a wrong one fails the build by name instead of a
 * handshake on the device: the kind of each file, the key against the certificate, the CA flag,
 * expiry (a warning within 30 days), encrypted keys (refused with a hint), garbage base64.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { loadBoard } from "../../tools/build/boards";
import { firmwareConfig } from "../../tools/build/firmware-config";
import { rawSettings, resolveSettings, SettingsError } from "../../tools/build/settings";
import { checkTlsFiles } from "../../tools/build/tls-files";

const linux = loadBoard("linux");
const dir = mkdtempSync(join(tmpdir(), "tls-files-"));
const f = (name: string) => join(dir, name);
const DAY = 86400_000;

beforeAll(() => {
  const openssl = (...args: string[]) => execFileSync("openssl", args, { cwd: dir, stdio: "ignore" });
  // The CA: `req -x509` marks it CA:TRUE. The device's certificate: signed by it, valid 10 days.
  openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", "ca.key", "-out", "ca.pem", "-days", "400", "-subj", "/CN=test-ca");
  openssl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", "device.key", "-out", "device.csr", "-subj", "/CN=device");
  writeFileSync(f("leaf.ext"), "basicConstraints=CA:FALSE\n");
  openssl("x509", "-req", "-in", "device.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-out", "device.pem", "-days", "10", "-extfile", "leaf.ext");
  openssl("genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", "other.key");
  openssl("genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-aes256", "-pass", "pass:secret", "-out", "encrypted.key");
  openssl("genrsa", "-traditional", "-aes256", "-passout", "pass:secret", "-out", "legacy-encrypted.key", "2048");
  openssl("genrsa", "-traditional", "-out", "rsa.key", "2048");
  writeFileSync(f("garbage.pem"), "-----BEGIN CERTIFICATE-----\nthis is not base64 at all!!\n-----END CERTIFICATE-----\n");
  const ca = readFileSync(f("ca.pem"), "utf8");
  writeFileSync(f("truncated.pem"), ca.replace(/\n[^\n]*\n-----END/, "\n-----END"));
  writeFileSync(f("notes.txt"), "just some text\n");
});

const tls = (files: Record<string, string>) => resolveSettings(linux, rawSettings(linux, { MQTT_URL: "mqtts://broker.lan", ...files }, {}));

/** What the build says about these files: its SettingsError's message, or "". */
function refusal(files: Record<string, string>): string {
  try {
    firmwareConfig(linux, tls(files));
    return "";
  } catch (e) {
    expect(e).toBeInstanceOf(SettingsError);
    return (e as Error).message;
  }
}

describe("TLS files", () => {
  it("takes a CA, a certificate it signed and that certificate's key", () => {
    expect(refusal({ MQTT_CA: f("ca.pem"), MQTT_CERT: f("device.pem"), MQTT_KEY: f("device.key") })).toBe("");
    expect(refusal({ MQTT_CA: f("ca.pem") })).toBe("");
  });

  it.each([
    ["a CA that is not a CA", { MQTT_CA: "device.pem" }, /MQTT_CA: .*device\.pem is not a CA certificate/],
    ["a key given as the CA", { MQTT_CA: "device.key" }, /MQTT_CA: .*device\.key holds a private key, not a certificate/],
    ["a certificate given as the key", { MQTT_CERT: "device.pem", MQTT_KEY: "ca.pem" }, /MQTT_KEY: .*ca\.pem holds a certificate, not a private key/],
    ["a key that does not match the certificate", { MQTT_CERT: "device.pem", MQTT_KEY: "other.key" }, /MQTT_KEY: .*other\.key is not the key of .*device\.pem/],
    ["an RSA key for an EC certificate", { MQTT_CERT: "device.pem", MQTT_KEY: "rsa.key" }, /MQTT_KEY: .*rsa\.key is not the key of/],
    ["an encrypted key", { MQTT_CERT: "device.pem", MQTT_KEY: "encrypted.key" }, /MQTT_KEY: .*encrypted\.key is encrypted .*openssl pkey -in .*encrypted\.key -out /],
    ["an encrypted traditional key", { MQTT_CERT: "device.pem", MQTT_KEY: "legacy-encrypted.key" }, /MQTT_KEY: .*legacy-encrypted\.key is encrypted/],
    ["garbage base64", { MQTT_CA: "garbage.pem" }, /MQTT_CA: .*garbage\.pem: the CERTIFICATE block is not valid base64/],
    ["a truncated certificate", { MQTT_CA: "truncated.pem" }, /MQTT_CA: .*truncated\.pem.*not a valid certificate/],
    ["a file with no PEM block", { MQTT_CA: "notes.txt" }, /MQTT_CA: .*notes\.txt holds no PEM block/],
  ])("refuses %s", (_what, files, message) => {
    const paths = Object.fromEntries(Object.entries(files).map(([k, v]) => [k, f(v)]));
    const text = refusal(paths);
    expect(text).toMatch(message);
    // The files' contents are never shown (a key is a secret).
    expect(text).not.toMatch(/MII|-----/);
  });

  it("refuses an expired certificate and warns within 30 days of expiry", () => {
    const settings = tls({ MQTT_CA: f("ca.pem"), MQTT_CERT: f("device.pem"), MQTT_KEY: f("device.key") });
    const now = Date.now();
    expect(checkTlsFiles(tls({ MQTT_CA: f("ca.pem") }), new Date(now))).toEqual({ problems: [], warnings: [] });
    expect(checkTlsFiles(settings, new Date(now))).toEqual({
      problems: [],
      warnings: [expect.stringMatching(/^MQTT_CERT: .*device\.pem expires in (9|10) days \(\d{4}-\d\d-\d\d\)/)],
    });
    const later = checkTlsFiles(settings, new Date(now + 11 * DAY));
    expect(later.problems).toEqual([expect.stringMatching(/^MQTT_CERT: .*device\.pem expired on \d{4}-\d\d-\d\d/)]);
    expect(checkTlsFiles(settings, new Date(now + 500 * DAY)).problems).toEqual(
      expect.arrayContaining([expect.stringMatching(/^MQTT_CA: .*ca\.pem expired/)]),
    );
  });
});
