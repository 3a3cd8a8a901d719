/**
 * Server-Sent Events to every open page. A page that stops reading (a sleeping laptop) is dropped
 * rather than buffered without bound; its EventSource reconnects and gets a fresh snapshot.
 */
import type { IncomingMessage, ServerResponse } from "node:http";

const MAX_BUFFERED = 4 * 1024 * 1024;
const HEARTBEAT_MS = 15_000;

export class EventHub {
  private clients = new Set<ServerResponse>();
  private heartbeat = setInterval(() => this.writeAll(": heartbeat\n\n"), HEARTBEAT_MS);

  constructor() {
    this.heartbeat.unref();
  }

  get size(): number {
    return this.clients.size;
  }

  /** Opens the stream and sends `hello` (the snapshot) to this page only. */
  open(req: IncomingMessage, res: ServerResponse, hello: unknown): void {
    res.writeHead(200, {
      "content-type": "text/event-stream; charset=utf-8",
      "cache-control": "no-store",
      connection: "keep-alive",
    });
    res.write("retry: 2000\n\n");
    res.write(frame("hello", hello));
    this.clients.add(res);
    req.on("close", () => this.clients.delete(res));
  }

  send(event: string, data: unknown): void {
    if (this.clients.size) this.writeAll(frame(event, data));
  }

  close(): void {
    clearInterval(this.heartbeat);
    for (const res of this.clients) res.end();
    this.clients.clear();
  }

  private writeAll(text: string): void {
    for (const res of this.clients) {
      if (res.writableLength > MAX_BUFFERED) {
        this.clients.delete(res);
        res.destroy();
      } else res.write(text);
    }
  }
}

function frame(event: string, data: unknown): string {
  // JSON has no raw newlines, so one data: line is enough.
  return `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
}
