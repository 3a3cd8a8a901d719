/** The bundle gate on small snippets: each forbidden construct is named, clean ES5 passes. */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { checkBundle, formatFinding, gateFiles, type Finding } from "../../tools/bundle-gate";

const errors = (code: string): Finding[] => checkBundle(code, "t.js").filter((f) => f.severity === "error");
const rules = (code: string): string[] => errors(code).map((f) => f.rule);

/** Expects exactly one error finding, with this rule, whose line mentions `text`. */
function expectOne(code: string, rule: string, text: string): void {
  const found = errors(code);
  expect(found.map(formatFinding)).toHaveLength(1);
  expect(found[0].rule).toBe(rule);
  expect(formatFinding(found[0])).toContain(text);
}

describe("clean code passes", () => {
  it('accepts ES5 with a class, arrow, template literal, getter, ??, require("net") and a safe regex', () => {
    const code = `(function () {
      "use strict";
      var net = require("net"), storage = require("Storage");
      class Reading extends Base {
        constructor(v) { super(); this.v = v; }
        get celsius() { return this.v; }
        static of(v) { return new Reading(v); }
      }
      const label = (r) => \`t=\${r.celsius}\`;
      let port = /^([^:@]+):(\\d+)$/.exec("host:1883");
      var n = port ?? null;
      var o = { a: 1, "b": 2, 3: 4, m() { return 1; }, get g() { return 2; } };
      for (var k in o) {}
      for (const x of [1, 2]) {}
      try { label(Reading.of(1)); } catch (e) {} finally {}
      var bytes = new Uint8Array(4), d = new DataView(bytes.buffer);
      Object.keys(o); Object.assign({}, o); Math.pow(2, 3); Math.sign(-1); Date.now(); JSON.stringify(o);
      Array.prototype.slice.call(bytes); String.fromCharCode.apply(null, bytes); Promise.resolve(1);
      globalThis.x = 1; global.y = 2;
      var s = "\\xff\\x00\\u0041";
      net.connect({ host: "h", port: 1 }, function () {});
    })();`;
    expect(checkBundle(code, "t.js").map(formatFinding)).toEqual([]);
  });

  it("does not treat locally declared names as Espruino's missing globals", () => {
    const code = `
      var Map = 1; Map + 1;
      function f(Set) { return new Set(); }
      try {} catch (WeakMap) { WeakMap(); }
      (function () { let Symbol = 2; { Symbol++; } })();
      (function () { for (var i = 0, Reflect = 1; i < 1; i++) Reflect++; })();
      function g() { return Proxy; function Proxy() {} }
      var h = function Buffer() { return Buffer; };
      class TextEncoder {} new TextEncoder();
      (function (require) { require("anything"); })(function () {});
      (function () { var Array = { from: 1 }; Array.from; })();`;
    expect(checkBundle(code, "t.js").map(formatFinding)).toEqual([]);
  });

  it("accepts feature tests: typeof X, and uses guarded by one", () => {
    const code = `
      var it = typeof Symbol === "function" && Symbol.iterator;
      if (typeof Map !== "undefined") { new Map(); }
      var s = "function" == typeof Object.getOwnPropertySymbols ? Object.getOwnPropertySymbols(o) : [];
      Number.isFinite = Number.isFinite || function (x) { return isFinite(x); };`;
    expect(errors(code).map(formatFinding)).toEqual([]);
  });

  it("still flags a missing global when it is shadowed only in a sibling function", () => {
    expect(rules(`function a() { var Map = 1; } function b() { return new Map(); }`)).toEqual(["global"]);
  });
});

