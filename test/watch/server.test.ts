/**
 * The watch server without a browser: what reaches /api/state and /events, and that nothing a
 * broker or a publisher does stops it (a refused login, a broker that goes away, bad payloads).
 */
import { readFileSync } from "node:fs";
import type { AddressInfo } from "node:net";
import { createServer as createTlsServer } from "node:tls";
import { Aedes } from "aedes";
import { afterEach, describe, expect, it } from "vitest";
import { makeCa, makeCertificates } from "../support/certificates";
import {
  publisher,
  reading,
  startEmbeddedBroker,
  waitFor,
  watchBroker,
  type EmbeddedBroker,
  type TestWatch,
} from "./helpers";

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function broker(port = 0): Promise<EmbeddedBroker> {
  const b = await startEmbeddedBroker(port);
  cleanups.push(() => b.close());
  return b;
}

async function watch(port: number, url?: string): Promise<TestWatch> {
  const w = await watchBroker(port, url ? { url } : {});
  cleanups.push(() => w.close());
  return w;
}

const connected = (w: TestWatch) =>
  waitFor("the watcher to connect", async () => (await w.state()).connection.state === "connected");

describe("watch server", () => {
  it("keeps serving while the broker refuses its login, and connects once it accepts", async () => {
    const b = await broker();
    let accept = false;
    b.aedes.authenticate = (_client, username, password, done) => {
      const ok = accept && username === "alice" && password?.toString() === "s3cret";
      done(ok ? null : Object.assign(new Error("bad login"), { returnCode: 4 }), ok);
    };
    const w = await watch(b.port, `mqtt://alice:s3cret@127.0.0.1:${b.port}`);
    const refused = await waitFor("a refusal", async () => {
      const c = (await w.state()).connection;
      return c.state === "disconnected" && c.detail.startsWith("refused") && c;
    });
    expect(refused.detail).toBe("refused: bad user name or password (4)");
    expect(refused.broker).toBe(`mqtt://alice:***@127.0.0.1:${b.port}`);
    // Said once on the console, not at every retry.
    await new Promise((r) => setTimeout(r, 600));
    expect(w.lines.filter((l) => l.includes("refused")).length).toBe(1);
    expect(w.lines.join("\n")).not.toContain("s3cret");
    accept = true;
    await connected(w);
  });

  it("reconnects after the broker goes away and comes back", async () => {
    const first = await startEmbeddedBroker();
    const port = first.port;
    const w = await watch(port);
    await connected(w);
    const pub = await publisher(port);
    await pub.publishAsync("sensors/d1/temperature", reading("d1", 1, 20), { qos: 1 });
    await waitFor("seq 1", async () => (await w.state()).devices[0]?.view.audit.received === 1);
    await pub.endAsync(true);
    await first.close();
    await waitFor(
      "the watcher to see the broker gone",
      async () => (await w.state()).connection.state === "disconnected",
    );

    await broker(port);
    await connected(w);
    const again = await publisher(port);
    cleanups.push(() => again.endAsync());
    await again.publishAsync("sensors/d1/temperature", reading("d1", 3, 20.5), { qos: 1 });
    const view = await waitFor("seq 3", async () => {
      const d = (await w.state()).devices[0]?.view;
      return d?.audit.received === 2 && d;
    });
    expect(view.audit.gaps).toMatchObject([{ from: 2, to: 2 }]);
    expect(w.lines.some((l) => l.includes("disconnected"))).toBe(true);
  });

  it("reports bad payloads on the device and keeps going", async () => {
    const b = await broker();
    const w = await watch(b.port);
    await connected(w);
    const pub = await publisher(b.port);
    cleanups.push(() => pub.endAsync());
    const send = (topic: string, payload: string) => pub.publishAsync(topic, payload, { qos: 1 });
    await send("sensors/d2/temperature", "{not json");
    await send("sensors/d2/temperature", JSON.stringify({ device: "d2", seq: "one", temperature: 20 }));
    await send("sensors/d2/temperature", JSON.stringify({ device: "d2", seq: 1, temperature: 20, colour: "blue" }));
    await send("sensors/d2/status", "maybe");
    await send("sensors/d2/diagnostics", "[1,2]");
    await send("sensors/d2/set", "{}");
    await send("sensors/lonely", "x");
    await send("sensors/d2/temperature", reading("d2", 2, 20.1));
    const state = await waitFor("the last reading", async () => {
      const s = await w.state();
      return s.devices[0]?.view.audit.received === 2 && s;
    });
    const problems = state.devices[0].view.problems.map((p) => p.text);
    expect(problems).toEqual([
      'diagnostics not a JSON object: "[1,2]"',
      'status is neither online nor offline: "maybe"',
      'unknown keys colour in "{\\"device\\":\\"d2\\",\\"seq\\":1,\\"temperature\\":20,\\"colour\\":\\"blue\\"}"',
      'reading without a valid seq: "{\\"device\\":\\"d2\\",\\"seq\\":\\"one\\",\\"temperature\\":20}"',
      'not JSON: "{not json"',
    ]);
    expect(state.devices[0].view.otherTopics).toEqual([{ topic: "set", count: 1 }]);
    expect(state.log.map((l) => l.text)).toContain("sensors/lonely: not <prefix>/<device>/<kind>: ignored");
    expect(w.lines.some((l) => l.startsWith("[watch] warn: sensors/d2/temperature: not JSON"))).toBe(true);
  });

  it("streams a snapshot, then each device's changes, as Server-Sent Events", async () => {
    const b = await broker();
    const w = await watch(b.port);
    await connected(w);
    const pub = await publisher(b.port);
    cleanups.push(() => pub.endAsync());
    const controller = new AbortController();
    cleanups.push(async () => controller.abort());
    const res = await fetch(w.address + "events", { signal: controller.signal });
    expect(res.headers.get("content-type")).toMatch(/^text\/event-stream/);
    const reader = res.body!.getReader();
    let text = "";
    const next = async (event: string) =>
      waitFor(`event ${event}`, async () => {
        const m = new RegExp(`event: ${event}\\ndata: (.*)\\n\\n`).exec(text);
        if (m) {
          text = text.slice(m.index + m[0].length);
          return JSON.parse(m[1]);
        }
        const { value } = await reader.read();
        text += new TextDecoder().decode(value);
        return undefined;
      });
    expect((await next("hello")).devices).toEqual([]);
    await pub.publishAsync("sensors/d3/temperature", reading("d3", 1, 22.25, { boot: 1, time: 1_760_000_000 }), {
      qos: 1,
    });
    const event = await next("device");
    expect(event.view).toMatchObject({ id: "d3", last: { seq: 1, temperature: 22.25, boot: 1 } });
    expect(event.points).toEqual([[1_760_000_000, 22.25]]);
  });

  it("connects over mqtts:// with --ca and --cert/--key, and says why a wrong CA fails", async () => {
    const pki = makeCertificates();
    const aedes = await Aedes.createBroker();
    const server = createTlsServer(
      {
        key: readFileSync(pki.serverKey),
        cert: readFileSync(pki.serverCert),
        ca: readFileSync(pki.ca),
        requestCert: true,
        rejectUnauthorized: true,
      },
      aedes.handle,
    );
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    cleanups.push(() => new Promise<void>((resolve) => aedes.close(() => server.close(() => resolve()))));
    const port = (server.address() as AddressInfo).port;
    const url = `mqtts://127.0.0.1:${port}`;
    const good = await watchBroker(port, { url, ca: pki.ca, cert: pki.clientCert, key: pki.clientKey });
    cleanups.push(() => good.close());
    await connected(good);

    const otherCa = makeCa(pki.dir, "other-ca");
    const bad = await watchBroker(port, { url, ca: otherCa, cert: pki.clientCert, key: pki.clientKey });
    cleanups.push(() => bad.close());
    const c = await waitFor("a TLS failure", async () => {
      const s = (await bad.state()).connection;
      return s.state === "disconnected" && s;
    });
    expect(c.detail).toMatch(/certificate/i);
  });

  it("serves the page, uPlot from node_modules, and nothing else", async () => {
    const b = await broker();
    const w = await watch(b.port);
    const get = (path: string) => fetch(w.address + path.replace(/^\//, ""));
    expect((await get("/")).headers.get("content-type")).toMatch(/text\/html/);
    const uplot = await get("/vendor/uPlot.iife.min.js");
    expect(uplot.status).toBe(200);
    expect(await uplot.text()).toContain("uPlot");
    expect((await get("/../package.json")).status).toBe(404);
    expect((await get("/api/nothing")).status).toBe(404);
    expect(w.address).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
  });
});
