/**
 * `npm run build [-- --out-dir <dir>]`: every board in boards/ (BOARD=<name> for one) into
 * dist/<board>.js. Each board is checked and built on its own: a board whose file or settings are
 * wrong is reported, one line per problem, and the others are still built; the exit code is 2
 * at the end if any board's settings or file were wrong, 1 if a bundle failed to build. Each
 * built board shows its RAM and flash margin. DEBUG=1 adds stack traces.
 */
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import { rollup } from "rollup";
import { formatBudget } from "./budget";
import { planBoard } from "./plan";
import { EXIT_FAILED, EXIT_OK, EXIT_USAGE, debugging, problemLines, reportError } from "./report";
import { planTargets } from "./targets";

const ROOT = new URL("../../", import.meta.url).pathname;
const TAG = "[build]";
const n = (x: number) => x.toLocaleString("en-US");

async function main(argv: string[]): Promise<number> {
  const { values } = parseArgs({ args: argv, options: { "out-dir": { type: "string" }, help: { type: "boolean", short: "h" } }, strict: true });
  if (values.help) {
    console.log("usage: npm run build [-- --out-dir <dir>]   (BOARD=<name> for one board; settings: the environment, then ENV_FILE or .env)");
    return EXIT_OK;
  }
  const outDir = resolve(process.env.INIT_CWD ?? process.cwd(), values["out-dir"] ?? resolve(ROOT, "dist"));
  const plan = planTargets(process.env, outDir);
  for (const w of plan.envWarnings) console.error(`${TAG} warning: ${w}`);
  let failed = 0;
  let code = EXIT_OK;
  for (const { name, error } of plan.failures) {
    for (const line of problemLines(error)) console.error(`${TAG} ${name}: ${line}`);
    if (debugging() && error.stack) console.error(error.stack);
    failed++;
    code = EXIT_USAGE;
  }
  const width = Math.max(0, ...plan.targets.map((t) => t.name.length));
  for (const { name, plan: board, options } of plan.targets) {
    const label = name.padEnd(width);
    for (const w of board.warnings) console.error(`${TAG} ${name}: warning: ${w}`);
    try {
      const bundle = await rollup(options);
      let bytes: number;
      try {
        const { output } = await bundle.write(options.output as object);
        bytes = Buffer.byteLength(output[0].code, "latin1");
      } finally {
        await bundle.close();
      }
      // The budget again, with the bundle's real size in place of its allowance.
      const built = planBoard(name, process.env, { envFile: plan.envValues, bundleBytes: bytes });
      const budgetBytes = board.board.budgetBytes;
      console.log(`${TAG} ${label}  built  ${shortPath((options.output as { file: string }).file)}`);
      for (const line of formatBudget(built.budget)) console.log(`${TAG} ${label}  ${line}`);
      const over = bytes > budgetBytes ? ": over its budget (the bundle gate in npm test fails it)" : "";
      console.log(`${TAG} ${label}  bundle ${n(bytes)} B (budget ${n(budgetBytes)} B, ${Math.round((bytes / budgetBytes) * 100)} %)${over}`);
    } catch (e) {
      for (const line of problemLines(e)) console.error(`${TAG} ${name}: ${line}`);
      if (debugging() && e instanceof Error && e.stack) console.error(e.stack);
      failed++;
      if (code === EXIT_OK) code = EXIT_FAILED;
    }
  }
  if (failed) console.error(`${TAG} ${failed} of ${plan.failures.length + plan.targets.length} boards failed`);
  return code;
}

function shortPath(file: string): string {
  return file.startsWith(ROOT) ? file.slice(ROOT.length) : file;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e: unknown) => process.exit(reportError(TAG, e)),
);
