// Drawing the page from the server's views: one card per device, the connection pill, totals, the
// activity log. Text only goes in through textContent, so a device id cannot inject markup.

/** h("div", {class: "x"}, child, "text") */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k === "class") el.className = v;
    else if (k === "text") el.textContent = v;
    else el.setAttribute(k, v === true ? "" : String(v));
  }
  for (const c of children) if (c !== null && c !== undefined) el.append(c);
  return el;
}

const pad = (n) => String(n).padStart(2, "0");

/** Unix ms as local time, with the date when not today. */
export function clock(ms) {
  const d = new Date(ms);
  const time = `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
  const today = new Date();
  if (d.toDateString() === today.toDateString()) return time;
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${time}`;
}

export function duration(s) {
  s = Math.max(0, Math.round(s));
  if (s < 90) return `${s} s`;
  if (s < 5400) return `${Math.round(s / 60)} min`;
  if (s < 172800) return `${Math.floor(s / 3600)} h ${Math.round((s % 3600) / 60)} min`;
  return `${Math.floor(s / 86400)} d ${Math.round((s % 86400) / 3600)} h`;
}

const ago = (ms) => duration((Date.now() - ms) / 1000) + " ago";
const seqRange = (g) => (g.from === g.to ? String(g.from) : `${g.from}–${g.to}`);
const bootSpan = (g) =>
  g.afterBoot === null
    ? `start of boot ${g.beforeBoot}`
    : g.afterBoot === g.beforeBoot
      ? `boot ${g.beforeBoot}`
      : `boot ${g.afterBoot} → ${g.beforeBoot}`;

const STATS = [
  ["received", "received", false],
  ["missing", "missing", true],
  ["duplicates", "duplicates", true],
  ["outOfOrder", "out of order", true],
  ["late", "late", true],
];

export class DeviceCard {
  constructor(id) {
    this.id = id;
    this.chartEl = h("div", { class: "chart" });
    this.statusEl = h("span", { class: "status", "data-status": "unknown", text: "no status" });
    this.sinceEl = h("span", { class: "since muted" });
    this.tempEl = h("span", { class: "temp", text: "–" });
    this.metaEl = h("div", { class: "meta muted" });
    this.statEls = {};
    const stats = h("div", { class: "stats" });
    for (const [key, label] of STATS) {
      const n = h("b", { class: "n", text: "0" });
      this.statEls[key] = h("div", { class: "stat", "data-stat": key }, n, h("span", { text: label }));
      stats.append(this.statEls[key]);
    }
    this.findingsEl = h("div", { class: "findings" });
    this.panelsEl = h("div", { class: "panels" });
    this.problemsEl = h("ul", { class: "problems" });
    this.el = h(
      "article",
      { class: "device", "data-device": id },
      h(
        "div",
        { class: "head" },
        h("h2", { class: "id", text: id }),
        this.statusEl,
        this.sinceEl,
        h("div", { class: "now" }, this.tempEl, h("span", { class: "unit", text: "°C" })),
      ),
      this.metaEl,
      this.chartEl,
      stats,
      this.findingsEl,
      this.panelsEl,
      this.problemsEl,
    );
  }

  update(view, info) {
    const a = view.audit;
    const status = view.status;
    this.statusEl.dataset.status = status ? status.status : "unknown";
    this.statusEl.textContent = status ? status.status : "no status";
    this.sinceEl.textContent = status
      ? status.retained
        ? `as of ${clock(status.at)} (retained)`
        : `since ${clock(status.at)}`
      : "";
    this.tempEl.textContent = view.last ? view.last.temperature.toFixed(2) : "–";
    for (const [key] of STATS) {
      const el = this.statEls[key];
      el.querySelector(".n").textContent = String(a[key]);
      el.dataset.bad = key !== "received" && a[key] > 0 ? "yes" : "";
    }
    this.statEls.late.title =
      `arrived more than ${a.lateAfterS} s after the reading's time` +
      (a.undated ? `; ${a.undated} without time, not judged` : "");
    this.renderFindings(a);
    this.renderPanels(view, info);
    this.problemsEl.replaceChildren(
      ...view.problems.slice(0, 5).map((p) => h("li", {}, h("time", { text: clock(p.at) }), ` ${p.text}`)),
    );
    this.tick(view);
  }

  /** What changes with the clock alone. */
  tick(view) {
    const l = view.last;
    const parts = [];
    if (l) {
      parts.push(`seq ${l.seq}`, `boot ${l.boot}`);
      if (l.uptime !== undefined) parts.push(`up ${duration(l.uptime)}`);
      parts.push(`last reading ${ago(l.arrival)}`);
      if (l.time === undefined) parts.push("no time in payload: plotted at arrival");
    } else parts.push(`seen ${ago(view.lastSeen)}, no reading yet`);
    this.metaEl.textContent = parts.join(" · ");
  }

