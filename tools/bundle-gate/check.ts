/**
 * checkBundle: parse one bundle with acorn and report what Espruino cannot run.
 */
import * as acorn from "acorn";
import * as walk from "acorn-walk";
import {
  ALLOWED_MODULES,
  ALLOWED_REGEX_FLAGS,
  ESPRUINO_STATICS,
  FORBIDDEN_GLOBALS,
  FORBIDDEN_MEMBERS,
  FUNCTION_MEMBERS,
  HELPER_WHY,
  NON_ASCII_REPORTED,
  NON_ASCII_WHY,
  TS_HELPERS,
} from "./rules";
import { SYNTAX_RULES } from "./syntax";
import { checkRegex } from "./regex";
import { isLocallyBound } from "./scope";
import { usesBeforeVar } from "./hoisting";

type AnyNode = acorn.AnyNode;

export type Severity = "error" | "warning";

export interface Finding {
  /** The bundle's name or path, as given. */
  file: string;
  /** 1-based. */
  line: number;
  /** 1-based. */
  column: number;
  severity: Severity;
  /** Short id of the check, e.g. "spread", "global", "regex-optional". */
  rule: string;
  /** What was found. */
  what: string;
  /** Why Espruino cannot run it. */
  why: string;
  /** The start of the offending code. */
  excerpt?: string;
  /** Size in bytes (TypeScript helpers). */
  bytes?: number;
}

/** One line per finding: `file:line:col: error [rule] what: `code` - why`. */
export function formatFinding(f: Finding): string {
  const excerpt = f.excerpt && !f.what.includes(`\`${f.excerpt}\``) ? `: \`${f.excerpt}\`` : "";
  return `${f.file}:${f.line}:${f.column}: ${f.severity} [${f.rule}] ${f.what}${excerpt} - ${f.why}`;
}

/** Everything Espruino cannot run in `code`, sorted by position. `name` labels the findings. */
export function checkBundle(code: string, name: string): Finding[] {
  const findings = checkText(code, name);
  const tokens: acorn.Token[] = [];
  let ast: acorn.Program;
  try {
    ast = acorn.parse(code, {
      ecmaVersion: "latest",
      sourceType: "script",
      locations: true,
      // Parse import/export so they are reported as findings rather than as a parse error.
      allowImportExportEverywhere: true,
      onToken: tokens,
    });
  } catch (e) {
    findings.push(parseErrorFinding(e, name));
    return sortFindings(findings);
  }
  const at = locator(code, name);
  findings.push(...checkRegexPlacement(tokens, code, at));
  findings.push(...checkTree(ast, at));
  for (const early of usesBeforeVar(ast)) {
    findings.push(
      at(
        early.node,
        "use-before-var",
        `\`${early.node.name}\` used before its \`var\``,
        "Espruino creates a var when its statement runs: this use reaches an outer variable of that name (build with terser's hoist_vars)",
      ),
    );
  }
  findings.push(...findHelpers(ast, code, at));
  return sortFindings(findings);
}

// ---------------------------------------------------------------------------------------------
// Locating findings

type At = (
  node: { start: number; end: number },
  rule: string,
  what: string,
  why: string,
  severity?: Severity,
) => Finding;

function locator(code: string, file: string): At {
  return (node, rule, what, why, severity = "error") => {
    const pos = acorn.getLineInfo(code, node.start);
    return { file, line: pos.line, column: pos.column + 1, severity, rule, what, why, excerpt: excerpt(code, node) };
  };
}

function excerpt(code: string, node: { start: number; end: number }, max = 40): string {
  const text = code.slice(node.start, Math.min(node.end, node.start + max + 1)).replace(/\s+/g, " ");
  return text.length > max ? `${text.slice(0, max)}...` : text;
}

function sortFindings(findings: Finding[]): Finding[] {
  return findings.sort((a, b) => a.line - b.line || a.column - b.column);
}

function parseErrorFinding(e: unknown, file: string): Finding {
  const err = e as { message?: string; loc?: { line: number; column: number } };
  return {
    file,
    line: err.loc?.line ?? 1,
    column: (err.loc?.column ?? 0) + 1,
    severity: "error",
    rule: "parse",
    what: `parse error: ${err.message ?? String(e)}`,
    why: "the bundle is not valid JavaScript, so Espruino cannot load it either",
  };
}

// ---------------------------------------------------------------------------------------------
// Text: non-ASCII characters, hashbang

