// require("net") / require("tls") sockets, modelled on Espruino 2v29's socketserver.c running
// on Linux (network_linux.c). Each idle-loop pass moves at most 536 bytes per socket in each
// direction; 'data' handlers run from the pass, other events are queued (asynchronous emit).
import net from "node:net";
import { asEspruinoString, hasWideChars, lowBytes, typeName } from "./bytes.ts";
import type { EventSystem } from "./events.ts";
import type { Loop } from "./loop.ts";
import { Prober } from "./probe.ts";
import type { Realm } from "./realm.ts";
import { handshakeErrorCode, prepareTls, startTls, type TlsSetup } from "./tls.ts";

export interface NetOptions {
  /** "throw": Linux build, a refused/unknown host throws from connect(). "event": ESP32-like,
   * the failure comes later as 'error' then 'close'. */
  connectFailure: "throw" | "event";
  /** How long the blocking connect probe waits before calling the host unreachable. */
  connectTimeoutMs: number;
  /** Directory for certificate files named in tls options. */
  cwd: string;
  /** Prints a console line (Espruino's jsError "ERROR: ..." output). */
  print: (line: string) => void;
  /** Host diagnostics that Espruino would not print. */
  warn: (message: string) => void;
  /** Reports an exception as uncaught (the TLS handshake failure). */
  report: (error: unknown) => void;
}

const CHUNK = 536; // net->chunkSize on Linux
const STREAM_MAX_BUFFER = 512; // STREAM_MAX_BUFFER_SIZE for data read() without a listener
const INBOUND_HIGH = 64 * 1024; // pause Node's socket: stands in for the kernel's buffer
const INBOUND_LOW = 16 * 1024;

// Socket error codes (socketerrors.h) and their messages.
const ERR_CLOSED = -1;
const ERR_NO_CONN = -11;
const ERR_UNSENT = -8;
const MESSAGES: Record<number, string> = {
  [-2]: "out of memory",
  [-3]: "timeout",
  [-4]: "no route",
  [-5]: "busy",
  [-6]: "not found",
  [-7]: "max sockets",
  [-8]: "unsent data",
  [-9]: "connection reset",
  [-10]: "unknown error",
  [-11]: "no connection",
  [-12]: "bad argument",
  [-13]: "SSL handshake failed",
  [-14]: "invalid SSL data",
  [-15]: "no response",
};

/** One Espruino client connection and the Node socket behind it. */
class Conn {
  /** The Node socket (a TLSSocket for require("tls")). */
  raw: net.Socket | undefined;
  tcpConnected = false;
  secured = false;
  /** Error code recv/send return once the Node socket failed. */
  failure: number | undefined;
  handshakeError: string | undefined;
  handshakeReported = false;
  remoteEnded = false;
  nodeClosed = false;
  inbound: Buffer[] = [];
  inboundLen = 0;
  paused = false;
  // Espruino's per-connection state: dSnd, dRcv, #buf, conn, cls, clsNow, and 'end' sent.
  sendData = "";
  receiveData = "";
  streamBuf: string | undefined;
  connected = false;
  close = false;
  closeNow = false;
  ended = false;
  killed = false;

  constructor(readonly js: object, readonly isTls: boolean, readonly tlsSetup: TlsSetup | undefined) {}
}

export class NetStack {
  private conns: Conn[] = [];
  private readonly byJs = new WeakMap<object, Conn>();
  private readonly closing = new Set<net.Socket>();
  private passScheduled = false;
  private warnedWide = false;
  private readonly socketProto: object;
  private readonly prober = new Prober();

  constructor(
    private readonly loop: Loop,
    private readonly realm: Realm,
    private readonly events: EventSystem,
    private readonly opts: NetOptions,
  ) {
    this.socketProto = this.makeSocketProto();
  }

  /** Sockets the script still sees as open. */
  get openCount(): number {
    return this.conns.length;
  }

  /** The object require("net") or require("tls") returns. */
  module(kind: "net" | "tls"): object {
    const stack = this;
    return this.realm.object({
      connect(options: unknown, callback?: unknown): object | undefined {
        return stack.connect(kind === "tls", options, callback);
      },
    });
  }

  /** Destroys every Node socket. `abrupt` resets them (a power cut) instead of closing.
   * Resolves once their handles and the connect-probe thread are gone. */
  destroyAll(abrupt: boolean): Promise<void> {
    const sockets = new Set<net.Socket>(this.closing);
    for (const c of this.conns) {
      c.killed = true;
      if (c.raw) sockets.add(c.raw);
    }
    this.closing.clear();
    this.conns = [];
    const closed = [...sockets].map((s) => {
      const done = new Promise<void>((resolve) => (s.destroyed && s.closed ? resolve() : s.once("close", () => resolve())));
      this.destroyNode(s, abrupt);
      return done;
    });
    return Promise.all([...closed, this.prober.dispose()]).then(() => undefined);
  }

