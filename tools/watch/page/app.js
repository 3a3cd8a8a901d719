// The watch page: one EventSource to the watch server; `hello` is the whole state, later events
// are changes. Message shapes are the types in tools/watch/watch.ts (Hello, DeviceEvent, LogLine)
// and tools/watch/devices.ts (DeviceView).
import { DeviceChart } from "./chart.js";
import { DeviceCard, renderConnection, renderLogLine, renderTotals } from "./render.js";

const LOG_SHOWN = 100;
const $ = (id) => document.getElementById(id);

/** id -> { view, card, chart } */
let devices = new Map();
let info = null;
const dirty = new Set();

function reset(hello) {
  info = hello.info;
  for (const d of devices.values()) d.chart.destroy();
  devices = new Map();
  $("devices").replaceChildren();
  $("broker").textContent = info.broker;
  $("prefix").textContent = info.prefix;
  $("log").replaceChildren(...hello.log.slice().reverse().map(renderLogLine));
  renderConnection($("connection"), $("banner"), hello.connection);
  for (const { view, points } of hello.devices) upsert(view, points, true);
  draw();
}

function upsert(view, points, snapshot) {
  let d = devices.get(view.id);
  if (!d) {
    const card = new DeviceCard(view.id);
    insertSorted(card.el, view.id);
    const chart = new DeviceChart(card.chartEl, view.id, info.buckets, snapshot ? points : { t: [], v: [] });
    d = { view, card, chart };
    devices.set(view.id, d);
    if (!snapshot) chart.append(points);
  } else if (!snapshot) d.chart.append(points);
  d.view = view;
  dirty.add(view.id);
}

function insertSorted(el, id) {
  const list = $("devices");
  const after = [...list.children].find((c) => c.dataset.device > id);
  list.insertBefore(el, after ?? null);
}

// Cards are redrawn at most once a frame, however many events came in.
let frame = 0;
function draw() {
  if (frame) return;
  frame = requestAnimationFrame(() => {
    frame = 0;
    for (const id of dirty) {
      const d = devices.get(id);
      if (d) d.card.update(d.view, info);
    }
    dirty.clear();
    $("empty").hidden = devices.size > 0;
    renderTotals(
      $("totals"),
      [...devices.values()].map((d) => d.view),
    );
  });
}

function addLog(line) {
  const log = $("log");
  log.prepend(renderLogLine(line));
  while (log.children.length > LOG_SHOWN) log.lastChild.remove();
}

function connect() {
  const events = new EventSource("/events");
  events.addEventListener("hello", (e) => {
    $("banner").dataset.lost = "";
    reset(JSON.parse(e.data));
  });
  events.addEventListener("device", (e) => {
    const { view, points } = JSON.parse(e.data);
    upsert(view, points, false);
    draw();
  });
  events.addEventListener("connection", (e) => renderConnection($("connection"), $("banner"), JSON.parse(e.data)));
  events.addEventListener("log", (e) => addLog(JSON.parse(e.data)));
  // EventSource retries by itself; say so meanwhile.
  events.onerror = () => {
    const banner = $("banner");
    banner.dataset.lost = "yes";
    banner.hidden = false;
    banner.dataset.level = "error";
    banner.textContent = "Lost the watch server (is “npm run watch” still running?): retrying…";
    const pill = $("connection");
    pill.dataset.state = "disconnected";
    pill.textContent = "no watch server";
  };
}

// "4 s ago" stays true without new events.
setInterval(() => {
  for (const d of devices.values()) d.card.tick(d.view);
}, 1000);

connect();
