// Espruino's own JSON flavours for Storage. writeJSON drops quotes on identifier keys and
// escapes bytes as \xHH (not standard JSON: read() + V8's JSON.parse would fail on it), and
// readJSON parses that liberal form back.
import { quote } from "./console";
import { isArrayBuffer, isView } from "./bytes";

export interface JsonStyle {
  /** JSON_DROP_QUOTES: `{a:1}` instead of `{"a":1}` (writeJSON). */
  dropQuotes: boolean;
  /** JSON_ALL_UNICODE_ESCAPE: \u00XX escapes (Storage.write of an object) instead of \xXX. */
  unicodeEscape: boolean;
}

/** Serialises like jsfGetJSON with IGNORE_FUNCTIONS | NO_UNDEFINED | ARRAYBUFFER_AS_ARRAY | NO_NAN | ALLOW_TOJSON. */
export function toEspruinoJson(value: unknown, style: JsonStyle, seen: Set<object> = new Set()): string {
  let v = value;
  if (typeof v === "object" && v !== null && typeof (v as { toJSON?: unknown }).toJSON === "function") {
    v = (v as { toJSON: () => unknown }).toJSON();
  }
  if (v === undefined || v === null) return "null";
  if (typeof v === "number") return isFinite(v) ? String(v) : "null";
  if (typeof v === "boolean") return String(v);
  if (typeof v === "string") return style.unicodeEscape ? JSON.stringify(v) : quote(v);
  if (typeof v === "function") return "undefined";
  if (typeof v !== "object") return "null";
  if (seen.has(v)) return " ... ";
  seen.add(v);
  try {
    if (isArrayBuffer(v)) return "[" + Array.prototype.join.call(new Uint8Array(v), ",") + "]";
    if (isView(v)) return "[" + Array.prototype.join.call(v as unknown as ArrayLike<number>, ",") + "]";
    if (Array.isArray(v)) {
      const items: string[] = [];
      for (let i = 0; i < v.length; i++) items.push(toEspruinoJson(v[i], style, seen));
      return "[" + items.join(",") + "]";
    }
    const parts: string[] = [];
    for (const key of Object.keys(v)) {
      const item = (v as Record<string, unknown>)[key];
      if (item === undefined || typeof item === "function") continue;
      const bare = style.dropQuotes && (/^\d+$/.test(key) || /^[A-Za-z_$][A-Za-z0-9_$]*$/.test(key));
      const name = bare ? key : style.unicodeEscape ? JSON.stringify(key) : quote(key);
      parts.push(name + ":" + toEspruinoJson(item, style, seen));
    }
    return "{" + parts.join(",") + "}";
  } finally {
    seen.delete(v);
  }
}

/** Parses Espruino's liberal JSON (unquoted keys, single quotes, \xHH and \N escapes). */
export function parseLiberalJson(text: string, makeError: (message: string) => Error): unknown {
  let i = 0;
  const fail = (expected: string): never => {
    const got = i < text.length ? JSON.stringify(text[i]) : "EOF";
    throw makeError(`Got ${got} expected ${expected}`);
  };
  const ws = (): void => {
    while (i < text.length && /\s/.test(text[i]!)) i++;
  };
  const str = (): string => {
    const q = text[i++]!;
    let out = "";
    while (i < text.length && text[i] !== q) {
      let ch = text[i++]!;
      if (ch === "\\") {
        const e = text[i++] ?? "";
        const simple: Record<string, string> = { n: "\n", t: "\t", r: "\r", b: "\b", f: "\f", v: "\v", "0": "\0" };
        if (e === "x") {
          ch = String.fromCharCode(parseInt(text.slice(i, i + 2), 16));
          i += 2;
        } else if (e === "u") {
          ch = String.fromCharCode(parseInt(text.slice(i, i + 4), 16));
          i += 4;
        } else if (/[0-7]/.test(e)) {
          ch = String.fromCharCode(parseInt(e, 8));
        } else ch = simple[e] ?? e;
      }
      out += ch;
    }
    if (text[i] !== q) fail("string end");
    i++;
    return out;
  };
  const value = (): unknown => {
    ws();
    const ch = text[i];
    if (ch === '"' || ch === "'") return str();
    if (ch === "{") {
      i++;
      const obj: Record<string, unknown> = {};
      ws();
      if (text[i] === "}") return (i++, obj);
      for (;;) {
        ws();
        let key: string;
        if (text[i] === '"' || text[i] === "'") key = str();
        else {
          const m = /^[A-Za-z0-9_$]+/.exec(text.slice(i));
          if (!m) return fail("ID");
          key = m[0];
          i += key.length;
        }
        ws();
        if (text[i++] !== ":") return (i--, fail("':'"));
        obj[key] = value();
        ws();
        if (text[i] === ",") i++;
        else if (text[i] === "}") return (i++, obj);
        else return fail("','");
      }
    }
    if (ch === "[") {
      i++;
      const arr: unknown[] = [];
      ws();
      if (text[i] === "]") return (i++, arr);
      for (;;) {
        arr.push(value());
        ws();
        if (text[i] === ",") i++;
        else if (text[i] === "]") return (i++, arr);
        else return fail("','");
      }
    }
    const m = /^(-?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?|true|false|null|undefined|NaN|Infinity|-Infinity)/.exec(
      text.slice(i),
    );
    if (!m) return fail("a value");
    i += m[0].length;
    const lits: Record<string, unknown> = { true: true, false: false, null: null, undefined: undefined };
    return m[0] in lits ? lits[m[0]] : Number(m[0]);
  };
  const result = value();
  ws();
  if (i < text.length) fail("EOF");
  return result;
}
