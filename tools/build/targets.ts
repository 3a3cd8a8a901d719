/**
 * The rollup build, one target per board: `npm run build` builds every board in boards/,
 * `BOARD=<name> npm run build` one. Settings come from the environment, then ENV_FILE (default .env).
 */
import { resolve } from "node:path";
import type { RollupOptions } from "rollup";
import typescript from "@rollup/plugin-typescript";
import terser from "@rollup/plugin-terser";
import { boardNames, loadBoard } from "./boards";
import { firmwareConfig } from "./firmware-config";
import { rawSettings, readEnvFile, resolveSettings } from "./settings";
import { boardModules } from "./virtual-modules";

const ROOT = new URL("../../", import.meta.url).pathname;

/** Methods every Espruino object has: a renamed private member must never take one of these names. */
const ESPRUINO_OBJECT_METHODS = ["on", "emit", "removeListener", "removeAllListeners", "prependListener"];

export function buildTargets(env: Record<string, string | undefined>): RollupOptions[] {
  const names = env.BOARD ? [env.BOARD] : boardNames();
  const envFile = readEnvFile(resolve(ROOT, env.ENV_FILE || ".env"));
  return names.map((name) => {
    const board = loadBoard(name);
    const config = firmwareConfig(board, resolveSettings(board, rawSettings(board, env, envFile)));
    return {
      input: resolve(ROOT, "firmware/main.ts"),
      output: { file: resolve(ROOT, `dist/${name}.js`), format: "iife", strict: false },
      // Warnings are errors: a bundle half-resolved is a bundle that fails on the device.
      onwarn(warning) {
        throw new Error(`${name}: ${warning.message}`);
      },
      plugins: [
        boardModules(board, config),
        typescript({ tsconfig: resolve(ROOT, "firmware/tsconfig.json"), noEmitOnError: true }),
        terser({
          ecma: 5,
          // hoist_vars: Espruino creates a `var` when its statement runs, not at function entry,
          // so a use before the declaration (which the minifier otherwise writes) reaches an
          // outer variable of the same name. All vars go to the top of their function.
          // inline: 2 inlines no function that has variables of its own: terser declares those
          // after the caller's `return`, where Espruino never creates them.
          // global_defs: the log level's flags (src/log-flags.d.ts) as constants, so the text
          // of lines this build leaves out is dropped with them.
          compress: { passes: 2, hoist_vars: true, inline: 2, global_defs: { LOG_DEBUG: config.logLevel === "debug" } },
          // Private members are named _like_this so they, and only they, can be renamed:
          // every byte of the bundle is RAM on the device.
          mangle: { properties: { regex: /^_/, reserved: ESPRUINO_OBJECT_METHODS } },
          format: { ascii_only: true, comments: false },
        }),
      ],
    };
  });
}
