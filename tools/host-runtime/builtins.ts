// Removes from the sandbox every V8 built-in that Espruino 2v29 does not have, so code using
// Map, Array.from, Math.trunc, String.prototype.at... fails here as it would on the device.
// The lists are Espruino's own (the JSON specs in its src/jswrap_*.c for the 2v29 release).
// Symbol-keyed properties stay: V8 needs them for for-of, regexp methods and so on.

/** Global names Espruino has that V8 also defines (Espruino-only globals are added elsewhere). */
const GLOBALS = new Set([
  "Object",
  "Function",
  "Array",
  "Number",
  "Boolean",
  "String",
  "Date",
  "Promise",
  "RegExp",
  "Error",
  "ReferenceError",
  "SyntaxError",
  "TypeError",
  "InternalError",
  "JSON",
  "Math",
  "ArrayBuffer",
  "DataView",
  "Uint8Array",
  "Int8Array",
  "Uint16Array",
  "Int16Array",
  "Uint32Array",
  "Int32Array",
  "Float32Array",
  "Float64Array",
  "Uint8ClampedArray",
  "parseFloat",
  "parseInt",
  "Infinity",
  "NaN",
  "undefined",
  "globalThis",
  "decodeURIComponent",
  "encodeURIComponent",
  "eval",
  "isFinite",
  "isNaN",
]);

/** Kept on every constructor and prototype: language plumbing rather than library. */
const ALWAYS = [
  "constructor",
  "prototype",
  "length",
  "name",
  "toString",
  "valueOf",
  "__proto__",
  "caller",
  "arguments",
];

const MATH = [
  "abs",
  "acos",
  "asin",
  "atan",
  "atan2",
  "ceil",
  "cos",
  "exp",
  "floor",
  "log",
  "max",
  "min",
  "pow",
  "random",
  "round",
  "sign",
  "sin",
  "sqrt",
  "tan",
  "E",
  "LN10",
  "LN2",
  "LOG10E",
  "LOG2E",
  "PI",
  "SQRT1_2",
  "SQRT2",
];
const ARRAY_PROTO = [
  "concat",
  "every",
  "fill",
  "filter",
  "findIndex",
  "find",
  "forEach",
  "includes",
  "indexOf",
  "join",
  "map",
  "pop",
  "push",
  "reduce",
  "reverse",
  "shift",
  "slice",
  "some",
  "sort",
  "splice",
  "unshift",
];
const TYPED_PROTO = [
  "every",
  "fill",
  "filter",
  "findIndex",
  "find",
  "forEach",
  "includes",
  "indexOf",
  "join",
  "map",
  "reduce",
  "reverse",
  "set",
  "slice",
  "some",
  "sort",
  "subarray",
  "buffer",
  "byteLength",
  "byteOffset",
];
const STRING_PROTO = [
  "charAt",
  "charCodeAt",
  "concat",
  "endsWith",
  "includes",
  "indexOf",
  "lastIndexOf",
  "match",
  "padEnd",
  "padStart",
  "repeat",
  "replace",
  "replaceAll",
  "slice",
  "split",
  "startsWith",
  "substr",
  "substring",
  "toLowerCase",
  "toUpperCase",
  "trim",
];
const DATE_PROTO = [
  "getDate",
  "getDay",
  "getFullYear",
  "getHours",
  "getMilliseconds",
  "getMinutes",
  "getMonth",
  "getSeconds",
  "getTime",
  "getTimezoneOffset",
  "setDate",
  "setFullYear",
  "setHours",
  "setMilliseconds",
  "setMinutes",
  "setMonth",
  "setSeconds",
  "setTime",
  "toISOString",
  "toJSON",
  "toUTCString",
];
const DATAVIEW_PROTO = [
  "getFloat32",
  "getFloat64",
  "getInt16",
  "getInt32",
  "getInt8",
  "getUint16",
  "getUint32",
  "getUint8",
  "setFloat32",
  "setFloat64",
  "setInt16",
  "setInt32",
  "setInt8",
  "setUint16",
  "setUint32",
  "setUint8",
  "buffer",
  "byteLength",
  "byteOffset",
];
// V8's own String.prototype.replace/split/match read these getters: removing them breaks regexps.
const REGEXP_PROTO = [
  "exec",
  "test",
  "source",
  "flags",
  "global",
  "ignoreCase",
  "multiline",
  "sticky",
  "unicode",
  "dotAll",
  "hasIndices",
  "unicodeSets",
  "lastIndex",
];