describe("syntax Espruino cannot run", () => {
  const cases: [string, string, string][] = [
    ["default parameter", "function f(a, b = 2) {}", "default-value"],
    ["rest parameter", "function f(...r) {}", "rest"],
    ["spread in a call", "f(...xs);", "spread"],
    ["spread in an array", "var a = [...xs];", "spread"],
    ["spread in an object", "var o = { ...p };", "spread"],
    ["object destructuring", "var { a } = o;", "destructuring"],
    ["array destructuring", "var [a] = o;", "destructuring"],
    ["destructuring parameter", "function f({ a }) {}", "destructuring"],
    ["destructuring assignment", "[a, b] = [b, a];", "destructuring"],
    ["labelled statement", "outer: for (;;) { break outer; }", "label"],
    ["async function", "async function f() { return 1; }", "async"],
    ["async arrow", "var f = async () => 1;", "async"],
    ["generator", "function* g() { yield 1; }", "generator"],
    ["optional chaining", "var a = o?.b;", "optional-chaining"],
    ["optional call", "o.f?.();", "optional-chaining"],
    ["exponent", "var a = 2 ** 8;", "exponent"],
    ["exponent assignment", "a **= 2;", "exponent"],
    ["logical assignment", "a ??= 1;", "logical-assignment"],
    ["BigInt literal", "var a = 10n;", "bigint"],
    ["private field read", "class A { constructor() { this.#x; } #x = 1; }", "private-name"],
    ["class field without value", "class A { x; }", "class-field-no-value"],
    ["computed class method", "class A { [k]() {} }", "class-member-name"],
    ["class static block", "class A { static { init(); } }", "class-static-block"],
    ["class extends an expression", "class A extends mixin(B) {}", "class-extends"],
    ["computed object key", "var o = { [k]: 1 };", "computed-key"],
    ["tagged template", "tag`x`;", "tagged-template"],
    ["new.target", "function F() { return new.target; }", "meta-property"],
    ["import", 'import x from "y";', "module-syntax"],
    ["export", "export var a = 1;", "module-syntax"],
    ["dynamic import", 'import("x");', "module-syntax"],
    ["regex after )", "if (a) /x/.test(b);", "regex-placement"],
    ["hashbang", "#!/usr/bin/env node\nvar a = 1;", "hashbang"],
  ];
  it.each(cases)("%s", (_name, code, rule) => {
    expect(rules(code)).toContain(rule);
  });

  it("reports for await (inside the async function it needs)", () => {
    expect(rules("async function f(s) { for await (const x of s) {} }")).toEqual(["async", "for-await"]);
  });

  it("reports a parse error as a finding, not an exception", () => {
    expectOne("function (", "parse", "parse error");
  });

  it("gives file:line:col of the construct", () => {
    const [f] = errors("var a = 1;\nvar b = 2;\n  f(...xs);");
    expect(formatFinding(f)).toMatch(/^t\.js:3:5: error \[spread\] /);
  });
});

describe("built-ins Espruino lacks", () => {
  it.each([
    "Map",
    "Set",
    "WeakMap",
    "WeakSet",
    "Symbol",
    "Proxy",
    "Reflect",
    "Buffer",
    "TextEncoder",
    "TextDecoder",
    "setImmediate",
    "queueMicrotask",
  ])("global %s", (name) => {
    expectOne(`var x = ${name};`, "global", `global \`${name}\``);
  });

  it.each([
    "Array.from",
    "Array.of",
    "Number.isFinite",
    "Number.isInteger",
    "Number.isNaN",
    "Math.trunc",
    "Object.freeze",
    "Object.getOwnPropertySymbols",
    "process.nextTick",
  ])("member %s", (name) => {
    expectOne(`${name}(a);`, "member", `\`${name}\``);
  });

  it("flags a static member Espruino's built-in does not have, computed or not", () => {
    expectOne(`Math.hypot(1, 2);`, "member", "`Math.hypot`");
    expectOne(`Number["EPSILON"];`, "member", "`Number.EPSILON`");
  });

  it("allows globalThis (Espruino 2v22+) and the members Espruino has", () => {
    expect(rules("globalThis.a = Object.entries(o); Math.sign(-1); Array.isArray(a); Object.fromEntries(e);")).toEqual(
      [],
    );
  });
});

describe("require", () => {
  it("allows a string literal naming a built-in module", () => {
    expect(rules('require("net"); require("tls"); require("Wifi"); require("Storage");')).toEqual([]);
  });
  it("flags another module", () => {
    expectOne('require("fs");', "require", 'require("fs")');
    expectOne('require("mqtt");', "require", "ALLOWED_MODULES");
  });
  it("flags a non-literal argument", () => {
    expectOne("var m = 'net'; require(m);", "require", "without a single string literal");
  });
});

