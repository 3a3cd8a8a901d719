// One device's temperature chart (uPlot). Live points are appended; when they pile up, the
// server's downsampled overview replaces them (so the page holds a few thousand points at most). Drag to zoom (the server sends that range at full
// detail), double-click to go back to the live overview.
/* global uPlot */

const HEIGHT = 170;
const PALETTE = ["#2563eb", "#db2777", "#059669", "#d97706", "#7c3aed", "#0891b2", "#dc2626", "#65a30d"];

function colour(id) {
  let h = 0;
  for (const c of id) h = (h * 31 + c.charCodeAt(0)) >>> 0;
  return PALETTE[h % PALETTE.length];
}

async function fetchPoints(device, buckets, from, to) {
  const q = new URLSearchParams({ device, buckets: String(buckets) });
  if (from !== undefined) q.set("from", String(from));
  if (to !== undefined) q.set("to", String(to));
  const res = await fetch("/api/points?" + q);
  if (!res.ok) throw new Error(`points for ${device}: HTTP ${res.status}`);
  return res.json();
}

/** Copies, since the chart inserts into them. */
const raw = (points) => ({ t: points.t.slice(), v: points.v.slice() });

/** [t, v] with a null wherever readings stopped for 5 typical intervals (at least a minute). */
function withBreaks(t, v) {
  const steps = [];
  for (let i = Math.max(1, t.length - 50); i < t.length; i++) steps.push(t[i] - t[i - 1]);
  steps.sort((a, b) => a - b);
  const silence = Math.max(60, 5 * (steps[steps.length >> 1] ?? 0));
  const xs = [];
  const ys = [];
  for (let i = 0; i < t.length; i++) {
    if (i && t[i] - t[i - 1] > silence) {
      xs.push((t[i] + t[i - 1]) / 2);
      ys.push(null);
    }
    xs.push(t[i]);
    ys.push(v[i]);
  }
  return [xs, ys];
}

const pad = (n) => String(n).padStart(2, "0");

/** Time ticks in 24-hour local time; a day's first tick also says which day. */
function timeTicks(u, splits) {
  const span = (u.scales.x.max ?? 0) - (u.scales.x.min ?? 0);
  let lastDay = "";
  return splits.map((s) => {
    const d = new Date(s * 1000);
    const day = d.toLocaleDateString(undefined, { month: "short", day: "numeric" });
    const hm = `${pad(d.getHours())}:${pad(d.getMinutes())}`;
    const text = span < 300 ? `${hm}:${pad(d.getSeconds())}` : hm;
    const newDay = span >= 86400 && day !== lastDay;
    lastDay = day;
    return newDay ? `${day}\n${text}` : text;
  });
}

/** At least a minute of time, at least 1 degree of temperature: noise stays small. */
function atLeast(span) {
  return (u, min, max) => {
    if (min === null || max === null) return [0, span];
    if (max - min >= span) {
      const pad = (max - min) * 0.05;
      return [min - pad, max + pad];
    }
    const mid = (min + max) / 2;
    return [mid - span / 2, mid + span / 2];
  };
}

export class DeviceChart {
  constructor(el, device, buckets, points) {
    this.el = el;
    this.device = device;
    this.buckets = buckets;
    this.zoomed = false;
    ({ t: this.t, v: this.v } = raw(points));
    const stroke = colour(device);
    const axis = { stroke: "#6b7280", grid: { stroke: "#eceef1" }, ticks: { stroke: "#eceef1" } };
    this.plot = new uPlot(
      {
        width: Math.max(200, el.clientWidth),
        height: HEIGHT,
        cursor: { drag: { x: true, y: false, setScale: false } },
        // A small readout over the chart instead of uPlot's legend row.
        legend: { show: false },
        scales: {
          x: { time: true, range: (u, min, max) => (min === null || max - min >= 60 ? [min, max] : [max - 60, max]) },
          y: { range: atLeast(1) },
        },
        axes: [
          { ...axis, values: timeTicks },
          { ...axis, size: 52, values: (u, vals) => vals.map((v) => +v.toFixed(2) + "°") },
        ],
        series: [{ label: "time" }, { label: "°C", stroke, width: 2, fill: stroke + "14", spanGaps: false }],
        hooks: { setSelect: [(u) => this.onSelect(u)], setCursor: [(u) => this.readout(u)] },
      },
      withBreaks(this.t, this.v),
      el,
    );
    this.plot.over.addEventListener("dblclick", () => this.overview());
    this.readoutEl = document.createElement("div");
    this.readoutEl.className = "readout";
    this.readoutEl.hidden = true;
    el.append(this.readoutEl);
    this.resize = new ResizeObserver(() => this.plot.setSize({ width: Math.max(200, el.clientWidth), height: HEIGHT }));
    this.resize.observe(el);
  }

  /** New readings, [t, v] pairs. */
  append(points) {
    if (!points.length) return;
    for (const [t, v] of points) this.insert(t, v);
    if (this.zoomed) return;
    this.plot.setData(withBreaks(this.t, this.v));
    if (this.t.length > 6 * this.buckets && !this.fetching) this.overview();
  }

  insert(t, v) {
    // Almost always at the end; a late reading (its own time earlier) goes in its place.
    let i = this.t.length;
    while (i > 0 && this.t[i - 1] > t) i--;
    this.t.splice(i, 0, t);
    this.v.splice(i, 0, v);
  }

  readout(u) {
    const i = u.cursor.idx;
    const v = i == null ? null : u.data[1][i];
    this.readoutEl.hidden = v == null;
    if (v == null) return;
    const d = new Date(u.data[0][i] * 1000);
    const date = d.toLocaleDateString(undefined, { month: "short", day: "numeric" });
    this.readoutEl.textContent = `${date} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}  ${v.toFixed(2)} °C`;
  }

  async onSelect(u) {
    if (u.select.width < 5) return;
    const from = u.posToVal(u.select.left, "x");
    const to = u.posToVal(u.select.left + u.select.width, "x");
    u.setSelect({ left: 0, top: 0, width: 0, height: 0 }, false);
    try {
      const detail = raw(await fetchPoints(this.device, 2000, from, to));
      this.zoomed = true;
      this.el.dataset.zoomed = "yes";
      this.plot.setData(withBreaks(detail.t, detail.v), false);
      this.plot.setScale("x", { min: from, max: to });
    } catch (e) {
      console.error(e);
    }
  }

  /** Back to (or a fresh copy of) the live overview. */
  async overview() {
    this.fetching = true;
    try {
      ({ t: this.t, v: this.v } = raw(await fetchPoints(this.device, this.buckets)));
      this.zoomed = false;
      delete this.el.dataset.zoomed;
      this.plot.setData(withBreaks(this.t, this.v));
    } catch (e) {
      console.error(e);
    } finally {
      this.fetching = false;
    }
  }

  destroy() {
    this.resize.disconnect();
    this.plot.destroy();
  }
}
