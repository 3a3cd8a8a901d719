// require("net") / require("tls") sockets, modelled on Espruino 2v29's socketserver.c (client
// connections) on Linux. Each idle-loop pass moves at most 536 bytes per socket in each
// direction; 'data' handlers run from the pass, the other events are queued (async emit).
import { asEspruinoString, hasWideChars, lowBytes, typeName } from "./bytes";
import type { EventSystem } from "./events";
import type { Loop } from "./loop";
import { Prober } from "./probe";
import type { Realm } from "./realm";
import { prepareTls, type TlsSetup } from "./tls";
import { ERR_CLOSED, ERR_NO_CONN, Transport } from "./transport";

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
const STREAM_MAX_BUFFER = 512; // STREAM_MAX_BUFFER_SIZE: data kept for read() without a listener
const ERR_UNSENT = -8;
// socketErrorString() for the codes a client socket can report.
const MESSAGES: Record<number, string> = {
  [-3]: "timeout",
  [-4]: "no route",
  [-6]: "not found",
  [-8]: "unsent data",
  [-9]: "connection reset",
  [-10]: "unknown error",
};

/** One client connection: Espruino's per-socket state (dSnd, dRcv, #buf, conn, cls, clsNow). */
interface Conn {
  js: object;
  transport: Transport | undefined;
  sendData: string;
  receiveData: string;
  streamBuf: string | undefined;
  connected: boolean;
  close: boolean;
  closeNow: boolean;
  ended: boolean;
  killed: boolean;
}

export class NetStack {
  private conns: Conn[] = [];
  private readonly byJs = new WeakMap<object, Conn>();
  private readonly closing = new Set<Transport>();
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

  /** Destroys every socket (`abrupt`: reset, as a power cut); resolves once their handles and
   * the connect-probe thread are gone. */
  destroyAll(abrupt: boolean): Promise<void> {
    const transports = new Set(this.closing);
    for (const c of this.conns) {
      c.killed = true;
      if (c.transport) transports.add(c.transport);
    }
    this.closing.clear();
    this.conns = [];
    const closed = [...transports].map((t) => t.destroy(abrupt));
    return Promise.all([...closed, this.prober.dispose()]).then(() => undefined);
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
    const host = o.host === undefined ? "127.0.0.1" : String(o.host).slice(0, 127);
    let port = Math.trunc(Number(o.port)) & 0xffff || 0;
    if (isTls && port === 0) port = 443;

    // Espruino resolves and connects with blocking calls, then parses the TLS options.
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

    const js = this.realm.objectWithProto(this.socketProto);
    const c: Conn = {
      js,
      transport: undefined,
      sendData: "",
      receiveData: "",
      streamBuf: undefined,
      connected: false,
      close: false,
      closeNow: false,
      ended: false,
      killed: false,
    };
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
    c.transport = new Transport(address, port, setup, {
      realm: this.realm,
      wake: () => this.schedulePass(),
      report: this.opts.report,
    });
    this.schedulePass();
    return js;
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
    const t = c.transport;
    if (t) {
      this.pushReceiveData(c, false);
      if (!closeNow) {
        if (c.sendData.length > 0) {
          const num = this.sendChunk(c, t);
          if (num > 0 && !c.connected) this.markConnected(c, false);
          if (num < 0) {
            closeNow = true;
            error = num;
          }
        } else if (c.close) closeNow = true;
        const got = t.recv(CHUNK);
        if (got === ERR_NO_CONN && !c.connected) {
          // still connecting
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
    return (
      (!!t && (t.hasInbound || (c.sendData.length > 0 && t.canSend()))) ||
      (c.close && c.sendData.length === 0) ||
      (c.receiveData.length > 0 && this.events.has(c.js, "data"))
    );
  }

  /** socketSendData: up to 536 bytes; 'drain' once everything went, unless closing. */
  private sendChunk(c: Conn, t: Transport): number {
    const num = t.send(c.sendData.slice(0, CHUNK));
    if (num > 0) {
      c.sendData = c.sendData.slice(num);
      if (c.sendData.length === 0 && !c.close) this.events.queueEvent(c.js, "drain", [c.js]);
    }
    return num;
  }

  private markConnected(c: Conn, drain: boolean): void {
    c.connected = true;
    this.events.queueEvent(c.js, "connect", [c.js]);
    if (drain) this.events.queueEvent(c.js, "drain", [c.js]);
  }

  /** Closes the connection: 'error' (if any), 'end', then 'close(hadError)'. */
  private closeConn(c: Conn, err: number): boolean {
    this.pushReceiveData(c, true);
    if (c.receiveData.length > 0) return false; // unread data keeps it open, as on Espruino
    let error = err;
    if (c.sendData.length > 0 && error === ERR_CLOSED) error = ERR_UNSENT;
    const t = c.transport;
    if (t) {
      t.close();
      this.closing.add(t);
      void t.whenClosed().then(() => this.closing.delete(t));
    }
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

  /** Socket.prototype: write, end, read, available (Espruino 2v29 has no destroy()). */
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

  /** clientRequestWrite: appends String(data) to the send buffer; throws once closing/closed. */
  private write(c: Conn, data: unknown): void {
    if (c.closeNow || c.close) throw this.realm.error("Error", "This socket is closed");
    if (data !== undefined) {
      let text = asEspruinoString(data);
      if (hasWideChars(text)) {
        if (!this.warnedWide) {
          this.warnedWide = true;
          this.opts.warn(
            "socket.write() got chars above 0xFF: the Linux build sends their UTF-8 bytes, the ESP32 their low byte (sent here)",
          );
        }
        text = lowBytes(text);
      }
      c.sendData += text;
    }
    this.schedulePass();
  }
}

/** url.parse as connect() uses it for a string: "proto://host:port/path". */
function parseUrl(url: string): Record<string, unknown> {
  const m = /^[a-z]+:\/\/([^/:]*)(?::(\d+))?/i.exec(url);
  if (!m) return { host: url.split("/")[0] };
  return { host: m[1], port: m[2] === undefined ? null : Number(m[2]) };
}
