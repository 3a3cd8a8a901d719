/**
 * How the host tools end on an error: one line per problem, each naming the setting (or flag, or
 * file), no stack trace unless DEBUG is set, and the documented exit code (docs/flashing.md):
 * 2 for a problem the maker fixes (settings, a board file, flags), 1 for a failure (a build or
 * upload that did not work).
 */
import { SettingsError } from "./errors";

export const EXIT_OK = 0;
export const EXIT_FAILED = 1;
export const EXIT_USAGE = 2;

/** A mistake in a tool's command line: printed with its usage, exit code 2. */
export class UsageError extends Error {
  constructor(
    message: string,
    /** Printed after the message: a line on how to call the tool. */
    public usage?: string,
  ) {
    super(message);
    this.name = "UsageError";
  }
}

/** DEBUG=1 (or any value but 0/false) shows stack traces. */
export function debugging(env: Record<string, string | undefined> = process.env): boolean {
  return !!env.DEBUG && !/^(0|false|no)$/i.test(env.DEBUG);
}

/** The problems of `e`, one line each. */
export function problemLines(e: unknown): string[] {
  if (e instanceof SettingsError && e.problems.length) return e.problems;
  const message = e instanceof Error ? e.message : String(e);
  return message.split("\n").filter((l) => l.trim() !== "");
}

/** Prints `e` under `tag` ("[build]") and returns the exit code the tool should end with. */
export function reportError(tag: string, e: unknown, prefix = ""): number {
  for (const line of problemLines(e)) console.error(`${tag} ${prefix}${line.trim()}`);
  if (e instanceof UsageError && e.usage) console.error(e.usage);
  if (debugging() && e instanceof Error && e.stack) console.error(e.stack);
  else if (!(e instanceof SettingsError) && !(e instanceof UsageError)) console.error(`${tag} (DEBUG=1 shows where this came from)`);
  return e instanceof SettingsError || e instanceof UsageError ? EXIT_USAGE : EXIT_FAILED;
}
