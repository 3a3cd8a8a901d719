/**
 * Every check the build makes for one board, before rollup runs: the board file, the settings, the
 * TLS files, the RAM and flash budget, and the packets the device will send. `npm run build`,
 * `npm run flash` (also with --dry-run) and the rollup config all go through planBoard, so none
 * of them checks less than another.
 */
import type { FirmwareConfig } from "../../firmware/config";
import { loadBoardChecked, type Board } from "./boards";
import { computeBudget, type Budget, type BudgetOptions } from "./budget";
import { settingsError, SettingsError } from "./errors";
import { firmwareConfig } from "./firmware-config";
import { rawSettings, resolveSettings, withoutSecrets, type Settings } from "./settings";
import { checkTlsFiles } from "./tls-files";

export interface BoardPlan {
  board: Board;
  settings: Settings;
  config: FirmwareConfig;
  budget: Budget;
  /** One line each, to print: a strapping pin, a certificate that expires soon. */
  warnings: string[];
}

export interface PlanOptions extends BudgetOptions {
  /** Values from the env file, under `env`. */
  envFile?: Record<string, string>;
  now?: Date;
}

/**
 * Checks board `name` with `env` over `options.envFile` over its defaults. Throws a SettingsError
 * (a BoardError for the board file) naming every problem, one a line, secrets masked.
 */
export function planBoard(name: string, env: Record<string, string | undefined>, options: PlanOptions = {}): BoardPlan {
  const { board, warnings } = loadBoardChecked(name);
  const raw = rawSettings(board, env, options.envFile ?? {});
  const heading = `bad settings for board "${board.name}"`;
  const settings = resolveSettings(board, raw);
  const problems: string[] = [];
  if (settings.mqttUrl.protocol === "mqtts:") {
    const tls = checkTlsFiles(settings, options.now);
    problems.push(...tls.problems);
    warnings.push(...tls.warnings);
  }
  const { budget, problems: budgetProblems } = computeBudget(board, settings, options);
  problems.push(...budgetProblems);
  let config: FirmwareConfig | undefined;
  if (!problems.length) {
    try {
      config = firmwareConfig(board, settings);
    } catch (e) {
      if (!(e instanceof SettingsError)) throw e;
      problems.push(...e.problems);
    }
  }
  if (problems.length) throw settingsError(heading, problems.map((p) => withoutSecrets(p, raw)));
  return { board, settings, config: config!, budget, warnings: warnings.map((w) => withoutSecrets(w, raw)) };
}
