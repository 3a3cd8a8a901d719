/**
 * Bundle gate: fails when a built bundle uses what Espruino cannot run, or outgrows its budget.
 *
 *   npx tsx tools/bundle-gate.ts [files...]     (default: every dist/*.js)
 *
 * Prints one line per finding (file:line:col: severity [rule] what - why), each bundle's size and
 * gzip size against `budgetBytes` in boards/<board>.json, and a summary table. Exit code 1 on any
 * error finding (warnings, such as TypeScript helpers, do not fail the gate).
 *
 * The checks, and the reason printed with each, are tables in tools/bundle-gate/:
 * syntax.ts (SYNTAX_RULES), rules.ts (FORBIDDEN_GLOBALS, FORBIDDEN_MEMBERS, ESPRUINO_STATICS,
 * ALLOWED_MODULES, ALLOWED_REGEX_FLAGS, TS_HELPERS) and regex.ts.
 */
import { existsSync, readdirSync } from "node:fs";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { gateFiles } from "./bundle-gate/report";

export { checkBundle, formatFinding, type Finding, type Severity } from "./bundle-gate/check";
export { gateFiles, type BundleResult, type GateOptions, type GateResult } from "./bundle-gate/report";
export { checkRegex, type RegexIssue } from "./bundle-gate/regex";
export { SYNTAX_RULES } from "./bundle-gate/syntax";
export * from "./bundle-gate/rules";

/** Every `*.js` directly in `dir` (sorted), or [] when the directory does not exist. */
export function listBundles(dir = "dist"): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.endsWith(".js"))
    .sort()
    .map((f) => join(dir, f));
}

function main(args: string[]): number {
  const files = args.length > 0 ? args : listBundles();
  if (files.length === 0) {
    console.error("bundle-gate: no bundles in dist/: run `npm run build` first");
    return 1;
  }
  const missing = files.filter((f) => !existsSync(f));
  if (missing.length > 0) {
    console.error(`bundle-gate: no such file: ${missing.join(", ")}`);
    return 1;
  }
  const { ok, report } = gateFiles(files);
  console.log(report);
  return ok ? 0 : 1;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  process.exitCode = main(process.argv.slice(2));
}