/** [path to an object in the sandbox, the names Espruino has on it]. */
const MEMBERS: ReadonlyArray<readonly [string, readonly string[]]> = [
  [
    "Object",
    [
      "assign",
      "create",
      "defineProperties",
      "defineProperty",
      "entries",
      "fromEntries",
      "getOwnPropertyDescriptor",
      "getOwnPropertyDescriptors",
      "getOwnPropertyNames",
      "getPrototypeOf",
      "keys",
      "setPrototypeOf",
      "values",
    ],
  ],
  ["Object.prototype", ["hasOwnProperty"]],
  ["Function", []],
  ["Function.prototype", ["apply", "bind", "call"]],
  ["Array", ["isArray"]],
  ["Array.prototype", ARRAY_PROTO],
  ["Number", ["MAX_VALUE", "MIN_VALUE", "NEGATIVE_INFINITY", "NaN", "POSITIVE_INFINITY"]],
  ["Number.prototype", ["toFixed"]],
  ["Boolean", []],
  ["Boolean.prototype", []],
  ["String", ["fromCharCode"]],
  ["String.prototype", STRING_PROTO],
  ["Math", MATH],
  ["JSON", ["parse", "stringify"]],
  ["Date", ["now", "parse"]],
  ["Date.prototype", DATE_PROTO],
  ["Promise", ["all", "reject", "resolve"]],
  ["Promise.prototype", ["then", "catch"]],
  ["RegExp", []],
  ["RegExp.prototype", REGEXP_PROTO],
  ["Error", ["stackTraceLimit"]],
  ["Error.prototype", ["message"]],
  ["ArrayBuffer", []],
  ["ArrayBuffer.prototype", ["byteLength"]],
  ["DataView", []],
  ["DataView.prototype", DATAVIEW_PROTO],
  ["Object.getPrototypeOf(Uint8Array)", []],
  ["Object.getPrototypeOf(Uint8Array.prototype)", TYPED_PROTO],
];

const TYPED = [
  "Uint8Array",
  "Int8Array",
  "Uint16Array",
  "Int16Array",
  "Uint32Array",
  "Int32Array",
  "Float32Array",
  "Float64Array",
  "Uint8ClampedArray",
];

/** Script run inside the sandbox: deletes what is not whitelisted, returns what it removed. */
export function stripScript(): string {
  const members = [
    ...MEMBERS,
    ...TYPED.map((t) => [t, ["BYTES_PER_ELEMENT"]] as const),
    ...TYPED.map((t) => [`${t}.prototype`, ["BYTES_PER_ELEMENT"]] as const),
  ];
  return `(function (globals, members, always) {
    var removed = [];
    var keepGlobal = {};
    globals.forEach(function (g) { keepGlobal[g] = true; });
    var g = globalThis;
    Object.getOwnPropertyNames(g).forEach(function (name) {
      if (!keepGlobal[name] && delete g[name]) removed.push(name);
    });
    members.forEach(function (entry) {
      var target = eval(entry[0]);
      var keep = {};
      always.concat(entry[1]).forEach(function (k) { keep[k] = true; });
      Object.getOwnPropertyNames(target).forEach(function (k) {
        if (!keep[k] && delete target[k]) removed.push(entry[0] + "." + k);
      });
    });
    return removed;
  })(${JSON.stringify([...GLOBALS])}, ${JSON.stringify(members)}, ${JSON.stringify(ALWAYS)})`;
}

/** Espruino-only Math helpers, String.fromCharCode's low-byte rule, Date.now's fraction,
 * typed-array slice() returning an Array, and Math.random as Espruino has it: the same sequence
 * at every start until E.srand(seed) (jswrap_math.c uses the C library's rand(), never seeded).
 * Evaluates to a function taking the host's clock (milliseconds, with a fraction) and returning
 * the srand for E. */
export const ESPRUINO_EXTRAS = `(function (nowMs) {
  var define = function (o, k, v) { Object.defineProperty(o, k, { value: v, writable: true, configurable: true, enumerable: false }); };
  define(Math, "clip", function (x, min, max) { return x < min ? min : x > max ? max : x; });
  define(Math, "wrap", function (x, max) { x = x % max; return x < 0 ? x + max : x; });
  var fromCharCode = String.fromCharCode;
  define(String, "fromCharCode", function () {
    var codes = [];
    for (var i = 0; i < arguments.length; i++) codes.push(arguments[i] & 255);
    return fromCharCode.apply(String, codes);
  });
  define(Date, "now", function () { return nowMs(); });
  // An xorshift32, not glibc's generator: what the firmware may rely on is only that every start
  // gives the same numbers, and E.srand different ones. (Math.imul is not Espruino's: stripped.)
  var seed = 1;
  define(Math, "random", function () {
    seed ^= seed << 13;
    seed ^= seed >>> 17;
    seed ^= seed << 5;
    return (seed >>> 0) / 4294967296;
  });
  // Espruino's typed-array slice() is Array.prototype.slice (jswrap_array_slice): it returns a
  // plain Array, one JsVar per element, not a typed array. subarray() is the view.
  var arraySlice = Array.prototype.slice;
  define(Object.getPrototypeOf(Uint8Array.prototype), "slice", function (start, end) { return arraySlice.call(this, start, end); });
  // Espruino's apply takes at most 256 arguments (jswrap_functions.c): "Array passed to
  // Function.apply is too big! Maximum 256 arguments, got N".
  var apply = Function.prototype.apply;
  define(Function.prototype, "apply", function (self, args) {
    if (args && args.length > 256) throw new Error("Array passed to Function.apply is too big! Maximum 256 arguments, got " + args.length);
    return apply.call(this, self, args);
  });
  return function (v) { seed = v | 0 || 1; };
})`;
