/** The build's settings check as tests see it: the error text for `env` on a board, or "" when it passes. */
import { expect } from "vitest";
import type { Board } from "../../tools/build/boards";
import { rawSettings, resolveSettings, SettingsError } from "../../tools/build/settings";

export function settingsProblems(env: Record<string, string>, board: Board): string {
  try {
    resolveSettings(board, rawSettings(board, env, {}));
    return "";
  } catch (e) {
    expect(e).toBeInstanceOf(SettingsError);
    return (e as Error).message;
  }
}
