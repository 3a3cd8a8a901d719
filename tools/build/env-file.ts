/**
 * A .env file read strictly, so a setting cannot silently go wrong: `KEY=value` lines, comments on
 * lines of their own, `"..."` or `'...'` to quote. Node's own parseEnv takes ` #` as the start of a
 * comment (`WIFI_PASSWORD=correct horse #battery` became `correct horse`), lets a line without `=`
 * swallow the next key and keeps a BOM in the first key; here a `#` in a value is kept when it is
 * quoted or not after a space, an unquoted ` #` is refused (is it a comment or part of the
 * password?), and every malformed line is reported by its number. Values are never shown.
 */

export interface EnvFile {
  values: Record<string, string>;
  /** The line each key was (last) set on. */
  lines: Record<string, number>;
  /** One line each, "line N: ...": the file cannot be used. */
  problems: string[];
  /** One line each: the file is used. */
  warnings: string[];
}

const KEY = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Parses `text`. `known`: the keys that draw no "unknown setting" warning. */
export function parseEnvText(text: string, known: readonly string[]): EnvFile {
  const out: EnvFile = { values: {}, lines: {}, problems: [], warnings: [] };
  const lines = text.replace(/^\uFEFF/, "").split(/\r?\n/);
  lines.forEach((raw, i) => {
    const n = i + 1;
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) return;
    const body = line.replace(/^export\s+/, "");
    const eq = body.indexOf("=");
    if (eq < 0) {
      // The line may be a pasted password: it is not shown.
      out.problems.push(`line ${n}: expected KEY=value, and this line has no "=" (comments start with #)`);
      return;
    }
    const key = body.slice(0, eq).trim();
    if (!KEY.test(key)) {
      out.problems.push(`line ${n}: "${key.length > 40 ? key.slice(0, 40) + "..." : key}" is not a setting name (letters, digits and _, before the =)`);
      return;
    }
    const value = parseValue(body.slice(eq + 1).trim(), key);
    if (typeof value !== "string") {
      out.problems.push(`line ${n}: ${key}: ${value.problem}`);
      return;
    }
    if (key in out.lines) out.warnings.push(`line ${n}: ${key} set again (first on line ${out.lines[key]}): this line's value is used`);
    else if (!known.includes(key)) {
      const near = closest(key, known);
      out.warnings.push(`line ${n}: unknown setting ${key}${near ? ` (did you mean ${near}?)` : ""}`);
    }
    out.values[key] = value;
    out.lines[key] = n;
  });
  return out;
}

function parseValue(text: string, key: string): string | { problem: string } {
  const quote = text[0];
  if (quote === '"' || quote === "'") {
    let value = "";
    let i = 1;
    for (; i < text.length && text[i] !== quote; i++) {
      if (quote === '"' && text[i] === "\\" && i + 1 < text.length) {
        const next = text[++i];
        value += next === "n" ? "\n" : next;
      } else value += text[i];
    }
    if (i >= text.length) return { problem: `the opening ${quote} has no closing ${quote} on this line (values are one line)` };
    const rest = text.slice(i + 1).trim();
    if (rest !== "" && !rest.startsWith("#")) return { problem: `text after the closing quote (a comment after a value starts with " #")` };
    return value;
  }
  if (/(^|\s)#/.test(text)) {
    return {
      problem:
        `an unquoted value with "#" after a space (or at its start): a comment, or part of the value? ` +
        `Write ${key}="..." to keep the #, or put the comment on a line of its own`,
    };
  }
  return text;
}

/** The known key nearest to `key` (case aside, a few edits away), or "". */
export function closest(key: string, known: readonly string[]): string {
  let best = "";
  let bestDistance = Infinity;
  for (const k of known) {
    const d = editDistance(key.toUpperCase(), k.toUpperCase());
    if (d < bestDistance) [best, bestDistance] = [k, d];
  }
  return bestDistance <= Math.max(2, Math.floor(key.length / 4)) ? best : "";
}

function editDistance(a: string, b: string): number {
  let row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const next = [i];
    for (let j = 1; j <= b.length; j++) next[j] = Math.min(row[j] + 1, next[j - 1] + 1, row[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    row = next;
  }
  return row[b.length];
}
