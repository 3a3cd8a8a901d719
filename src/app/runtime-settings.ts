/**
 * Settings the device takes at run time, over MQTT (`<prefix>/<id>/set`) or from flash: the rule
 * for each is the build's own (tools/build/firmware-config.ts runtimeRules), handed over at build
 * time, so a value the build refuses is refused here with the same bounds.
 */

/** A whole number from `min` to `max`, or 0 when `zero` ("off", below `min`). */
export interface RuntimeRule {
  name: string;
  min: number;
  max: number;
  zero?: boolean;
}

/** New values by setting name. */
export type SettingValues = Record<string, number>;

/** A set message that passed every check: apply all of it, or (refused) none of it. */
export interface SetRequest {
  values: SettingValues;
  restart: boolean;
}

/** Why `value` is not a good value of setting `name` under `rules`, or "" when it is. */
export function settingError(rules: RuntimeRule[], name: string, value: unknown): string {
  let rule: RuntimeRule | undefined;
  for (let i = 0; i < rules.length; i++) if (rules[i].name === name) rule = rules[i];
  if (!rule)
    return (
      name + ": not a setting that can be changed at run time (" + rules.map((r) => r.name).join(", ") + ", restart)"
    );
  const got = " (got " + JSON.stringify(value) + ")";
  if (typeof value !== "number" || !isFinite(value) || Math.floor(value) !== value)
    return name + ": a whole number" + got;
  if (rule.zero && value === 0) return "";
  if (value < rule.min || value > rule.max)
    return name + ": " + (rule.zero ? "0 or " : "") + "from " + rule.min + " to " + rule.max + got;
  return "";
}

/**
 * Reads a set message: a JSON object whose keys are setting names (or `restart: true`). Returns
 * the request, or the reason it is refused, naming the setting.
 */
export function parseSetMessage(text: string, rules: RuntimeRule[]): SetRequest | string {
  let message: unknown;
  try {
    message = JSON.parse(text);
  } catch (e) {
    return "not JSON";
  }
  if (!message || typeof message !== "object" || Array.isArray(message)) return "not a JSON object";
  const request: SetRequest = { values: {}, restart: false };
  const keys = Object.keys(message);
  if (!keys.length) return "no setting in it";
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i];
    const value = (message as Record<string, unknown>)[key];
    if (key === "restart") {
      if (value !== true) return "restart: only true";
      request.restart = true;
      continue;
    }
    const why = settingError(rules, key, value);
    if (why) return why;
    request.values[key] = value as number;
  }
  return request;
}

/** `A=1, B=2`, for console lines and the diagnostics' confirmation. */
export function describeValues(values: SettingValues): string {
  return Object.keys(values)
    .map((k) => k + "=" + values[k])
    .join(", ");
}
