/** The build's own errors: a problem a maker fixes (a setting, a board file), with each on a line. */

/** Bad settings (or a bad .env or board file): the message names each problem on a line of its own. */
export class SettingsError extends Error {
  constructor(
    message: string,
    /** The problems, one line each, without the heading. */
    readonly problems: string[] = [],
  ) {
    super(message);
    this.name = "SettingsError";
  }
}

/** One SettingsError for `problems` under `heading`. */
export function settingsError(heading: string, problems: string[]): SettingsError {
  return new SettingsError(`${heading}:\n${problems.map((p) => "  " + p).join("\n")}`, problems);
}