function checkText(code: string, file: string): Finding[] {
  const findings: Finding[] = [];
  const at = (offset: number, rule: string, what: string, why: string): Finding => {
    const pos = acorn.getLineInfo(code, offset);
    return { file, line: pos.line, column: pos.column + 1, severity: "error", rule, what, why };
  };
  if (code.startsWith("#!")) findings.push(at(0, "hashbang", "`#!` line", "Espruino does not skip a hashbang line"));
  let count = 0;
  for (let i = 0; i < code.length; i++) {
    const c = code.charCodeAt(i);
    if (c <= 0x7f) continue;
    count++;
    if (count <= NON_ASCII_REPORTED) {
      const hex = c.toString(16).toUpperCase().padStart(4, "0");
      findings.push(at(i, "non-ascii", `non-ASCII character U+${hex}`, NON_ASCII_WHY));
    }
  }
  if (count > NON_ASCII_REPORTED) {
    findings[findings.length - 1].what += ` (and ${count - NON_ASCII_REPORTED} more in this file)`;
  }
  return findings;
}

// ---------------------------------------------------------------------------------------------
// Tokens: where Espruino's lexer takes `/` for a regex

/**
 * Espruino reads `/` as the start of a regex only after these tokens, a keyword (but not
 * true/false/null) or at the start (source: jslex.c, JSLJT_FORWARDSLASH).
 */
const REGEX_MAY_FOLLOW: ReadonlySet<string> = new Set(
  (
    "! % & * + - / < = > ? [ { } ( , ; : ${ " +
    "== === != !== <= << <<= >= >> >>> >>= >>>= += -= ++ -- *= /= %= &= && |= || ^= => ??"
  ).split(" "),
);

function checkRegexPlacement(tokens: acorn.Token[], code: string, at: At): Finding[] {
  const findings: Finding[] = [];
  tokens.forEach((token, i) => {
    if (token.type.label !== "regexp" || i === 0) return;
    const prev = tokens[i - 1];
    const keyword = prev.type.keyword;
    if (keyword && !["true", "false", "null"].includes(keyword)) return;
    const prevText = code.slice(prev.start, prev.end);
    if (REGEX_MAY_FOLLOW.has(prevText)) return;
    findings.push(
      at(
        token,
        "regex-placement",
        `regex literal right after \`${prevText}\``,
        "Espruino's lexer reads this `/` as division (source: jslex.c): put the regex in a variable or parentheses",
      ),
    );
  });
  return findings;
}

// ---------------------------------------------------------------------------------------------
// The syntax tree

// Each handler names its node type; acorn-walk hands nodes over untyped.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Handler = (node: any, ancestors: AnyNode[]) => void;

function checkTree(ast: acorn.Program, at: At): Finding[] {
  const findings: Finding[] = [];
  const handlers = new Map<string, Handler[]>();
  const on = (type: string, handler: Handler) => handlers.set(type, [...(handlers.get(type) ?? []), handler]);

  for (const rule of SYNTAX_RULES) {
    on(rule.nodeType, (node) => {
      if (!rule.when || rule.when(node)) findings.push(at(node, rule.id, rule.what, rule.why));
    });
  }
  on("Identifier", (node: acorn.Identifier, ancestors) => {
    const why = FORBIDDEN_GLOBALS.get(node.name);
    if (why && !isLocallyBound(node.name, ancestors) && !isFeatureTested(node.name, ancestors)) {
      findings.push(at(node, "global", `global \`${node.name}\``, why));
    }
  });
  on("MemberExpression", (node: acorn.MemberExpression, ancestors) => {
    const problem = memberProblem(node, ancestors);
    if (problem) findings.push(at(node, "member", `\`${problem.name}\``, problem.why));
  });
  on("CallExpression", (node: acorn.CallExpression, ancestors) => {
    const problem = requireProblem(node, ancestors);
    if (problem) findings.push(at(node, "require", problem.what, problem.why));
  });
  const regexConstructor = (node: acorn.CallExpression | acorn.NewExpression, ancestors: AnyNode[]) => {
    if (!isGlobalNamed(node.callee, "RegExp", ancestors)) return;
    const [pattern, flags] = node.arguments.map(stringValue);
    if (pattern === undefined) return;
    for (const issue of checkRegex(pattern, flags ?? "", ALLOWED_REGEX_FLAGS)) {
      findings.push(at(node, issue.id, `RegExp ${issue.what}`, issue.why));
    }
  };
  on("CallExpression", regexConstructor);
  on("NewExpression", regexConstructor);
  on("Literal", (node: acorn.Literal) => {
    if (node.regex) {
      for (const issue of checkRegex(node.regex.pattern, node.regex.flags, ALLOWED_REGEX_FLAGS)) {
        findings.push(at(node, issue.id, `regex ${issue.what}`, issue.why));
      }
    } else if (typeof node.value === "string" && node.raw) {
      for (const e of stringEscapeProblems(node.raw)) findings.push(at(node, "string-escape", e.what, e.why));
    }
  });
  on("TemplateElement", (node: acorn.TemplateElement) => {
    for (const e of stringEscapeProblems(node.value.raw)) findings.push(at(node, "string-escape", e.what, e.why));
  });

  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const visitors: Record<string, (node: any, state: unknown, ancestors: AnyNode[]) => void> = {};
  for (const [type, list] of handlers) {
    visitors[type] = (node, _state, ancestors) => list.forEach((h) => h(node, ancestors));
  }
  walk.ancestor(ast, visitors as walk.AncestorVisitors<unknown>);
  return findings;
}

