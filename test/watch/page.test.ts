/**
 * The watch page in a real browser: Debian's headless Chromium (installed by
 * tools/setup-test-deps.sh) driven by playwright-core, against an embedded broker that a scripted
 * publisher feeds with a gap, a duplicate, a late reading, a bad payload and an `offline`.
 * Some messages go out before the page opens (its snapshot), the rest while it is open (live).
 */
import { existsSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { MqttClient } from "mqtt";
import { chromium, type BrowserContext, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  publisher,
  reading,
  startEmbeddedBroker,
  waitFor,
  watchBroker,
  type EmbeddedBroker,
  type TestWatch,
} from "./helpers";

const CHROMIUM = "/usr/bin/chromium";
const dir = mkdtempSync(join(tmpdir(), "watch-page-"));
let broker: EmbeddedBroker;
let watch: TestWatch;
let pub: MqttClient;
let context: BrowserContext;
let page: Page;

const now = () => Math.floor(Date.now() / 1000);
/** Waits for the page to catch up; generous, since CI machines are shared. */
const poll = <T>(read: () => Promise<T>) => expect.poll(read, { timeout: 10_000 });
const stat = (device: string, name: string) => page.locator(`[data-device="${device}"] [data-stat="${name}"] .n`);

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: run bash tools/setup-test-deps.sh (as root)`);
  broker = await startEmbeddedBroker();
  watch = await watchBroker(broker.port);
  pub = await publisher(broker.port);

  // Before the page opens: bench-1 (current firmware, boot and time) and bench-2 (older firmware).
  await pub.publishAsync("sensors/bench-1/status", "online", { qos: 1, retain: true });
  await pub.publishAsync(
    "sensors/bench-1/diagnostics",
    JSON.stringify({ firmware: "0.3.0", boot: 2, freeJsVars: 1180, resetReason: "power on" }),
    { qos: 1, retain: true },
  );
  // Readings taken a second apart, so all but seq 7 arrive well within --late (30 s).
  const t0 = now() - 8;
  for (const seq of [1, 2, 3])
    await pub.publishAsync(
      "sensors/bench-1/temperature",
      reading("bench-1", seq, 21 + seq / 10, { boot: 2, time: t0 + seq }),
      { qos: 1 },
    );
  await pub.publishAsync("sensors/bench-2/status", "online", { qos: 1, retain: true });
  for (const seq of [1, 2])
    await pub.publishAsync("sensors/bench-2/temperature", reading("bench-2", seq, 19.5), { qos: 1 });
  await waitFor("the watcher to have both devices", async () => (await watch.state()).devices.length === 2);

  context = await chromium.launchPersistentContext(join(dir, "profile"), {
    executablePath: CHROMIUM,
    headless: true,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
    viewport: { width: 1280, height: 1000 },
  });
  page = context.pages()[0] ?? (await context.newPage());
  const errors: string[] = [];
  page.on("pageerror", (e) => errors.push(e.message));
  await page.goto(watch.address);
  await page.locator('[data-device="bench-1"]').waitFor();
  expect(errors).toEqual([]);

  // While the page is open: seq 4 never sent (a gap), 5 twice (a duplicate), 6 on time, 7 ten
  // minutes late, a payload that is not JSON, and bench-2 going offline.
  await pub.publishAsync("sensors/bench-1/temperature", reading("bench-1", 5, 21.5, { boot: 2, time: t0 + 5 }), {
    qos: 1,
  });
  await pub.publishAsync("sensors/bench-1/temperature", reading("bench-1", 5, 21.5, { boot: 2, time: t0 + 5 }), {
    qos: 1,
  });
  await pub.publishAsync("sensors/bench-1/temperature", reading("bench-1", 6, 21.4, { boot: 2, time: t0 + 6 }), {
    qos: 1,
  });
  await pub.publishAsync("sensors/bench-1/temperature", reading("bench-1", 7, 21.3, { boot: 2, time: now() - 600 }), {
    qos: 1,
  });
  await pub.publishAsync("sensors/bench-1/temperature", "21.7 degrees", { qos: 1 });
  await pub.publishAsync("sensors/bench-2/temperature", reading("bench-2", 3, 19.6), { qos: 1 });
  await pub.publishAsync("sensors/bench-2/status", "offline", { qos: 1, retain: true });
  expect(errors).toEqual([]);
});

afterAll(async () => {
  await context?.close();
  await pub?.endAsync();
  await watch?.close();
  await broker?.close();
});

describe("watch page in Chromium", () => {
  it("lists every device with its delivery counts", async () => {
    await poll(() => stat("bench-1", "received").textContent()).toBe("6");
    expect(await stat("bench-1", "missing").textContent()).toBe("1");
    expect(await stat("bench-1", "duplicates").textContent()).toBe("1");
    expect(await stat("bench-1", "late").textContent()).toBe("1");
    expect(await stat("bench-1", "outOfOrder").textContent()).toBe("0");
    await poll(() => stat("bench-2", "received").textContent()).toBe("3");
    expect(await stat("bench-2", "missing").textContent()).toBe("0");
    expect(
      await page.locator("[data-device]").evaluateAll((els) => els.map((e) => e.getAttribute("data-device"))),
    ).toEqual(["bench-1", "bench-2"]);
  });

  it("shows the gap as a range, the duplicate and the late reading", async () => {
    const gap = page.locator('[data-device="bench-1"] [data-finding="gaps"] li');
    await poll(() => gap.count()).toBe(1);
    expect(await gap.getAttribute("data-from")).toBe("4");
    expect(await gap.getAttribute("data-to")).toBe("4");
    expect(await gap.textContent()).toContain("boot 2");
    expect(await page.locator('[data-device="bench-1"] [data-finding="duplicates"] li').textContent()).toContain(
      "seq 5",
    );
    expect(await page.locator('[data-device="bench-1"] [data-finding="late"] li').textContent()).toMatch(
      /seq 7 .*10 min late/,
    );
  });

  it("shows status, its history and diagnostics", async () => {
    await poll(() => page.locator('[data-device="bench-2"] .head .status').textContent()).toBe("offline");
    const history = await page.locator('[data-device="bench-2"] .history li').allTextContents();
    expect(history[0]).toMatch(/^offline/);
    expect(history[1]).toMatch(/^online/);
    expect(await page.locator('[data-device="bench-1"] .head .status').textContent()).toBe("online");
    expect(await page.locator('[data-device="bench-1"] .kv').textContent()).toContain("resetReasonpower on");
  });

  it("says what was wrong with a bad payload, on the card and in the activity log", async () => {
    await poll(() => page.locator('[data-device="bench-1"] .problems').textContent()).toContain(
      'not JSON: "21.7 degrees"',
    );
    expect(await page.locator("#log").textContent()).toContain("sensors/bench-1/temperature: not JSON");
    expect(watch.lines.some((l) => l.includes("not JSON"))).toBe(true);
  });

  it("zooms the chart on a drag and goes back to live on a double-click", async () => {
    const chart = page.locator('[data-device="bench-1"] .chart');
    const box = (await chart.locator(".u-over").boundingBox())!;
    await page.mouse.move(box.x + box.width * 0.6, box.y + box.height / 2);
    await page.mouse.down();
    await page.mouse.move(box.x + box.width * 0.95, box.y + box.height / 2, { steps: 5 });
    await page.mouse.up();
    await poll(() => chart.getAttribute("data-zoomed")).toBe("yes");
    await chart.locator(".u-over").dblclick();
    await poll(() => chart.getAttribute("data-zoomed")).toBe(null);
  });

  it("draws a chart per device and the broker as connected", async () => {
    expect(await page.locator('[data-device="bench-1"] .chart canvas').count()).toBe(1);
    expect(await page.locator("#connection").getAttribute("data-state")).toBe("connected");
    expect(await page.locator("#totals").textContent()).toContain("2 devices");
    const file = join(dir, "watch.png");
    await page.screenshot({ path: file, fullPage: true });
    expect(existsSync(file)).toBe(true);
    console.log(`[watch test] screenshot: ${file}`);
  });
});
