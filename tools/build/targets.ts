/**
 * The rollup build, one target per board: `npm run build` builds every board in boards/,
 * `BOARD=<name> npm run build` one. Settings come from the environment, then ENV_FILE (default .env).
 * Every check is tools/build/plan.ts's; tools/build/main.ts runs the build and reports.
 */
import { resolve } from "node:path";
import type { RollupOptions } from "rollup";
import typescript from "@rollup/plugin-typescript";
import terser from "@rollup/plugin-terser";
import { boardNames } from "./boards";
import { settingsError, SettingsError } from "./errors";
import { planBoard, type BoardPlan } from "./plan";
import { loadEnv } from "./settings";
import { boardModules } from "./virtual-modules";
import { bundleIdentifier } from "./identifiers";

const ROOT = new URL("../../", import.meta.url).pathname;

/** Methods every Espruino object has: a renamed private member must never take one of these names. */
const ESPRUINO_OBJECT_METHODS = ["on", "emit", "removeListener", "removeAllListeners", "prependListener"];

export interface Target {
  name: string;
  plan: BoardPlan;
  options: RollupOptions;
}

export interface TargetPlan {
  /** The env file read (ENV_FILE or .env), if any, and what it warned about. */
  envFile?: string;
  envValues: Record<string, string>;
  envWarnings: string[];
  targets: Target[];
  /** Boards that cannot be built: their board file or settings are wrong (a SettingsError each). */
  failures: { name: string; error: SettingsError }[];
}

/**
 * Every check for the boards to build (BOARD=<name>, or every board in boards/), each on its own:
 * one broken board does not stop the others. Throws a SettingsError only for what stops them all
 * (a missing ENV_FILE, a malformed .env, an unknown BOARD).
 */
export function planTargets(env: Record<string, string | undefined>, outDir = resolve(ROOT, "dist")): TargetPlan {
  const names = env.BOARD ? [env.BOARD] : boardNames();
  if (env.BOARD && !boardNames().includes(env.BOARD)) throw settingsError("bad settings", [`BOARD: no board "${env.BOARD}" (boards: ${boardNames().join(", ")})`]);
  const envFile = loadEnv(env, ROOT);
  const plan: TargetPlan = { envFile: envFile.file, envValues: envFile.values, envWarnings: envFile.warnings, targets: [], failures: [] };
  for (const name of names) {
    try {
      const boardPlan = planBoard(name, env, { envFile: envFile.values });
      plan.targets.push({ name, plan: boardPlan, options: rollupOptions(boardPlan, resolve(outDir, `${name}.js`)) });
    } catch (e) {
      if (!(e instanceof SettingsError)) throw e;
      plan.failures.push({ name, error: e });
    }
  }
  return plan;
}

/** The rollup options for every board to build; throws the first board's SettingsError. */
export function buildTargets(env: Record<string, string | undefined>): RollupOptions[] {
  const plan = planTargets(env);
  if (plan.failures.length) throw plan.failures[0].error;
  return plan.targets.map((t) => t.options);
}

function rollupOptions(plan: BoardPlan, file: string): RollupOptions {
  const { board, config } = plan;
  const name = board.name;
  return {
    input: resolve(ROOT, "firmware/main.ts"),
    // No wrapper function around the modules: their top level is the interpreter's (identifiers.ts).
    output: { file, format: "es", strict: false },
    // Warnings are errors: a bundle half-resolved is a bundle that fails on the device.
    onwarn(warning) {
      throw new Error(`${name}: ${warning.message}`);
    },
    plugins: [
      boardModules(board, config),
      typescript({ tsconfig: resolve(ROOT, "firmware/tsconfig.json"), noEmitOnError: true }),
      // Two passes. The first, without hoist_vars, inlines the constants and single-use functions
      // of the top level: once every `var` is hoisted to a bare declaration, terser no longer
      // sees them as constants, and each would stay a global of a few JsVars (44 connected,
      // measured on the 2,500-JsVar build). The second hoists and renames.
      terser({ ...compressOptions(config, false), mangle: false }),
      terser({
        ...compressOptions(config, true),
        // Private members are named _like_this so they, and only they, can be renamed.
        mangle: {
          nth_identifier: { get: bundleIdentifier },
          properties: { regex: /^_/, reserved: ESPRUINO_OBJECT_METHODS },
        },
      }),
    ],
  };
}

/**
 * hoist_vars: Espruino creates a `var` when its statement runs, not at function entry, so a use
 * before the declaration (which the minifier otherwise writes) reaches an outer variable of the
 * same name. All vars go to the top of their function in the last pass.
 * inline: 1 inlines only functions without parameters: a function inlined with its parameters (2)
 * or variables (3) gets them declared after the caller's `return`, where Espruino never creates
 * them (the bundle gate's use-before-var finds it). The same JsVars connected as 2, measured.
 * global_defs: the log level's flags (src/log-flags.d.ts) as constants, so the text of lines this
 * build leaves out is dropped with them.
 * toplevel: the top level's names are minified too, as globals that start with `$`.
 */
function compressOptions(config: BoardPlan["config"], hoistVars: boolean) {
  return {
    ecma: 5 as const,
    compress: {
      passes: 2,
      hoist_vars: hoistVars,
      inline: 1 as const,
      global_defs: { LOG_INFO: config.logLevel !== "error", LOG_DEBUG: config.logLevel === "debug" },
    },
    toplevel: true,
    format: { ascii_only: true, comments: false },
  };
}
