/** The benchmark table: one row per figure, its target and verdict beside it, and where it came from. */

export interface BenchRow {
  name: string;
  /** What is measured, in the unit of `value`; NaN when not measured (then `note` says why). */
  value: number;
  unit: string;
  /** Human-readable target, e.g. ">= 1.0". */
  target: string;
  /** Whether the figure meets its target; undefined for figures without one. */
  ok?: boolean;
  /** Printed instead of the value: "needs ESPRUINO", or a remark after a reference figure. */
  note?: string;
  /** Where the figure came from: "Node 20.19", "Espruino 2v29 (Linux), RAM", "reference", ... */
  runtime?: string;
  /** Heading of the section the row belongs to (printed once, when it changes). */
  group?: string;
}

/** A row for a figure that cannot be measured in this run: text instead of a number, never a fake one. */
export function missingRow(name: string, unit: string, target: string, why: string, group?: string): BenchRow {
  return { name, value: NaN, unit, target, note: why, group };
}

export function formatValue(r: BenchRow): string {
  if (Number.isNaN(r.value)) return r.note ?? "-";
  if (r.unit === "ops/s" || r.unit === "msg/s") return Math.round(r.value).toLocaleString("en-US");
  if (r.unit === "x") return r.value.toFixed(2);
  if (r.unit === "ms") return r.value.toFixed(r.value < 1 ? 2 : r.value < 10 ? 1 : 0);
  if (r.unit === "years" || (r.unit === "B" && r.value >= 10000)) return Math.round(r.value).toLocaleString("en-US");
  return String(Math.round(r.value * 100) / 100);
}

export function formatRows(rows: BenchRow[]): string {
  const width = Math.max(...rows.map((r) => r.name.length));
  const valueWidth = Math.max(...rows.map((r) => formatValue(r).length));
  const unitWidth = Math.max(5, ...rows.map((r) => r.unit.length));
  const targets = rows.map((r) => {
    if (!r.target) return "";
    const status = r.ok === undefined ? "" : r.ok ? "  ok" : "  MISSED";
    return `target ${r.target}${status}`;
  });
  const targetWidth = Math.max(0, ...targets.map((t) => t.length));
  const out: string[] = [];
  let group: string | undefined;
  rows.forEach((r, i) => {
    if (r.group !== undefined && r.group !== group) {
      group = r.group;
      out.push((out.length ? "\n" : "") + r.group);
    }
    const reference = !Number.isNaN(r.value) && r.note ? `  (${r.note})` : "";
    const runtime = r.runtime ? `  [${r.runtime}]` : "";
    const unit = Number.isNaN(r.value) ? "" : r.unit;
    const line = `${r.name.padEnd(width)}  ${formatValue(r).padStart(valueWidth)} ${unit.padEnd(unitWidth)}  ${targets[i].padEnd(targetWidth)}${runtime}${reference}`;
    out.push(line.trimEnd());
  });
  return out.join("\n");
}

/** The same rows as Markdown tables, one per group (for docs/benchmarks.md). */
export function formatMarkdown(rows: BenchRow[]): string {
  const out: string[] = [];
  let group: string | undefined = "\0";
  const cell = (text: string) => text.replace(/\|/g, "\\|");
  for (const r of rows) {
    if (r.group !== group) {
      group = r.group;
      if (out.length) out.push("");
      if (group) out.push(`### ${group}`, "");
      out.push("| figure | value | target | runtime |", "| --- | ---: | --- | --- |");
    }
    const value = Number.isNaN(r.value) ? formatValue(r) : `${formatValue(r)} ${r.unit}`.trim();
    const target = r.target ? `${r.target}${r.ok === undefined ? "" : r.ok ? " ok" : " **MISSED**"}` : "";
    const runtime = [r.runtime, !Number.isNaN(r.value) && r.note ? `(${r.note})` : ""].filter(Boolean).join(" ");
    out.push(`| ${cell(r.name)} | ${cell(value)} | ${cell(target)} | ${cell(runtime)} |`);
  }
  return out.join("\n");
}
