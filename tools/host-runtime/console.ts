// Espruino's console output: print()/console.log() write strings as-is and other values the
// way jswrap_print does (jsfPrintJSON with PRETTY | SOME_NEWLINES | SHOW_OBJECT_NAMES).

/** Receives one console line at a time, without the trailing newline. */
export type ConsoleSink = (line: string) => void;

export class Printer {
  constructor(private readonly sink: ConsoleSink) {}

  /** Prints text that may span several lines (a trailing newline is implied). */
  line(text: string): void {
    for (const part of text.split("\n")) this.sink(part);
  }

  /** console.log / print: arguments joined by one space, one line per call. */
  print(args: readonly unknown[], globals: object): void {
    this.line(args.map((a) => (typeof a === "string" ? a : formatValue(a, globals))).join(" "));
  }
}

const ITEMS_ON_LINE = 4; // JSON_ITEMS_ON_LINE_OBJECT

/** Escapes a char the way Espruino's %q does (\xHH for non-printables, \N below 8). */
function escapeChar(ch: number, next: number): string {
  switch (ch) {
    case 10:
      return "\\n";
    case 9:
      return "\\t";
    case 8:
      return "\\b";
    case 11:
      return "\\v";
    case 12:
      return "\\f";
    case 13:
      return "\\r";
    case 92:
      return "\\\\";
    case 34:
      return '\\"';
  }
  if (ch < 8 && !(next >= 48 && next <= 55)) return "\\" + ch;
  if (ch < 32 || ch >= 127) {
    const hex = (n: number, w: number): string => n.toString(16).toUpperCase().padStart(w, "0");
    return ch > 255 ? "\\u" + hex(ch, 4) : "\\x" + hex(ch, 2);
  }
  return String.fromCharCode(ch);
}

/** A string in double quotes with Espruino's escapes (the %q format). */
export function quote(s: string): string {
  let out = '"';
  for (let i = 0; i < s.length; i++) out += escapeChar(s.charCodeAt(i), i + 1 < s.length ? s.charCodeAt(i + 1) : 0);
  return out + '"';
}

function needsNewLine(v: unknown): boolean {
  return !(v === undefined || v === null || typeof v === "number" || typeof v === "boolean");
}

function newLine(indent: number): string {
  return "\n" + "  ".repeat(indent);
}

function isTypedArray(v: object): v is Uint8Array {
  return ArrayBuffer.isView(v) && !isDataView(v);
}

function isDataView(v: object): boolean {
  return Object.prototype.toString.call(v) === "[object DataView]";
}

function isArrayBuffer(v: object): v is ArrayBuffer {
  return Object.prototype.toString.call(v) === "[object ArrayBuffer]";
}

function typedName(v: object): string {
  return Object.prototype.toString.call(v).slice(8, -1);
}

/** The global name of an object's constructor, as SHOW_OBJECT_NAMES prints it ("Date: ..."). */
function globalCtorName(v: object, globals: object): string | undefined {
  const proto: unknown = Object.getPrototypeOf(v);
  if (proto === null || typeof proto !== "object") return undefined;
  const ctor = (proto as { constructor?: unknown }).constructor;
  if (typeof ctor !== "function" || ctor.name === "Object") return undefined;
  for (const key of Object.getOwnPropertyNames(globals)) {
    const desc = Object.getOwnPropertyDescriptor(globals, key);
    if (desc && "value" in desc && desc.value === ctor) return key;
  }
  return undefined;
}

/** Formats a non-string value like Espruino's print; `globals` is the sandbox's global object. */
export function formatValue(value: unknown, globals: object, indent = 0, seen: Set<object> = new Set()): string {
  if (value === undefined) return "undefined";
  if (value === null) return "null";
  if (typeof value === "string") return quote(value);
  if (typeof value === "function") return formatFunction(value);
  if (typeof value !== "object") return String(value);
  if (seen.has(value)) return " ... ";
  seen.add(value);
  try {
    if (Array.isArray(value)) return formatArray(value, globals, indent, seen);
    if (isArrayBuffer(value)) return formatBytes(new Uint8Array(value), "Uint8Array") + ".buffer";
    if (isTypedArray(value)) return formatBytes(value, typedName(value));
    const name = globalCtorName(value, globals);
    let prefix = "";
    if (name !== undefined) {
      prefix = name + ": ";
      const toStr = (value as { toString?: unknown }).toString;
      if (
        typeof toStr === "function" &&
        toStr !== (globals as { Object: ObjectConstructor }).Object.prototype.toString
      ) {
        return prefix + String(toStr.call(value));
      }
    }
    return prefix + formatObject(value as Record<string, unknown>, globals, indent, seen);
  } finally {
    seen.delete(value);
  }
}

function formatFunction(fn: Function): string {
  const src = Function.prototype.toString.call(fn);
  return src.startsWith("function") ? src : "function " + src;
}

function formatBytes(view: ArrayLike<number>, name: string): string {
  let allZero = true;
  for (let i = 0; i < view.length; i++) if (view[i] !== 0) allZero = false;
  if (allZero) return `new ${name}(${view.length})`;
  return `new ${name}([${Array.prototype.join.call(view, ", ")}])`;
}

function formatArray(arr: readonly unknown[], globals: object, indent: number, seen: Set<object>): string {
  let out = "[ ";
  let needNL = false;
  for (let i = 0; i < arr.length; i++) {
    if (i > 0) out += ", ";
    const item = arr[i];
    const itemNL = needsNewLine(item);
    if (needNL || itemNL) out += newLine(indent + 1);
    out += formatValue(item, globals, indent + 1, seen);
    needNL = itemNL;
  }
  if (needNL) out += newLine(indent);
  return out + " ]";
}

function formatObject(obj: Record<string, unknown>, globals: object, indent: number, seen: Set<object>): string {
  let out = "{ ";
  let needNL = false;
  let sinceNL = 0;
  let first = true;
  for (const key of Object.keys(obj)) {
    const desc = Object.getOwnPropertyDescriptor(obj, key);
    if (!desc || !("value" in desc)) continue; // getters/setters are hidden
    const item = desc.value;
    sinceNL++;
    if (!first) out += ", ";
    const itemNL = needsNewLine(item);
    if (sinceNL > ITEMS_ON_LINE) needNL = true;
    if (needNL || itemNL) {
      out += newLine(indent + 1);
      sinceNL = 0;
    }
    out += quote(key) + ": " + formatValue(item, globals, indent + 1, seen);
    first = false;
    needNL = itemNL;
  }
  if (needNL) out += newLine(indent);
  return out + " }";
}

/** "Uncaught <error>" text: Espruino prints the exception converted to a string (%v). */
export function describeException(error: unknown): string {
  try {
    return String(error);
  } catch {
    return "[object Object]";
  }
}