  private destroyNode(s: net.Socket, abrupt: boolean): void {
    if (s.destroyed) return;
    try {
      // A reset (RST) is the closest a loopback socket gets to a vanished peer.
      if (abrupt && !("encrypted" in s)) s.resetAndDestroy();
      else s.destroy();
    } catch {
      s.destroy();
    }
  }

  private connect(isTls: boolean, rawOptions: unknown, callback: unknown): object | undefined {
    const options = typeof rawOptions === "string" ? parseUrl(rawOptions) : rawOptions;
    if (typeof options !== "object" || options === null || Array.isArray(options)) {
      this.opts.print(`ERROR: Expecting Options to be an Object but it was ${typeName(options)}`);
      return undefined;
    }
    if (callback !== undefined && typeof callback !== "function") {
      this.opts.print(`ERROR: Expecting Callback Function but got ${typeName(callback)}`);
      return undefined;
    }
    const o = options as Record<string, unknown>;
    const js = this.realm.objectWithProto(this.socketProto);
    const host = o.host === undefined ? "127.0.0.1" : String(o.host).slice(0, 127);
    let port = Math.trunc(Number(o.port)) & 0xffff || 0;
    if (isTls && port === 0) port = 443;

    let address = host;
    let failure: Error | undefined;
    if (this.opts.connectFailure === "throw") {
      const probe = this.prober.probe(host, port, this.opts.connectTimeoutMs);
      if (!probe.ok && probe.reason === "dns") failure = this.realm.error("InternalError", "Unable to locate host");
      else if (!probe.ok) {
        this.opts.print(`ERROR: Connect failed (err ${probe.errno})`);
        failure = this.realm.error("InternalError", "Unable to create socket");
      } else address = probe.address;
    }
    let setup: TlsSetup | undefined;
    if (!failure && isTls) {
      try {
        setup = prepareTls(o, this.realm, this.opts.cwd);
      } catch (e) {
        failure = e as Error;
      }
    }
    const c = new Conn(js, isTls, setup);
    this.byJs.set(js, c);
    this.conns.push(c);
    this.events.onListen(js, (event) => this.onListen(c, event));
    if (typeof callback === "function") this.events.add(js, "connect", callback, false);
    if (failure) {
      // Already in the connection list: the next pass closes it quietly, as Espruino does.
      c.closeNow = true;
      this.schedulePass();
      throw failure;
    }
    this.open(c, address, port);
    this.schedulePass();
    return js;
  }

  private open(c: Conn, address: string, port: number): void {
    // A TLS socket does its own TCP connect: 'connect' comes before the handshake's end.
    const sock = c.isTls ? startTls(address, port, c.tlsSetup ?? {}) : net.connect({ host: address, port, family: 4, allowHalfOpen: true });
    c.raw = sock;
    sock.on("connect", () => {
      c.tcpConnected = true;
      this.schedulePass();
    });
    if (c.isTls) {
      sock.on("secureConnect", () => {
        c.secured = true;
        this.schedulePass();
      });
    }
    sock.on("error", (e: Error & { code?: string }) => {
      if (c.isTls && c.tcpConnected && !c.secured && c.handshakeError === undefined) c.handshakeError = handshakeErrorCode(e);
      this.onNodeError(c, e);
    });
    sock.on("close", () => {
      c.nodeClosed = true;
      this.schedulePass();
    });
    this.wire(c, sock);
  }

  /** Collects incoming bytes, as the kernel's receive buffer would. */
  private wire(c: Conn, stream: net.Socket): void {
    stream.on("data", (chunk: Buffer) => {
      c.inbound.push(chunk);
      c.inboundLen += chunk.length;
      if (c.inboundLen > INBOUND_HIGH && !c.paused) {
        c.paused = true;
        stream.pause();
      }
      this.schedulePass();
    });
    stream.on("end", () => {
      c.remoteEnded = true;
      this.schedulePass();
    });
    stream.on("drain", () => this.schedulePass());
  }

  private onNodeError(c: Conn, e: Error & { code?: string }): void {
    if (c.failure === undefined) {
      // On Linux recv()/send() just return -1 (a clean close) once connected.
      c.failure = c.tcpConnected ? ERR_CLOSED : connectErrorCode(e.code);
    }
    this.schedulePass();
  }

  private onListen(c: Conn, event: string): void {
    if (event !== "data") return;
    // jswrap_object_on: a new 'data' listener gets the already buffered data at once.
    if (c.streamBuf !== undefined) {
      this.events.queueEvent(c.js, "data", [c.streamBuf]);
      c.streamBuf = undefined;
    }
    this.schedulePass();
  }

