// Helpers for the host-runtime tests: a loopback TCP server that records what it gets, and a
// runtime wrapper that collects console lines and waits for them.
import net from "node:net";
import { startBundle, type HostRuntime, type HostRuntimeOptions } from "../../tools/host-runtime/index";

export interface TestServer {
  port: number;
  /** Every accepted connection, in order (the connect probe adds an empty one before each). */
  sockets: net.Socket[];
  /** Bytes received, per connection. */
  received: Buffer[];
  /** Bytes received on the newest connection (the probe's comes first and stays empty). */
  lastReceived(): string;
  close(): Promise<void>;
}

/** A server on 127.0.0.1; `onData` may answer (echo, scripted replies). */
export async function startServer(onData?: (socket: net.Socket, data: Buffer) => void): Promise<TestServer> {
  const sockets: net.Socket[] = [];
  const received: Buffer[] = [];
  const server = net.createServer((s) => {
    const i = sockets.push(s) - 1;
    received[i] = Buffer.alloc(0);
    s.on("data", (d) => {
      received[i] = Buffer.concat([received[i]!, d]);
      onData?.(s, d);
    });
    s.on("error", () => {});
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const port = (server.address() as net.AddressInfo).port;
  return {
    port,
    sockets,
    received,
    lastReceived: () => (received[received.length - 1] ?? Buffer.alloc(0)).toString("latin1"),
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}

export interface TestRuntime {
  rt: HostRuntime;
  lines: string[];
  /** Resolves with the first console line matching, waiting up to `ms`. */
  line(match: RegExp | string, ms?: number): Promise<string>;
}

/** Runs bundle `code` with console lines collected in memory. */
export function run(code: string, opts: Omit<HostRuntimeOptions, "code" | "console"> = {}): TestRuntime {
  const lines: string[] = [];
  const rt = startBundle({ ...opts, code, console: (l) => lines.push(l) });
  return {
    rt,
    lines,
    line: (match, ms = 5000) =>
      waitFor(() => lines.find((l) => (typeof match === "string" ? l === match : match.test(l))), ms).catch(() => {
        throw new Error(`no console line ${String(match)}; got:\n${lines.join("\n")}`);
      }),
  };
}

/** Polls `probe` until it returns a value (not undefined/false). */
export async function waitFor<T>(probe: () => T | undefined | false, ms = 5000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = probe();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error("waitFor: timed out");
    await new Promise((r) => setTimeout(r, 5));
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