/** `Array.from`, `process.nextTick`, `Math.hypot`, ... on an unshadowed built-in. */
function memberProblem(node: acorn.MemberExpression, ancestors: AnyNode[]): { name: string; why: string } | undefined {
  if (node.object.type !== "Identifier") return undefined;
  const object = node.object.name;
  const member = propertyName(node);
  if (member === undefined || isLocallyBound(object, ancestors)) return undefined;
  const name = `${object}.${member}`;
  const known = ESPRUINO_STATICS.get(object);
  const why =
    FORBIDDEN_MEMBERS.get(name) ??
    (known && !known.has(member) && !FUNCTION_MEMBERS.has(member)
      ? `not in Espruino: its ${object} has only ${[...known].join(", ")} (source: jswrap_*.c)`
      : undefined);
  if (!why || isPolyfill(node, ancestors) || isFeatureTested(name, ancestors)) return undefined;
  return { name, why };
}

/** require(x): x must be a string literal naming an allowed built-in module. */
function requireProblem(node: acorn.CallExpression, ancestors: AnyNode[]): { what: string; why: string } | undefined {
  if (!isGlobalNamed(node.callee, "require", ancestors)) return undefined;
  const name = node.arguments.length === 1 ? stringValue(node.arguments[0]) : undefined;
  if (name === undefined) {
    return {
      what: "require() without a single string literal",
      why: "the bundler must resolve every module; on the device require() only reaches built-in modules by name",
    };
  }
  if (ALLOWED_MODULES.has(name)) return undefined;
  return {
    what: `\`require("${name}")\``,
    why: `not an allowed Espruino built-in module (ALLOWED_MODULES: ${[...ALLOWED_MODULES].join(", ")}); bundle it instead`,
  };
}

// ---------------------------------------------------------------------------------------------
// String literals

const STRING_ESCAPE = {
  codePoint: {
    what: "`\\u{...}` escape",
    why: 'Espruino\'s lexer accepts only \\uNNNN (source: jslex.c, "Invalid escape sequence")',
  },
  highByte: {
    what: "`\\u00NN` escape above 0x7F",
    why: "UTF-8 encoded (2 bytes) on the Linux build, 1 byte on the ESP32: write \\xNN",
  },
  wide: {
    what: "`\\uNNNN` escape above 0xFF",
    why: "the ESP32 build keeps only the low byte (source: jslex.c); build such strings as bytes",
  },
};

/** Escapes in a string or template literal's source that differ on the ESP32 build. */
function stringEscapeProblems(raw: string): { what: string; why: string }[] {
  const problems = new Set<{ what: string; why: string }>();
  for (let i = 0; i < raw.length; i++) {
    if (raw[i] !== "\\") continue;
    if (raw[i + 1] === "u") {
      if (raw[i + 2] === "{") problems.add(STRING_ESCAPE.codePoint);
      else {
        const code = parseInt(raw.slice(i + 2, i + 6), 16);
        if (code > 0xff) problems.add(STRING_ESCAPE.wide);
        else if (code > 0x7f) problems.add(STRING_ESCAPE.highByte);
      }
    }
    i++; // skip the escaped character
  }
  return [...problems];
}

// ---------------------------------------------------------------------------------------------
// TypeScript helpers (warnings)