  private schedulePass(): void {
    if (this.passScheduled || !this.loop.alive) return;
    this.passScheduled = true;
    this.loop.soon(() => {
      this.passScheduled = false;
      let busy = false;
      for (const c of [...this.conns]) if (this.passOne(c)) busy = true;
      if (busy) this.schedulePass();
    });
  }

  /** socketClientConnectionsIdle for one connection; true if it has more work right now. */
  private passOne(c: Conn): boolean {
    if (c.killed) return false;
    let error = 0;
    let closeNow = c.closeNow;
    if (c.raw) {
      this.pushReceiveData(c, false);
      if (!closeNow) {
        if (c.sendData.length > 0) {
          const num = this.send(c);
          if (num > 0 && !c.connected) this.markConnected(c, false);
          if (num < 0) {
            closeNow = true;
            error = num;
          }
        } else if (c.close) closeNow = true;
        const got = this.recv(c);
        if (typeof got === "number" && got === ERR_NO_CONN && !c.connected) {
          // not connected yet
        } else if (typeof got === "number" && got < 0) {
          closeNow = true;
          error = got;
        } else {
          if (!c.connected) this.markConnected(c, c.sendData.length === 0);
          if (typeof got === "string") {
            c.receiveData += got;
            this.pushReceiveData(c, false);
          }
        }
      }
    }
    if (closeNow) return this.closeConn(c, error);
    // Espruino spins its idle loop; here a pass is only repeated while it can make progress.
    return c.inboundLen > 0 || (c.sendData.length > 0 && this.canSend(c)) ||
      (c.close && c.sendData.length === 0) || (c.receiveData.length > 0 && this.events.has(c.js, "data"));
  }

  private markConnected(c: Conn, drain: boolean): void {
    c.connected = true;
    this.events.queueEvent(c.js, "connect", [c.js]);
    if (drain) this.events.queueEvent(c.js, "drain", [c.js]);
  }

  private closeConn(c: Conn, err: number): boolean {
    this.pushReceiveData(c, true);
    if (c.receiveData.length > 0) return false; // unread data keeps it open, as on Espruino
    let error = err;
    if (c.sendData.length > 0 && error === ERR_CLOSED) error = ERR_UNSENT;
    this.closeNode(c);
    c.killed = true;
    c.close = true;
    this.conns = this.conns.filter((x) => x !== c);
    const hadError = error < 0 && error !== ERR_CLOSED;
    if (hadError) {
      const details = this.realm.object({ code: error, message: MESSAGES[error] ?? "unknown error" });
      this.events.queueEvent(c.js, "error", [details]);
    }
    if (!c.ended) {
      c.ended = true;
      this.events.queueEvent(c.js, "end", []);
    }
    this.events.queueEvent(c.js, "close", [hadError]);
    return false;
  }

  /** closesocket(): the kernel still flushes what was written, then sends FIN. */
  private closeNode(c: Conn): void {
    const s = c.raw;
    if (!s || s.destroyed) return;
    this.closing.add(s);
    s.once("close", () => this.closing.delete(s));
    s.end(() => s.destroy());
  }

  private canSend(c: Conn): boolean {
    const s = c.raw;
    return c.failure === undefined && c.tcpConnected && (!c.isTls || c.secured) &&
      !!s && !s.destroyed && !s.writableNeedDrain;
  }

  /** netSend: bytes sent (<= 536), 0 when not ready, or a negative error. */
  private send(c: Conn): number {
    if (c.isTls && this.tlsFailed(c)) return ERR_CLOSED;
    if (c.failure !== undefined) return ERR_CLOSED;
    if (!this.canSend(c)) return 0;
    const chunk = c.sendData.slice(0, CHUNK);
    c.raw!.write(Buffer.from(chunk, "latin1"));
    c.sendData = c.sendData.slice(chunk.length);
    // Everything sent: 'drain', unless a close was requested (socketSendData).
    if (c.sendData.length === 0 && !c.close) this.events.queueEvent(c.js, "drain", [c.js]);
    return chunk.length;
  }

  /** netRecv: a binary string (<= 536 bytes), 0 for nothing yet, or a negative error. */
  private recv(c: Conn): string | number {
    if (!c.tcpConnected) return c.failure ?? ERR_NO_CONN;
    if (c.isTls && this.tlsFailed(c)) return ERR_CLOSED;
    if (c.isTls && !c.secured) return c.failure ?? 0; // handshake busy
    if (c.inboundLen > 0) return this.takeInbound(c);
    if (c.failure !== undefined) return c.failure;
    if (c.remoteEnded || c.nodeClosed) return ERR_CLOSED;
    return 0;
  }

