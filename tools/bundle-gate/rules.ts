/**
 * What the bundle gate forbids, each with the reason printed in its finding.
 *
 * Sources: docs/espruino-runtime.md (measured on Espruino 2v29) and, where marked
 * "source", Espruino's own interpreter source (src/jslex.c, src/jsparse.c, src/jswrap_*.c),
 * which the ESP32 build shares.
 */

/** Modules `require("...")` may name: Espruino's built-in modules on the ESP32 build. */
export const ALLOWED_MODULES: ReadonlySet<string> = new Set([
  "net",
  "tls",
  "http",
  "crypto",
  "Storage",
  "Flash",
  "Wifi",
  // Not "ESP32" or "OneWire": those are global classes in Espruino, not modules.
  // Not "fs": the firmware keeps its files in Storage.
]);

/** Globals Espruino does not have (the runtime doc's list, checked against Espruino's source). */
export const FORBIDDEN_GLOBALS: ReadonlyMap<string, string> = new Map([
  ["Map", "Espruino has no Map: use a plain object or arrays"],
  ["Set", "Espruino has no Set: use a plain object or an array"],
  ["WeakMap", "Espruino has no WeakMap"],
  ["WeakSet", "Espruino has no WeakSet"],
  ["WeakRef", "Espruino has no WeakRef"],
  ["FinalizationRegistry", "Espruino has no FinalizationRegistry"],
  ["Symbol", "Espruino has no Symbol (no iterators protocol, no well-known symbols)"],
  ["Proxy", "Espruino has no Proxy"],
  ["Reflect", "Espruino has no Reflect"],
  ["Buffer", "Buffer is Node's: never on the device (use binary strings, Uint8Array, E.toString)"],
  ["TextEncoder", "Espruino has no TextEncoder: encode UTF-8 in the project's own code"],
  ["TextDecoder", "Espruino has no TextDecoder"],
  ["setImmediate", "Espruino has no setImmediate: use setTimeout(f, 0)"],
  ["queueMicrotask", "Espruino has no queueMicrotask: use setTimeout(f, 0) or Promise.resolve().then"],
  ["structuredClone", "Espruino has no structuredClone"],
  ["BigInt", "Espruino has no BigInt"],
  ["Intl", "Espruino has no Intl"],
  ["SharedArrayBuffer", "Espruino has no SharedArrayBuffer"],
  ["Atomics", "Espruino has no Atomics"],
  ["fetch", 'Espruino has no fetch: use require("http")'],
  ["module", "no module/exports in a script sent to the console: the bundle must be a plain IIFE"],
  ["exports", "no module/exports in a script sent to the console: the bundle must be a plain IIFE"],
  ["__dirname", "__dirname is Node's, not Espruino's"],
  ["__filename", "__filename is Node's, not Espruino's"],
  // Not forbidden: globalThis (Espruino 2v22+ defines it, same as `global`).
]);

/** Static members the runtime doc names as missing (or that are plainly Node-only). */
export const FORBIDDEN_MEMBERS: ReadonlyMap<string, string> = new Map([
  ["Array.from", "Espruino has no Array.from: loop, or use Array.prototype.slice.call"],
  ["Array.of", "Espruino has no Array.of: use an array literal"],
  ["Number.isFinite", "Espruino has no Number.isFinite: use the global isFinite with a typeof check"],
  ["Number.isInteger", "Espruino has no Number.isInteger: use (x | 0) === x or Math.floor(x) === x"],
  ["Number.isNaN", "Espruino has no Number.isNaN: use x !== x"],
  ["Number.parseFloat", "Espruino has no Number.parseFloat: use the global parseFloat"],
  ["Number.parseInt", "Espruino has no Number.parseInt: use the global parseInt"],
  ["Math.trunc", "Espruino has no Math.trunc: use x < 0 ? Math.ceil(x) : Math.floor(x)"],
  ["Object.freeze", "Espruino has no Object.freeze"],
  ["Object.getOwnPropertySymbols", "Espruino has no Symbols, so no Object.getOwnPropertySymbols"],
  ["process.nextTick", "process.nextTick is Node's: use setTimeout(f, 0)"],
]);

/**
 * The complete static members of these built-ins in Espruino (source: every `staticmethod` and
 * `staticproperty` in src/jswrap_*.c). Any other `Math.x`, `Number.x`, ... is `undefined` on the
 * device.
 */
export const ESPRUINO_STATICS: ReadonlyMap<string, ReadonlySet<string>> = new Map(
  (
    [
      ["Array", "isArray"],
      ["Date", "now parse"],
      ["JSON", "parse stringify"],
      [
        "Math",
        "E LN10 LN2 LOG10E LOG2E PI SQRT1_2 SQRT2 abs acos asin atan atan2 ceil clip cos exp floor " +
          "log max min pow randInt random round sign sin sqrt tan wrap",
      ],
      ["Number", "MAX_VALUE MIN_VALUE NEGATIVE_INFINITY NaN POSITIVE_INFINITY"],
      [
        "Object",
        "assign create defineProperties defineProperty entries fromEntries getOwnPropertyDescriptor " +
          "getOwnPropertyDescriptors getOwnPropertyNames getPrototypeOf keys setPrototypeOf values",
      ],
      ["Promise", "all reject resolve"],
      ["String", "fromCharCode"],
    ] as const
  ).map(([name, members]) => [name, new Set(members.split(" "))]),
);

/** Members every function object has: never findings on the built-ins above. */
export const FUNCTION_MEMBERS: ReadonlySet<string> = new Set([
  "prototype",
  "name",
  "length",
  "call",
  "apply",
  "bind",
  "constructor",
  "toString",
]);

/** Regular expression flags Espruino implements (source: jswrap_regexp.c reads only `g` and `i`). */
export const ALLOWED_REGEX_FLAGS = "gi";

/**
 * TypeScript/tslib helpers: allowed, but reported as warnings with their size. Found by name
 * (unminified bundles) or by a fingerprint that survives terser (minified bundles).
 */
export const TS_HELPERS: ReadonlyArray<{ name: string; fingerprint: RegExp }> = [
  { name: "__extends", fingerprint: /Class extends value / },
  { name: "__assign", fingerprint: /Object\.assign\s*\|\|\s*function/ },
  { name: "__rest", fingerprint: /propertyIsEnumerable\.call\(/ },
  { name: "__awaiter", fingerprint: /\|\|\s*\(\s*[\w$]+\s*=\s*Promise\s*\)/ },
  { name: "__generator", fingerprint: /Generator is already executing/ },
  { name: "__values", fingerprint: /Symbol\.iterator is not defined/ },
  { name: "__read", fingerprint: /\(\s*[\w$]+\s*=\s*[\w$]+\.next\(\)\s*\)\.done/ },
  { name: "__spreadArray", fingerprint: /\.concat\(\s*[\w$]+\s*\|\|\s*Array\.prototype\.slice\.call\(/ },
  { name: "__makeTemplateObject", fingerprint: /"raw"\s*,\s*\{\s*value\s*:/ },
  { name: "__classPrivateFieldGet", fingerprint: /Cannot read private member/ },
];

export const HELPER_WHY =
  "TypeScript helper: its code stays in RAM on the device (function bodies are JsVars); prefer code that needs none";

/** Why a non-ASCII byte in the bundle is a failure. */
export const NON_ASCII_WHY =
  "the ESP32 build has no Unicode: a raw UTF-8 character becomes several chars there; write \\xNN escapes";

/** How many non-ASCII positions are reported one by one before a summary line. */
export const NON_ASCII_REPORTED = 5;