  renderFindings(a) {
    const lists = [];
    if (a.gapCount) {
      const more = a.gapCount > a.gaps.length ? ` (newest ${a.gaps.length} of ${a.gapCount} gaps)` : "";
      lists.push(
        finding(
          "gaps",
          `Missing seqs${more}`,
          a.gaps.map((g) =>
            h(
              "li",
              { "data-from": g.from, "data-to": g.to },
              h("b", { text: seqRange(g) }),
              h("span", { class: "muted", text: `${g.count > 1 ? ` · ${g.count} readings` : ""} · ${bootSpan(g)}` }),
            ),
          ),
        ),
      );
    }
    const notes = (list, what) =>
      list.map((n) =>
        h(
          "li",
          { "data-seq": n.seq },
          h("b", { text: `seq ${n.seq}` }),
          h("span", { class: "muted", text: ` · boot ${n.boot} · ${what(n)}` }),
        ),
      );
    if (a.duplicatesList.length)
      lists.push(
        finding(
          "duplicates",
          "Duplicates",
          notes(a.duplicatesList, (n) => clock(n.arrival * 1000)),
        ),
      );
    if (a.outOfOrderList.length)
      lists.push(
        finding(
          "out-of-order",
          "Out of order",
          notes(a.outOfOrderList, (n) => clock(n.arrival * 1000)),
        ),
      );
    if (a.lateList.length)
      lists.push(
        finding(
          "late",
          "Late",
          notes(a.lateList, (n) => `${duration(n.delay)} late`),
        ),
      );
    if (!lists.length && a.received)
      lists.push(h("p", { class: "ok", text: "Every reading since the first one seen arrived, once, in order." }));
    this.findingsEl.replaceChildren(...lists);
  }

  renderPanels(view, info) {
    const panels = [];
    if (view.statusHistory.length) {
      panels.push(
        panel(
          "Status history",
          h(
            "ul",
            { class: "history" },
            ...view.statusHistory
              .slice(0, 6)
              .map((s) =>
                h(
                  "li",
                  {},
                  h("span", { class: "status small", "data-status": s.status, text: s.status }),
                  h("span", { class: "muted", text: ` ${clock(s.at)}${s.retained ? " (retained)" : ""}` }),
                ),
              ),
          ),
        ),
      );
    }
    if (view.diagnostics) {
      const rows = Object.entries(view.diagnostics.values).map(([k, v]) =>
        h("tr", {}, h("th", { text: k }), h("td", { text: typeof v === "string" ? v : JSON.stringify(v) })),
      );
      panels.push(panel(`Diagnostics, ${clock(view.diagnostics.at)}`, h("table", { class: "kv" }, ...rows)));
    }
    const boots = view.audit.boots;
    if (boots.length > 1 || (boots.length && boots[0].boot !== 0)) {
      const head = h("tr", {}, ...["boot", "seqs", "recv", "miss", "dup", "late"].map((t) => h("th", { text: t })));
      const rows = boots
        .slice(0, 6)
        .map((b) =>
          h(
            "tr",
            {},
            ...[b.boot, `${b.firstSeq}–${b.lastSeq}`, b.received, b.missing, b.duplicates, b.late].map((t) =>
              h("td", { text: String(t) }),
            ),
          ),
        );
      panels.push(
        panel(
          view.audit.runs > 1 ? `Boots (seq restarted ${view.audit.runs - 1}×)` : "Boots",
          h("table", { class: "boots" }, head, ...rows),
        ),
      );
    }
    if (view.otherTopics.length) {
      panels.push(
        panel(
          "Other topics",
          h("ul", { class: "history" }, ...view.otherTopics.map((o) => h("li", { text: `${o.topic} (${o.count})` }))),
        ),
      );
    }
    const kept =
      view.stored >= view.history ? `chart: last ${view.history} readings (--history)` : `${view.stored} readings kept`;
    panels.push(
      h("p", {
        class: "muted small-print",
        text: `${kept} · late after ${duration(info.lateAfterS)} · drag on the chart to zoom`,
      }),
    );
    this.panelsEl.replaceChildren(...panels);
  }
}

function finding(kind, title, items) {
  return h("div", { class: "finding", "data-finding": kind }, h("h3", { text: title }), h("ul", {}, ...items));
}

function panel(title, body) {
  return h("div", { class: "panel" }, h("h3", { text: title }), body);
}

export function renderConnection(pill, banner, c) {
  pill.dataset.state = c.state;
  pill.textContent =
    c.state === "connected" ? "broker connected" : c.state === "connecting" ? "connecting…" : "broker disconnected";
  pill.title = `${c.broker}: ${c.detail} (since ${clock(c.since)})`;
  if (banner.dataset.lost === "yes") return;
  banner.hidden = c.state === "connected";
  banner.dataset.level = c.state === "disconnected" ? "error" : "info";
  banner.textContent =
    c.state === "disconnected"
      ? `Broker ${c.broker}: ${c.detail}. Retrying; the page keeps what it has.`
      : `Connecting to ${c.broker}…`;
}

export function renderTotals(el, views) {
  const online = views.filter((v) => v.status?.status === "online").length;
  const sum = (key) => views.reduce((n, v) => n + v.audit[key], 0);
  el.replaceChildren(
    h("span", { text: `${views.length} device${views.length === 1 ? "" : "s"}` }),
    h("span", { text: `${online} online` }),
    h("span", { text: `${sum("received")} received` }),
    h("span", { "data-bad": sum("missing") ? "yes" : "", text: `${sum("missing")} missing` }),
    h("span", { "data-bad": sum("duplicates") ? "yes" : "", text: `${sum("duplicates")} duplicates` }),
  );
}

export function renderLogLine(line) {
  return h("li", { "data-level": line.level }, h("time", { text: clock(line.at) }), h("span", { text: line.text }));
}
