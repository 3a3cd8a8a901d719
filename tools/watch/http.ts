/**
 * The watch page's HTTP side on 127.0.0.1: its static files, uPlot from node_modules (no CDN), the
 * event stream and a JSON endpoint for a zoomed chart. Only listed files are served.
 */
import { readFile } from "node:fs/promises";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";

export interface Routes {
  /** GET /events: the page's Server-Sent Events. */
  events(req: IncomingMessage, res: ServerResponse): void;
  /** GET /api/<name>: JSON, or undefined for 404. */
  api(name: string, query: URLSearchParams): unknown;
}

const PAGE_DIR = join(dirname(new URL(import.meta.url).pathname), "page");
const UPLOT_DIR = join(dirname(createRequire(import.meta.url).resolve("uplot/package.json")), "dist");

const FILES: Record<string, [file: string, type: string]> = {
  "/": [join(PAGE_DIR, "index.html"), "text/html; charset=utf-8"],
  "/app.js": [join(PAGE_DIR, "app.js"), "text/javascript; charset=utf-8"],
  "/render.js": [join(PAGE_DIR, "render.js"), "text/javascript; charset=utf-8"],
  "/chart.js": [join(PAGE_DIR, "chart.js"), "text/javascript; charset=utf-8"],
  "/style.css": [join(PAGE_DIR, "style.css"), "text/css; charset=utf-8"],
  "/vendor/uPlot.iife.min.js": [join(UPLOT_DIR, "uPlot.iife.min.js"), "text/javascript; charset=utf-8"],
  "/vendor/uPlot.min.css": [join(UPLOT_DIR, "uPlot.min.css"), "text/css; charset=utf-8"],
};

export function createWatchServer(routes: Routes, onError: (text: string) => void): Server {
  return createServer((req, res) => {
    handle(routes, req, res).catch((e) => {
      onError(`page request ${req.url} failed: ${(e as Error).message}`);
      if (!res.headersSent) send(res, 500, "text/plain; charset=utf-8", "internal error");
      else res.end();
    });
  });
}

async function handle(routes: Routes, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = new URL(req.url ?? "/", "http://127.0.0.1");
  if (req.method !== "GET" && req.method !== "HEAD") return send(res, 405, "text/plain; charset=utf-8", "GET only");
  if (url.pathname === "/events") return routes.events(req, res);
  if (url.pathname.startsWith("/api/")) {
    const body = routes.api(url.pathname.slice(5), url.searchParams);
    if (body === undefined) return send(res, 404, "application/json", '{"error":"not found"}');
    return send(res, 200, "application/json", JSON.stringify(body));
  }
  const file = FILES[url.pathname];
  if (!file) return send(res, 404, "text/plain; charset=utf-8", "not found");
  send(res, 200, file[1], await readFile(file[0]));
}

function send(res: ServerResponse, status: number, type: string, body: string | Buffer): void {
  res.writeHead(status, { "content-type": type, "cache-control": "no-store", "x-content-type-options": "nosniff" });
  res.end(body);
}
