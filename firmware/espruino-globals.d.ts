/**
 * The Espruino API this firmware uses, as measured on Espruino 2v29 (see docs/espruino-runtime.md).
 * @types/espruino (1.95) lacks most of it; what is declared here is exactly what the code relies on.
 */

declare function setTimeout(callback: () => void, ms: number): number;
declare function clearTimeout(id: number): void;
declare function setInterval(callback: () => void, ms: number): number;
declare function clearInterval(id: number): void;

interface Console {
  log(...args: unknown[]): void;
}
declare var console: Console;

/** A TCP or TLS socket: data arrives as binary strings, and writes must be binary strings. */
interface EspruinoSocket {
  write(data: string): void;
  end(): void;
  on(event: "data", listener: (data: string) => void): void;
  on(event: "error", listener: (error: { message?: string } | string) => void): void;
  /** `close` passes whether the socket ended in an error (libs/network/socketserver.c). */
  on(event: "close", listener: (hadError: boolean) => void): void;
  on(event: "end" | "drain", listener: () => void): void;
  removeAllListeners(event?: string): void;
}

interface NetModule {
  /** Throws synchronously on Linux when refused or the host is unknown. */
  connect(options: { host: string; port: number }, onConnect: () => void): EspruinoSocket;
}

interface TlsConnectOptions {
  host: string;
  port: number;
  /** DER, as a binary string: Espruino 2v29 refuses PEM text. */
  ca?: string;
  cert?: string;
  key?: string;
}

interface TlsModule {
  connect(options: TlsConnectOptions, onConnect: () => void): EspruinoSocket;
}

interface WifiModule {
  connect(ssid: string, options: { password?: string }, callback: (error: string | null) => void): void;
  /** Sets the clock from an SNTP server (Wi-Fi builds), `tz` hours from UTC. */
  setSNTP(server: string, tz: number): void;
  on(event: "connected" | "disconnected", listener: (details: { reason?: string | number }) => void): void;
  /** The station's state; `rssi` (dBm) while joined (ESP32). */
  getStatus(): { rssi?: number };
  /** The station's address; `ip` is "0.0.0.0" without one. */
  getIP(): { ip: string };
  /** ESP32: keeps the station's SSID and password in Storage's `.wificfg`, which the board joins with at every start. */
  save(): void;
}

/** Flash files; src/store/ports.ts (FlashStorage) says what the store relies on. */
interface StorageModule {
  read(name: string, offset?: number, length?: number): string | undefined;
  write(name: string, data: string, offset?: number, size?: number): boolean;
  erase(name: string): void;
  list(pattern: RegExp): string[];
  /** A file's JSON; undefined if it is missing or not JSON (`noExceptions`). */
  readJSON(name: string, noExceptions: true): unknown;
}

declare function require(name: "net"): NetModule;
declare function require(name: "tls"): TlsModule;
declare function require(name: "Wifi"): WifiModule;
declare function require(name: "Storage"): StorageModule;

declare namespace E {
  function toUint8Array(data: string): Uint8Array;
  /** Bytes (a typed array, or a string of them) as a binary string. */
  function toString(data: Uint8Array | string): string;
  function on(event: "init" | "kill", listener: () => void): void;
  /** A new error flag was set: the flags now set, e.g. "LOW_MEMORY", "MEMORY" (out of memory). */
  function on(event: "errorFlag", listener: (flags: string[]) => void): void;
  /** Seeds Math.random's generator (the C library's rand()). */
  function srand(seed: number): void;
  /** CRC-32 of a string's bytes. */
  function CRC32(data: string): number;
  /** isAuto false: only E.kickWatchdog() resets it (a no-op on the Linux build; the ESP32's task watchdog). */
  function enableWatchdog(timeoutS: number, isAuto: boolean): void;
  function kickWatchdog(): void;
  /** Linux build: runs the kill listeners and exits with code 1 (battery mode's deep sleep there). */
  function reboot(): void;
}

/** The ESP32 build's own functions. */
declare namespace ESP32 {
  /** Deep sleep, woken by the RTC timer after `us`; the wake is a fresh boot. */
  function deepSleep(us: number): void;
  /** esp_sleep_get_wakeup_cause(): 0 not a wake (power-on, reset, watchdog), 4 the timer, ... */
  function getWakeupCause(): number;
}

declare namespace process {
  function memory(): { free: number; usage: number; total: number };
  function on(event: "uncaughtException", listener: (error: unknown) => void): void;
}

/** Espruino's OneWire class on a pin (built in, not a module). */
declare class OneWire {
  constructor(pin: unknown);
  reset(): boolean;
  select(rom: string): void;
  skip(): void;
  write(data: number | number[], power?: boolean): void;
  read(count: number): number[];
  search(command?: number): string[];
}

/** Pins are globals named like D4; `Pin("D4")` looks one up by name. */
declare function Pin(name: string): unknown;