  /** A failed handshake raises an uncaught InternalError once, then the socket reads as closed. */
  private tlsFailed(c: Conn): boolean {
    if (c.handshakeError === undefined) return false;
    if (!c.handshakeReported) {
      c.handshakeReported = true;
      this.opts.report(this.realm.error("InternalError", `mbedtls_ssl_handshake returned ${c.handshakeError}`));
    }
    return true;
  }

  private takeInbound(c: Conn): string {
    let out = "";
    while (out.length < CHUNK && c.inbound.length > 0) {
      const head = c.inbound[0]!;
      const n = Math.min(CHUNK - out.length, head.length);
      out += head.toString("latin1", 0, n);
      if (n === head.length) c.inbound.shift();
      else c.inbound[0] = head.subarray(n);
    }
    c.inboundLen -= out.length;
    if (c.paused && c.inboundLen < INBOUND_LOW) {
      c.paused = false;
      c.raw?.resume();
    }
    return out;
  }

  /** socketPushReceiveData: call 'data' handlers now, or keep bytes for read()/a later listener. */
  private pushReceiveData(c: Conn, force: boolean): void {
    if (c.receiveData.length === 0) return;
    const data = c.receiveData;
    if (this.events.has(c.js, "data")) {
      c.receiveData = "";
      this.events.callNow(c.js, "data", [data]);
      return;
    }
    if (c.streamBuf === undefined) {
      c.streamBuf = data;
      c.receiveData = "";
      return;
    }
    const fits = c.streamBuf.length + data.length <= STREAM_MAX_BUFFER;
    if ((fits || force) && c.streamBuf.length < STREAM_MAX_BUFFER) {
      c.streamBuf += data.slice(0, STREAM_MAX_BUFFER - c.streamBuf.length);
    }
    if (fits || force) c.receiveData = "";
  }

  private conn(self: unknown): Conn {
    const c = typeof self === "object" && self !== null ? this.byJs.get(self) : undefined;
    if (!c) throw this.realm.error("TypeError", "Not a Socket");
    return c;
  }

  /** Socket.prototype: write, end, read, available (Espruino has no destroy()). */
  private makeSocketProto(): object {
    const stack = this;
    const proto = this.realm.object();
    const methods: Record<string, Function> = {
      write(this: unknown, data?: unknown): boolean {
        stack.write(stack.conn(this), data);
        return false; // "For node.js compatibility, returns the boolean false"
      },
      end(this: unknown, data?: unknown): void {
        const c = stack.conn(this);
        try {
          if (data !== undefined) stack.write(c, data);
        } finally {
          if (c.sendData.length === 0) c.closeNow = true;
          c.close = true;
          stack.schedulePass();
        }
      },
      available(this: unknown): number {
        return stack.conn(this).streamBuf?.length ?? 0;
      },
      read(this: unknown, chars?: unknown): string {
        const c = stack.conn(this);
        const buf = c.streamBuf ?? "";
        const n = Math.trunc(Number(chars)) || 0;
        if (n <= 0 || n >= buf.length) {
          c.streamBuf = undefined;
          return buf;
        }
        c.streamBuf = buf.slice(n);
        return buf.slice(0, n);
      },
    };
    for (const [name, fn] of Object.entries(methods)) {
      Object.defineProperty(proto, name, { value: fn, writable: true, configurable: true, enumerable: false });
    }
    return proto;
  }

  private write(c: Conn, data: unknown): void {
    if (c.closeNow || c.close) throw this.realm.error("Error", "This socket is closed");
    if (data !== undefined) {
      let text = asEspruinoString(data);
      if (hasWideChars(text)) {
        if (!this.warnedWide) {
          this.warnedWide = true;
          this.opts.warn("socket.write() got chars above 0xFF: the Linux build sends their UTF-8 bytes, the ESP32 their low byte (sent here)");
        }
        text = lowBytes(text);
      }
      c.sendData += text;
    }
    this.schedulePass();
  }
}

/** Error code for a Node connect failure (ESP32-style asynchronous reporting). */
function connectErrorCode(code: string | undefined): number {
  switch (code) {
    case "ECONNREFUSED":
    case "ECONNRESET":
      return -9;
    case "ETIMEDOUT":
      return -3;
    case "ENOTFOUND":
    case "EAI_AGAIN":
      return -6;
    case "EHOSTUNREACH":
    case "ENETUNREACH":
      return -4;
    default:
      return -10;
  }
}

/** url.parse as connect() uses it for a string: "proto://host:port/path". */
function parseUrl(url: string): Record<string, unknown> {
  const m = /^[a-z]+:\/\/([^/:]*)(?::(\d+))?/i.exec(url);
  if (!m) return { host: url.split("/")[0] };
  return { host: m[1], port: m[2] === undefined ? null : Number(m[2]) };
}