function findHelpers(ast: acorn.Program, code: string, at: At): Finding[] {
  const helperNames = new Set(TS_HELPERS.map((h) => h.name));
  const functions: AnyNode[] = [];
  const named: { name: string; node: AnyNode }[] = [];
  walk.full(ast, (node) => {
    if (
      node.type === "FunctionDeclaration" ||
      node.type === "FunctionExpression" ||
      node.type === "ArrowFunctionExpression"
    ) {
      functions.push(node);
    }
    if (
      (node.type === "VariableDeclarator" || node.type === "FunctionDeclaration") &&
      node.id?.type === "Identifier" &&
      helperNames.has(node.id.name)
    ) {
      named.push({ name: node.id.name, node });
    }
  });
  const findings = named.map(({ name, node }) => helperFinding(at, node, name));
  const reported = new Set<AnyNode>(named.map((n) => n.node));
  for (const helper of TS_HELPERS) {
    for (const match of code.matchAll(new RegExp(helper.fingerprint.source, "g"))) {
      const pos = match.index ?? 0;
      if (named.some(({ node }) => node.start <= pos && pos < node.end)) continue;
      const fn = innermost(functions, pos);
      if (!fn || reported.has(fn)) continue;
      reported.add(fn);
      findings.push(helperFinding(at, fn, helper.name));
    }
  }
  return findings;
}

function helperFinding(at: At, node: AnyNode, name: string): Finding {
  const bytes = node.end - node.start;
  return { ...at(node, "ts-helper", `TypeScript helper ${name} (${bytes} bytes)`, HELPER_WHY, "warning"), bytes };
}

function innermost(functions: AnyNode[], pos: number): AnyNode | undefined {
  let best: AnyNode | undefined;
  for (const fn of functions) {
    if (fn.start <= pos && pos < fn.end && (!best || fn.start >= best.start)) best = fn;
  }
  return best;
}

// ---------------------------------------------------------------------------------------------
// Small AST helpers

function stringValue(node: AnyNode | undefined): string | undefined {
  return node?.type === "Literal" && typeof node.value === "string" ? node.value : undefined;
}

function propertyName(node: acorn.MemberExpression): string | undefined {
  if (!node.computed && node.property.type === "Identifier") return node.property.name;
  return node.computed ? stringValue(node.property) : undefined;
}

function isGlobalNamed(node: AnyNode, name: string, ancestors: AnyNode[]): boolean {
  return node.type === "Identifier" && node.name === name && !isLocallyBound(name, ancestors);
}

/**
 * `Number.isFinite = Number.isFinite || function ...`: a polyfill defines the member, or reads it
 * with a fallback (a missing member reads as undefined; only a missing global would throw).
 */
function isPolyfill(node: AnyNode, ancestors: AnyNode[]): boolean {
  const parent = ancestors[ancestors.length - 2];
  if (parent?.type === "AssignmentExpression") return parent.left === node;
  return parent?.type === "LogicalExpression" && parent.operator !== "&&" && parent.left === node;
}

/** `a.b.c` for identifiers and non-computed members, else undefined. */
function dottedName(node: AnyNode): string | undefined {
  if (node.type === "Identifier") return node.name;
  if (node.type !== "MemberExpression") return undefined;
  const object = dottedName(node.object);
  const member = propertyName(node);
  return object !== undefined && member !== undefined ? `${object}.${member}` : undefined;
}

/**
 * A feature test runs fine on the device: `typeof Symbol`, and uses guarded by one, as in
 * `typeof Symbol === "function" && Symbol.iterator` or `if (typeof Map !== "undefined") ...`.
 */
function isFeatureTested(name: string, ancestors: AnyNode[]): boolean {
  for (let i = ancestors.length - 2; i >= 0; i--) {
    const parent = ancestors[i];
    const child = ancestors[i + 1];
    if (parent.type === "UnaryExpression" && parent.operator === "typeof" && i === ancestors.length - 2) return true;
    const guard =
      (parent.type === "LogicalExpression" && parent.operator === "&&" && parent.right === child && parent.left) ||
      ((parent.type === "ConditionalExpression" || parent.type === "IfStatement") &&
        parent.consequent === child &&
        parent.test);
    if (guard && testsTypeof(guard, name)) return true;
  }
  return false;
}

function testsTypeof(expression: AnyNode, name: string): boolean {
  let found = false;
  walk.simple(expression, {
    UnaryExpression(node) {
      if (node.operator === "typeof" && dottedName(node.argument) === name) found = true;
    },
  });
  return found;
}
