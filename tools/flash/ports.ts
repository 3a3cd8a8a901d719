/**
 * The serial ports a board may be on: the espruino CLI's own list (`espruino --list`, through the
 * `serialport` package it ships with: the ports it can open), with the usual USB-serial device
 * names in /dev added (that list needs udev on Linux, which containers often lack). Used by
 * `--list` and to pick the only port when no --port is given.
 */
import { spawn } from "node:child_process";
import { readdirSync, realpathSync } from "node:fs";
import { join } from "node:path";
import { UsageError } from "../build/report";
import { ESPRUINO_CLI } from "../espruino-cli";

export interface PortInfo {
  path: string;
  description: string;
}

/** The ports in the output of `espruino --list` ("  <path>  (<description>)" lines after "PORTS:"). */
export function parseCliPortList(output: string): PortInfo[] {
  const at = output.indexOf("PORTS:");
  if (at < 0) return [];
  const ports: PortInfo[] = [];
  for (const line of output.slice(at + 6).split(/\r?\n/)) {
    const m = /^\s+(\S+)\s+\((.*)\)(?:\s+RSSI.*)?\s*$/.exec(line);
    if (m) ports.push({ path: m[1], description: m[2] === "undefined" ? "" : m[2] });
  }
  return ports;
}

/** USB-serial device names (Linux ttyUSB/ttyACM, macOS cu.*) in `dir`. */
export function scanDevices(dir = "/dev"): PortInfo[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  return names
    .filter((n) => /^tty(USB|ACM)\d+$/.test(n) || /^cu\.(usbserial|usbmodem|SLAB_USBtoUART|wchusbserial)/.test(n))
    .sort()
    .map((n) => ({ path: join(dir, n), description: "" }));
}

/** The espruino CLI's list (it scans for about 3 s). */
export function cliPorts(timeoutMs = 20000): Promise<PortInfo[]> {
  return new Promise((done) => {
    const child = spawn(ESPRUINO_CLI, ["--no-ble", "--list"], { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    child.stdout.on("data", (d) => (out += d));
    child.stderr.on("data", (d) => (out += d));
    const timer = setTimeout(() => child.kill("SIGTERM"), timeoutMs);
    child.on("error", () => done([]));
    child.on("close", () => {
      clearTimeout(timer);
      done(parseCliPortList(out));
    });
  });
}

/** Every port found, once (a /dev name and the CLI's for the same device count once). */
export async function listPorts(): Promise<PortInfo[]> {
  const found = [...(await cliPorts()), ...scanDevices()];
  const seen = new Map<string, PortInfo>();
  for (const p of found) {
    let key = p.path;
    try {
      key = realpathSync(p.path);
    } catch {
      // COM3 and the like: no file to resolve
    }
    const known = seen.get(key);
    if (!known) seen.set(key, p);
    else if (!known.description && p.description) known.description = p.description;
  }
  return [...seen.values()];
}

export function formatPorts(ports: PortInfo[]): string {
  return ports.map((p) => `  ${p.path}${p.description ? `  (${p.description})` : ""}`).join("\n");
}

/** The port to use when none was given: the only one; none or several is a UsageError saying what to do. */
export function pickPort(ports: PortInfo[]): string {
  if (ports.length === 1) return ports[0].path;
  if (ports.length === 0) {
    throw new UsageError(
      "no serial port found: plug the board in (a data cable, not a charge-only one), or give --port (docs/flashing.md: finding the serial port)",
    );
  }
  throw new UsageError(
    `${ports.length} serial ports: ${ports.map((p) => p.path).join(", ")}: pick one with --port\n${formatPorts(ports)}`,
  );
}
