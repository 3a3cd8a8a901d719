/**
 * What the session needs from the world, passed in so Node tests can drive it on a fake clock
 * with a scripted transport, and the firmware with Espruino's timers, socket and Wi-Fi.
 */
import type { Payload } from "../mqtt/packets";

export interface Clock {
  /** Milliseconds, monotonic enough for deadlines. */
  now(): number;
  setTimeout(callback: () => void, ms: number): number;
  clearTimeout(id: number): void;
}

/** One open (or opening) byte stream to the broker. */
export interface Connection {
  /** One whole packet: bytes, or (the CONNECT baked at build time) a binary string of them. */
  write(bytes: Payload): void;
  /** Closes the stream; no event of this connection reaches the session afterwards. */
  close(): void;
}

/** What happens to a connection, in the order it can happen. */
export const enum ConnectionEvent {
  OPEN,
  DATA,
  /** The send buffer has emptied. */
  DRAIN,
  /** The stream ended, for whatever reason (refused, reset, closed by the peer). */
  CLOSED,
}

/**
 * Called by a transport, always later than the call that caused the event (Espruino's emit is
 * asynchronous). One function rather than one per event: on Espruino each is held while connected.
 */
export interface ConnectionListener {
  (event: ConnectionEvent.OPEN | ConnectionEvent.DRAIN): void;
  (event: ConnectionEvent.DATA, bytes: Uint8Array): void;
  (event: ConnectionEvent.CLOSED, reason: string): void;
}

export interface Transport {
  /**
   * Opens a stream to host:port. May throw synchronously (Espruino on Linux throws for a refused
   * connection or an unknown host) or report the failure later as CLOSED.
   */
  connect(host: string, port: number, listener: ConnectionListener): Connection;
}

/** The link under TCP: Wi-Fi on the ESP32, always up on Linux. */
export interface NetworkLink {
  isUp(): boolean;
  /** Asks the link to come up; `done` is called once, with an error text on failure. */
  connect(done: (error?: string) => void): void;
  /** `listener` is called whenever the link goes down. */
  onDown(listener: (reason: string) => void): void;
  /** The link's signal, dBm, where the board has one (Wi-Fi), while up. */
  signal?(): number | undefined;
}

/** A link that is always up: boards without Wi-Fi, and tests. */
export const ALWAYS_UP: NetworkLink = {
  isUp: () => true,
  connect: (done) => done(),
  onDown: () => {},
};

export type Log = (line: string) => void;
