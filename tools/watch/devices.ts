/**
 * Everything known of each device under `<prefix>/<id>/...`, built from messages as they arrive:
 * readings (chart series and audit), the retained status and its history, diagnostics, problems.
 * Pure apart from what it is given: the caller passes the arrival time.
 */
import { DeliveryAudit, type AuditResult, type AuditSummary } from "./audit";
import { parseDiagnostics, parseReading, parseStatus, type Reading, type Status } from "./payload";
import { Series, type Points } from "./series";

export interface StoreOptions {
  prefix: string;
  /** Readings kept per device for the chart. */
  history: number;
  lateAfterS: number;
}

export interface StatusChange {
  status: Status;
  /** Arrival, Unix ms. */
  at: number;
  /** Retained: the state when the watcher subscribed, not the moment it changed. */
  retained: boolean;
}

export interface Problem {
  at: number;
  topic: string;
  text: string;
}

export interface LastReading extends Reading {
  arrival: number;
  verdict: AuditResult["verdict"];
  late: boolean;
}

/** A device as the page shows it (without the chart's points). */
export interface DeviceView {
  id: string;
  firstSeen: number;
  lastSeen: number;
  last?: LastReading;
  status?: StatusChange;
  statusHistory: StatusChange[];
  diagnostics?: { values: Record<string, unknown>; at: number; retained: boolean };
  audit: AuditSummary;
  problems: Problem[];
  otherTopics: { topic: string; count: number }[];
  stored: number;
  history: number;
}

/** What one message did, for the console and the page. */
export interface Change {
  device?: string;
  /** A new chart point (time, temperature). */
  point?: [number, number];
  problem?: Problem;
  /** A line worth printing (status change, gap, duplicate...). */
  note?: string;
}

const LISTED = 20;

interface Device {
  view: Omit<DeviceView, "audit" | "stored" | "otherTopics">;
  audit: DeliveryAudit;
  series: Series;
  otherTopics: Map<string, number>;
}

export class DeviceStore {
  private devices = new Map<string, Device>();
  /** Problems not tied to one device (a topic with no device level). */
  readonly problems: Problem[] = [];

  constructor(private readonly options: StoreOptions) {}

  get size(): number {
    return this.devices.size;
  }

  has(id: string): boolean {
    return this.devices.has(id);
  }

  ids(): string[] {
    return [...this.devices.keys()].sort();
  }

  view(id: string): DeviceView | undefined {
    const d = this.devices.get(id);
    if (!d) return undefined;
    const otherTopics = [...d.otherTopics].map(([topic, count]) => ({ topic, count }));
    return { ...d.view, audit: d.audit.summary(), stored: d.series.size, otherTopics };
  }

  points(id: string, buckets: number, from?: number, to?: number): Points | undefined {
    return this.devices.get(id)?.series.points(buckets, from, to);
  }

  /** One message: `arrival` is Unix ms. */
  message(topic: string, payload: string, retained: boolean, arrival: number): Change {
    const head = this.options.prefix + "/";
    const rest = topic.startsWith(head) ? topic.slice(head.length) : "";
    const slash = rest.indexOf("/");
    if (slash <= 0)
      return { problem: this.globalProblem({ at: arrival, topic, text: `not <prefix>/<device>/<kind>: ignored` }) };
    const id = rest.slice(0, slash);
    const kind = rest.slice(slash + 1);
    const d = this.device(id, arrival);
    d.view.lastSeen = arrival;
    if (kind === "temperature") return this.reading(d, topic, payload, arrival);
    if (kind === "status") return this.status(d, topic, payload, retained, arrival);
    if (kind === "diagnostics") return this.diagnostics(d, topic, payload, retained, arrival);
    d.otherTopics.set(kind, (d.otherTopics.get(kind) ?? 0) + 1);
    if (d.otherTopics.size > LISTED) d.otherTopics.delete(d.otherTopics.keys().next().value as string);
    return { device: id };
  }

  private reading(d: Device, topic: string, payload: string, arrival: number): Change {
    const id = d.view.id;
    const parsed = parseReading(id, payload);
    if (!parsed.ok) return { device: id, problem: this.problem(d, { at: arrival, topic, text: parsed.error }) };
    const r = parsed.value;
    const result = d.audit.add({ seq: r.seq, boot: r.boot, time: r.time, arrival: arrival / 1000 });
    const t = r.time ?? arrival / 1000;
    d.series.add(t, r.temperature);
    d.view.last = { ...r, arrival, verdict: result.verdict, late: result.late };
    const change: Change = { device: id, point: [t, r.temperature] };
    if (parsed.warnings.length)
      change.problem = this.problem(d, { at: arrival, topic, text: parsed.warnings.join("; ") });
    const where = `seq ${r.seq} (boot ${r.boot})`;
    if (result.verdict === "duplicate") change.note = `${id}: duplicate ${where}`;
    else if (result.verdict === "out-of-order") change.note = `${id}: out of order ${where}`;
    else if (result.newRun && d.audit.summary().runs > 1)
      change.note = `${id}: seq numbering started again at ${where}`;
    if (result.late)
      change.note = (change.note ? change.note + ", " : `${id}: `) + `late by ${Math.round(result.delay!)} s ${where}`;
    return change;
  }

  private status(d: Device, topic: string, payload: string, retained: boolean, arrival: number): Change {
    const id = d.view.id;
    const parsed = parseStatus(payload);
    if (!parsed.ok) return { device: id, problem: this.problem(d, { at: arrival, topic, text: parsed.error }) };
    const previous = d.view.status;
    // A reconnect of the watcher brings the retained status again: not a change.
    if (retained && previous?.status === parsed.value) return { device: id };
    const change: StatusChange = { status: parsed.value, at: arrival, retained };
    d.view.status = change;
    d.view.statusHistory.unshift(change);
    if (d.view.statusHistory.length > LISTED) d.view.statusHistory.pop();
    return { device: id, note: `${id}: ${parsed.value}${retained ? " (retained)" : ""}` };
  }

  private diagnostics(d: Device, topic: string, payload: string, retained: boolean, arrival: number): Change {
    const id = d.view.id;
    // An empty retained message clears it at the broker.
    if (payload === "") {
      d.view.diagnostics = undefined;
      return { device: id };
    }
    const parsed = parseDiagnostics(payload);
    if (!parsed.ok) return { device: id, problem: this.problem(d, { at: arrival, topic, text: parsed.error }) };
    d.view.diagnostics = { values: parsed.value, at: arrival, retained };
    return { device: id };
  }

  private device(id: string, arrival: number): Device {
    let d = this.devices.get(id);
    if (!d) {
      d = {
        view: {
          id,
          firstSeen: arrival,
          lastSeen: arrival,
          statusHistory: [],
          problems: [],
          history: this.options.history,
        },
        audit: new DeliveryAudit({ lateAfterS: this.options.lateAfterS, maxListed: LISTED }),
        series: new Series(this.options.history),
        otherTopics: new Map(),
      };
      this.devices.set(id, d);
    }
    return d;
  }

  private problem(d: Device, problem: Problem): Problem {
    d.view.problems.unshift(problem);
    if (d.view.problems.length > LISTED) d.view.problems.pop();
    return problem;
  }

  private globalProblem(problem: Problem): Problem {
    this.problems.unshift(problem);
    if (this.problems.length > LISTED) this.problems.pop();
    return problem;
  }
}
