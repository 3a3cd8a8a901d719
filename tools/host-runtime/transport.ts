// One Node socket seen the way Espruino's socketserver.c sees a socket: through netSend/netRecv
// as network_linux.c (and mbedtls for TLS) implement them, returning bytes, 0 for "not now",
// or a negative socket error code.
import net from "node:net";
import type { Realm } from "./realm";
import { handshakeErrorCode, startTls, type TlsSetup } from "./tls";

export const ERR_CLOSED = -1; // SOCKET_ERR_CLOSED: a clean close
export const ERR_NO_CONN = -11; // SOCKET_ERR_NO_CONN: not connected yet

const INBOUND_HIGH = 64 * 1024; // pause Node's socket: stands in for the kernel's buffer
const INBOUND_LOW = 16 * 1024;
const CLOSE_WAIT_MS = 2000; // give up waiting for a destroyed socket's 'close'

export interface TransportHooks {
  realm: Realm;
  /** Something changed: run an idle-loop pass. */
  wake: () => void;
  /** Reports an exception as uncaught (a failed TLS handshake). */
  report: (error: unknown) => void;
}

export class Transport {
  private readonly sock: net.Socket;
  private tcpConnected = false;
  private secured = false;
  /** What recv/send return once the Node socket failed. */
  private failure: number | undefined;
  private handshakeError: string | undefined;
  private handshakeReported = false;
  private remoteEnded = false;
  private nodeClosed = false;
  private inbound: Buffer[] = [];
  private inboundLen = 0;
  private paused = false;

  constructor(
    address: string,
    port: number,
    private readonly tls: TlsSetup | undefined,
    private readonly hooks: TransportHooks,
  ) {
    // A TLS socket does its own TCP connect: 'connect' comes before the handshake ends.
    this.sock = tls
      ? startTls(address, port, tls)
      : net.connect({ host: address, port, family: 4, allowHalfOpen: true });
    const s = this.sock;
    s.on("connect", () => {
      this.tcpConnected = true;
      hooks.wake();
    });
    if (tls) {
      s.on("secureConnect", () => {
        this.secured = true;
        hooks.wake();
      });
    }
    s.on("data", (chunk: Buffer) => {
      this.inbound.push(chunk);
      this.inboundLen += chunk.length;
      if (this.inboundLen > INBOUND_HIGH && !this.paused) {
        this.paused = true;
        s.pause();
      }
      hooks.wake();
    });
    s.on("end", () => {
      this.remoteEnded = true;
      hooks.wake();
    });
    s.on("drain", () => hooks.wake());
    s.on("error", (e: Error & { code?: string }) => {
      if (tls && this.tcpConnected && !this.secured && this.handshakeError === undefined) {
        this.handshakeError = handshakeErrorCode(e);
      }
      // Once connected, Linux's recv()/send() just return -1: a reset looks like a clean close.
      if (this.failure === undefined) this.failure = this.tcpConnected ? ERR_CLOSED : connectErrorCode(e.code);
      hooks.wake();
    });
    s.on("close", () => {
      this.nodeClosed = true;
      hooks.wake();
    });
  }

  /** Received bytes not yet taken by recv(). */
  get hasInbound(): boolean {
    return this.inboundLen > 0;
  }

  canSend(): boolean {
    const s = this.sock;
    return (
      this.failure === undefined &&
      this.tcpConnected &&
      (!this.tls || this.secured) &&
      !s.destroyed &&
      !s.writableNeedDrain
    );
  }

  /** netSend: bytes taken from `chunk`, 0 when not ready, or a negative error. */
  send(chunk: string): number {
    if (this.tlsFailed() || this.failure !== undefined) return ERR_CLOSED;
    if (!this.canSend()) return 0;
    this.sock.write(Buffer.from(chunk, "latin1"));
    return chunk.length;
  }

  /** netRecv: a binary string of at most `max` bytes, 0 for nothing yet, or a negative error. */
  recv(max: number): string | number {
    if (!this.tcpConnected) return this.failure ?? ERR_NO_CONN;
    if (this.tlsFailed()) return ERR_CLOSED;
    if (this.tls && !this.secured) return this.failure ?? 0; // handshake busy
    if (this.inboundLen > 0) return this.take(max);
    if (this.failure !== undefined) return this.failure;
    if (this.remoteEnded || this.nodeClosed) return ERR_CLOSED;
    return 0;
  }

  /** closesocket(): what was written is still flushed, then FIN. */
  close(): void {
    const s = this.sock;
    if (!s.destroyed) s.end(() => s.destroy());
  }

  /** Resolves once the Node socket's handle is closed (or after a safety timeout). */
  whenClosed(): Promise<void> {
    const s = this.sock;
    return new Promise<void>((resolve) => {
      if (s.destroyed && s.closed) return resolve();
      const timer = setTimeout(resolve, CLOSE_WAIT_MS);
      timer.unref();
      s.once("close", () => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  /** Destroys the socket (`abrupt`: a reset, the nearest thing to a vanished peer on loopback);
   * resolves once its handle is closed. */
  destroy(abrupt: boolean): Promise<void> {
    const s = this.sock;
    const closed = this.whenClosed();
    if (!s.destroyed) {
      try {
        if (abrupt && !this.tls) s.resetAndDestroy();
        else s.destroy();
      } catch {
        s.destroy();
      }
    }
    return closed;
  }

  /** A failed handshake raises an uncaught InternalError once; then the socket reads as closed. */
  private tlsFailed(): boolean {
    if (this.handshakeError === undefined) return false;
    if (!this.handshakeReported) {
      this.handshakeReported = true;
      this.hooks.report(
        this.hooks.realm.error("InternalError", `mbedtls_ssl_handshake returned ${this.handshakeError}`),
      );
    }
    return true;
  }

  private take(max: number): string {
    let out = "";
    while (out.length < max && this.inbound.length > 0) {
      const head = this.inbound[0]!;
      const n = Math.min(max - out.length, head.length);
      out += head.toString("latin1", 0, n);
      if (n === head.length) this.inbound.shift();
      else this.inbound[0] = head.subarray(n);
    }
    this.inboundLen -= out.length;
    if (this.paused && this.inboundLen < INBOUND_LOW) {
      this.paused = false;
      this.sock.resume();
    }
    return out;
  }
}

/** Error code for a failed connect (reported ESP32-style, as 'error' then 'close'). */
function connectErrorCode(code: string | undefined): number {
  switch (code) {
    case "ECONNREFUSED":
    case "ECONNRESET":
      return -9; // connection reset
    case "ETIMEDOUT":
      return -3; // timeout
    case "ENOTFOUND":
    case "EAI_AGAIN":
      return -6; // not found
    case "EHOSTUNREACH":
    case "ENETUNREACH":
      return -4; // no route
    default:
      return -10; // unknown error
  }
}
