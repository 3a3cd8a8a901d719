// One bundle per board in boards/ (BOARD=<name> for one), for `rollup -c [-w]`; `npm run build`
// (tools/build/main.ts) does the same and also prints each board's RAM and flash margin. A board
// whose file or settings are wrong is reported, one line per problem, and the others are built;
// the exit code is then 2. The build logic is in tools/build/.
import { planTargets } from "./tools/build/targets.ts";
import { problemLines, reportError } from "./tools/build/report.ts";

function targets() {
  try {
    const plan = planTargets(process.env);
    for (const w of plan.envWarnings) console.error(`[build] warning: ${w}`);
    for (const t of plan.targets) for (const w of t.plan.warnings) console.error(`[build] ${t.name}: warning: ${w}`);
    for (const { name, error } of plan.failures)
      for (const line of problemLines(error)) console.error(`[build] ${name}: ${line}`);
    if (plan.failures.length) {
      console.error(`[build] ${plan.failures.length} of ${plan.failures.length + plan.targets.length} boards failed`);
      process.on("exit", () => (process.exitCode = 2));
      if (!plan.targets.length) process.exit(2);
    }
    return plan.targets.map((t) => t.options);
  } catch (e) {
    process.exit(reportError("[build]", e));
  }
}

export default targets();