describe("regular expressions Espruino evaluates wrongly", () => {
  const cases: [string, string][] = [
    ["/ab?c/", "regex-optional"],
    ["/a{2}/", "regex-counted"],
    ["/a{1,3}/", "regex-counted"],
    ["/(ab)?c/", "regex-group-quantifier"],
    ["/(ab)*c/", "regex-group-quantifier"],
    ["/(ab)+c/", "regex-group-quantifier"],
    ["/a*?b/", "regex-lazy"],
    ["/(?:ab)c/", "regex-group-syntax"],
    ["/a(?=b)/", "regex-lookaround"],
    ["/(?<=a)b/", "regex-lookaround"],
    ["/(?<!a)b/", "regex-lookaround"],
    ["/(?<year>\\d+)/", "regex-named-group"],
    ["/(a|b)c/", "regex-group-alternation"],
    ["/\\bword/", "regex-word-boundary"],
    ["/(a)\\1/", "regex-backreference"],
    ["/\\u0041/", "regex-unicode-escape"],
    ["/a/u", "regex-flag"],
    ["/a/y", "regex-flag"],
    ["/a/s", "regex-flag"],
    ["/a/m", "regex-flag"],
    ['new RegExp("ab?c")', "regex-optional"],
    ['RegExp("a", "y")', "regex-flag"],
  ];
  it.each(cases)("%s", (regex, rule) => {
    expect(rules(`var r = ${regex};`)).toContain(rule);
  });

  it("accepts what Espruino handles: *, + on characters, classes and escapes, top-level |, g and i", () => {
    expect(rules("var r = [/^([^:@]+):(\\d+)$/, /a+b*[?{]\\?\\{2\\}/gi, /^(ab)$|^c$/, /[\\w.-]+/, /x{/];")).toEqual([]);
  });
});

describe("text", () => {
  it("catches a non-ASCII character in a string, with its line and column", () => {
    const found = errors('var a = 1;\nvar s = "caf\u00e9";');
    expect(found.map((f) => f.rule)).toEqual(["non-ascii"]);
    expect(formatFinding(found[0])).toMatch(/^t\.js:2:13: error \[non-ascii\] non-ASCII character U\+00E9/);
  });

  it("reports the first few non-ASCII characters and counts the rest", () => {
    const found = errors(`var s = "${"\u00e9".repeat(8)}";`);
    expect(found).toHaveLength(5);
    expect(found[4].what).toContain("and 3 more");
  });

  it("flags string escapes the ESP32 reads differently, but not \\xNN", () => {
    expect(rules('var a = "\\u00e9";')).toEqual(["string-escape"]);
    expect(rules('var a = "\\u20ac";')).toEqual(["string-escape"]);
    expect(rules("var a = `\\u{1F600}`;")).toEqual(["string-escape"]);
    expect(rules('var a = "\\xe9\\u007f\\\\u20ac";')).toEqual([]);
  });
});

describe("TypeScript helpers", () => {
  it("are warnings with their size, found by name", () => {
    const code =
      "var __assign = (this && this.__assign) || function () { return Object.assign.apply(null, arguments); };";
    const found = checkBundle(code, "t.js");
    expect(found).toHaveLength(1);
    expect(found[0]).toMatchObject({ severity: "warning", rule: "ts-helper", bytes: code.length - 5 });
    expect(found[0].what).toContain("__assign");
  });

  it("are found by fingerprint once minified", () => {
    const code =
      '!function(){function t(t,e){if("function"!=typeof e&&null!==e)throw new TypeError("Class extends value "+String(e)+" is not a constructor or null");function n(){this.constructor=t}t.prototype=null===e?Object.create(e):(n.prototype=e.prototype,new n)}}();';
    const found = checkBundle(code, "t.js");
    expect(found.map((f) => [f.severity, f.rule])).toEqual([["warning", "ts-helper"]]);
    expect(found[0].what).toMatch(/__extends \(\d+ bytes\)/);
  });
});

