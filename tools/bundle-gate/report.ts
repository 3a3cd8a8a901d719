/**
 * gateFiles: check bundles on disk, their size against the board's budget, and print a report.
 */
import { existsSync, readFileSync } from "node:fs";
import { basename, dirname, join, relative } from "node:path";
import { gzipSync } from "node:zlib";
import { checkBundle, formatFinding, type Finding } from "./check";

export interface GateOptions {
  /** Where `<board>.json` files are; default: `boards/` next to the bundle's `dist/`. */
  boardsDir?: string;
}

export interface BundleResult {
  file: string;
  /** The board name: the bundle's file name without `.js`. */
  board: string;
  bytes: number;
  gzipBytes: number;
  /** `budgetBytes` from `boards/<board>.json`, or undefined when the file or field is missing. */
  budget: number | undefined;
  /** Why there is no budget, when there is none. */
  budgetNote?: string;
  /** Syntax, built-in, require, regex, text and size findings, and helper warnings. */
  findings: Finding[];
  ok: boolean;
}

export interface GateResult {
  ok: boolean;
  report: string;
  bundles: BundleResult[];
}

export function gateFiles(files: string[], options: GateOptions = {}): GateResult {
  const bundles = files.map((file) => gateFile(file, options));
  const lines: string[] = [];
  for (const b of bundles) {
    lines.push(...b.findings.map(formatFinding));
    lines.push(`${b.file}: ${b.bytes} bytes, gzip ${b.gzipBytes}, ${budgetText(b)}`);
  }
  lines.push("", ...table(bundles));
  const ok = bundles.every((b) => b.ok);
  lines.push(ok ? "bundle gate: ok" : "bundle gate: FAILED");
  return { ok, report: lines.join("\n"), bundles };
}

function gateFile(file: string, options: GateOptions): BundleResult {
  const bytes = readFileSync(file);
  const board = basename(file).replace(/\.js$/, "");
  const findings = checkBundle(bytes.toString("utf8"), file);
  const { budget, note } = readBudget(board, options.boardsDir ?? join(dirname(file), "..", "boards"));
  if (budget !== undefined && bytes.length > budget) {
    findings.push({
      file,
      line: 1,
      column: 1,
      severity: "error",
      rule: "size",
      what: `bundle is ${bytes.length} bytes, over the budget of ${budget} by ${bytes.length - budget}`,
      why: `budgetBytes in boards/${board}.json: the bundle's text is RAM on the device`,
    });
  }
  return {
    file,
    board,
    bytes: bytes.length,
    gzipBytes: gzipSync(bytes, { level: 9 }).length,
    budget,
    budgetNote: note,
    findings,
    ok: findings.every((f) => f.severity !== "error"),
  };
}

function readBudget(board: string, boardsDir: string): { budget?: number; note?: string } {
  const path = join(boardsDir, `${board}.json`);
  if (!existsSync(path)) return { note: `no budget (no ${relative(process.cwd(), path) || path})` };
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(path, "utf8"));
  } catch (e) {
    return { note: `no budget (${path} is not JSON: ${(e as Error).message})` };
  }
  const budget = (json as { budgetBytes?: unknown }).budgetBytes;
  if (typeof budget !== "number" || !(budget > 0)) return { note: "no budget (no budgetBytes)" };
  return { budget };
}

function budgetText(b: BundleResult): string {
  if (b.budget === undefined) return b.budgetNote ?? "no budget";
  return `budget ${b.budget} (${Math.round((100 * b.bytes) / b.budget)}%)`;
}

function table(bundles: BundleResult[]): string[] {
  const rows = [
    ["bundle", "bytes", "gzip", "budget", "errors", "warnings", "verdict"],
    ...bundles.map((b) => [
      b.file,
      String(b.bytes),
      String(b.gzipBytes),
      b.budget === undefined ? "no budget" : String(b.budget),
      String(b.findings.filter((f) => f.severity === "error").length),
      String(b.findings.filter((f) => f.severity === "warning").length),
      b.ok ? "ok" : "FAIL",
    ]),
  ];
  const widths = rows[0].map((_, col) => Math.max(...rows.map((r) => r[col].length)));
  return rows.map((r) =>
    r
      .map((cell, col) => (col === 0 || col === r.length - 1 ? cell.padEnd(widths[col]) : cell.padStart(widths[col])))
      .join("  ")
      .trimEnd(),
  );
}