describe("gateFiles: size budget and report", () => {
  const root = mkdtempSync(join(tmpdir(), "bundle-gate-"));
  mkdirSync(join(root, "dist"));
  mkdirSync(join(root, "boards"));
  afterAll(() => rmSync(root, { recursive: true, force: true }));
  const bundle = (name: string, code: string) => {
    const file = join(root, "dist", `${name}.js`);
    writeFileSync(file, code);
    return file;
  };
  const board = (name: string, json: object) =>
    writeFileSync(join(root, "boards", `${name}.json`), JSON.stringify(json));

  it("fails a bundle over its board's budgetBytes", () => {
    board("big", { budgetBytes: 10 });
    const file = bundle("big", "var a = 1; var b = 2;");
    const result = gateFiles([file]);
    expect(result.ok).toBe(false);
    expect(result.bundles[0]).toMatchObject({ bytes: 21, budget: 10, ok: false });
    expect(result.report).toContain("over the budget of 10");
    expect(result.report).toMatch(/big\.js\s+21\s+\d+\s+10\s+1\s+0\s+FAIL/);
  });

  it("passes a bundle within budget, printing bytes, gzip and the table", () => {
    board("small", { budgetBytes: 1000 });
    const result = gateFiles([bundle("small", "var a = 1;")]);
    expect(result.ok).toBe(true);
    expect(result.report).toMatch(/small\.js: 10 bytes, gzip \d+, budget 1000 \(1%\)/);
    expect(result.report).toMatch(/^bundle\s+bytes\s+gzip\s+budget\s+errors\s+warnings\s+verdict$/m);
    expect(result.report).toContain("bundle gate: ok");
  });

  it('prints "no budget" when the board file or field is missing', () => {
    board("nofield", { description: "x" });
    const result = gateFiles([bundle("nofield", "var a;"), bundle("noboard", "var b;")]);
    expect(result.ok).toBe(true);
    expect(result.bundles.map((b) => b.budget)).toEqual([undefined, undefined]);
    expect(result.report).toMatch(/nofield\.js: .*no budget/);
    expect(result.report).toMatch(/noboard\.js: .*no budget/);
  });

  it("fails on findings and lists them one per line, warnings do not fail", () => {
    const result = gateFiles([bundle("bad", "var m = new Map();\nvar __extends = function () {};")]);
    expect(result.ok).toBe(false);
    const lines = result.report.split("\n");
    expect(lines.filter((l) => /bad\.js:2:5: warning \[ts-helper\]/.test(l))).toHaveLength(1);
    expect(
      lines.filter((l) => /bad\.js:1:13: error \[global\] global `Map`.* - Espruino has no Map/.test(l)),
    ).toHaveLength(1);
    const warnOnly = gateFiles([bundle("warn", "var __extends = function () {};")]);
    expect(warnOnly.ok).toBe(true);
  });
});

describe("use before var (Espruino creates a var when its statement runs)", () => {
  const rules = (code: string) => checkBundle(code, "t.js").filter((f) => f.rule === "use-before-var");

  it("catches an assignment or a read before the function's var", () => {
    const found = rules(
      "function u(){} function f(e){ for(var n=0;n<e.length;n++)(u=e[n]).x; for(var i=0;i<2;i++){var u;} return u }",
    );
    expect(found.map((f) => f.what)).toEqual(["`u` used before its `var`"]);
    expect(rules("function f(){ x = 1; var x; }")).toHaveLength(1);
  });

  it("accepts vars declared first, parameters, and uses from nested functions", () => {
    expect(rules("function f(){ var u; u = 1; for (var i = 0; i < 2; i++) u += i; return u }")).toEqual([]);
    expect(rules("function f(u){ u = 1; var u; }")).toEqual([]);
    expect(rules("function f(){ function g(){ return u } var u = 1; return g }")).toEqual([]);
  });
});

it("does not mistake a function's own name for a use of its inner var", () => {
  const found = checkBundle("function r(t){for(var r=0;r<t.length;r++)t[r]=0;return t}", "t.js");
  expect(found.filter((f) => f.rule === "use-before-var")).toEqual([]);
});
