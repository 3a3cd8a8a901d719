/**
 * Syntax Espruino cannot run: one row per construct, with the AST node type that carries it,
 * an optional condition on the node, and the reason printed in the finding.
 */
import type * as acorn from "acorn";

export interface SyntaxRule {
  /** Short id, printed in the finding. */
  id: string;
  /** acorn node type (or acorn-walk's aggregate "Function"). */
  nodeType: string;
  /** When present, the rule applies only if this returns true. */
  // Each rule knows its node type; acorn-walk hands nodes over untyped.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  when?: (node: any) => boolean;
  /** What was found, in words. */
  what: string;
  why: string;
}

const PARSE_ERROR = "Espruino 2v29: a parse error";
const PARSES_THEN_THROWS = "Espruino 2v29: parses, then throws at run time";
const SOURCE = "Espruino source";

const isPrivate = (n: acorn.AnyNode | null | undefined) => n?.type === "PrivateIdentifier";

export const SYNTAX_RULES: readonly SyntaxRule[] = [
  {
    id: "default-value",
    nodeType: "AssignmentPattern",
    what: "default value (`a = 1` in parameters or destructuring)",
    why: `${PARSE_ERROR} (default parameters)`,
  },
  {
    id: "rest",
    nodeType: "RestElement",
    what: "rest element `...x` (rest parameter or destructuring)",
    why: `${PARSE_ERROR} (rest parameters)`,
  },
  {
    id: "spread",
    nodeType: "SpreadElement",
    what: "spread `...x` (call, array or object)",
    why: `${PARSE_ERROR} (spread)`,
  },
  { id: "destructuring", nodeType: "ObjectPattern", what: "object destructuring", why: PARSES_THEN_THROWS },
  { id: "destructuring", nodeType: "ArrayPattern", what: "array destructuring", why: PARSES_THEN_THROWS },
  {
    id: "label",
    nodeType: "LabeledStatement",
    what: "labelled statement",
    why: `${PARSES_THEN_THROWS} (labelled break/continue)`,
  },
  {
    id: "async",
    nodeType: "Function",
    when: (n: acorn.Function) => n.async,
    what: "async function",
    why: `${PARSE_ERROR} (async/await)`,
  },
  {
    id: "generator",
    nodeType: "Function",
    when: (n: acorn.Function) => n.generator,
    what: "generator function",
    why: `${PARSE_ERROR} (generators/yield)`,
  },
  {
    id: "for-await",
    nodeType: "ForOfStatement",
    when: (n: acorn.ForOfStatement) => n.await,
    what: "for await",
    why: `${PARSE_ERROR} (async iteration)`,
  },
  { id: "optional-chaining", nodeType: "ChainExpression", what: "optional chaining `?.`", why: PARSE_ERROR },
  {
    id: "exponent",
    nodeType: "BinaryExpression",
    when: (n: acorn.BinaryExpression) => n.operator === "**",
    what: "exponent operator `**`",
    why: `${PARSE_ERROR}: use Math.pow`,
  },
  {
    id: "exponent",
    nodeType: "AssignmentExpression",
    when: (n: acorn.AssignmentExpression) => n.operator === "**=",
    what: "exponent assignment `**=`",
    why: `${PARSE_ERROR}: use Math.pow`,
  },
  {
    id: "logical-assignment",
    nodeType: "AssignmentExpression",
    when: (n: acorn.AssignmentExpression) => ["||=", "&&=", "??="].includes(n.operator),
    what: "logical assignment (`||=`, `&&=`, `??=`)",
    why: `${SOURCE}: the lexer has no such tokens (a parse error)`,
  },
  {
    id: "bigint",
    nodeType: "Literal",
    when: (n: acorn.Literal) => n.bigint !== undefined,
    what: "BigInt literal",
    why: "Espruino has no BigInt",
  },
  {
    id: "private-name",
    nodeType: "MemberExpression",
    when: (n: acorn.MemberExpression) => isPrivate(n.property),
    what: "class private member `#x`",
    why: `${SOURCE}: class members must be plain names`,
  },
  {
    id: "private-name",
    nodeType: "BinaryExpression",
    when: (n: acorn.BinaryExpression) => isPrivate(n.left),
    what: "private brand check `#x in o`",
    why: `${SOURCE}: no private names`,
  },
  {
    id: "private-name",
    nodeType: "PropertyDefinition",
    when: (n: acorn.PropertyDefinition) => isPrivate(n.key),
    what: "class private field `#x`",
    why: `${SOURCE}: class members must be plain names`,
  },
  {
    id: "private-name",
    nodeType: "MethodDefinition",
    when: (n: acorn.MethodDefinition) => isPrivate(n.key),
    what: "class private method `#x()`",
    why: `${SOURCE}: class members must be plain names`,
  },
  {
    id: "class-member-name",
    nodeType: "MethodDefinition",
    when: (n: acorn.MethodDefinition) => n.computed || n.key.type === "Literal",
    what: "class method with a computed or quoted name",
    why: `${SOURCE}: jspeClassDefinition accepts only identifier names`,
  },
  {
    id: "class-member-name",
    nodeType: "PropertyDefinition",
    when: (n: acorn.PropertyDefinition) => n.computed || n.key.type === "Literal",
    what: "class field with a computed or quoted name",
    why: `${SOURCE}: jspeClassDefinition accepts only identifier names`,
  },
  {
    id: "class-field-no-value",
    nodeType: "PropertyDefinition",
    when: (n: acorn.PropertyDefinition) => n.value == null && !isPrivate(n.key),
    what: "class field without an initializer",
    why: `${SOURCE}: a class field must be \`name = value\``,
  },
  { id: "class-static-block", nodeType: "StaticBlock", what: "class static block", why: `${SOURCE}: not parsed` },
  {
    id: "class-extends",
    nodeType: "Class",
    when: (n: acorn.Class) => n.superClass != null && n.superClass.type !== "Identifier",
    what: "class extends an expression",
    why: `${SOURCE}: \`extends\` takes a plain name only`,
  },
  {
    id: "computed-key",
    nodeType: "Property",
    when: (n: acorn.Property) => n.computed,
    what: "computed property key `{[k]: v}`",
    why: `${SOURCE}: object literal keys must be names, strings or numbers`,
  },
  {
    id: "tagged-template",
    nodeType: "TaggedTemplateExpression",
    what: "tagged template",
    why: `${SOURCE}: "Tagged Templates are not supported"`,
  },
  { id: "meta-property", nodeType: "MetaProperty", what: "`new.target` / `import.meta`", why: `${SOURCE}: not parsed` },
  {
    id: "module-syntax",
    nodeType: "ImportDeclaration",
    what: "`import` declaration",
    why: "the bundle must be a plain script (IIFE)",
  },
  {
    id: "module-syntax",
    nodeType: "ImportExpression",
    what: "dynamic `import()`",
    why: "the bundle must be a plain script (IIFE); Espruino has no import()",
  },
  {
    id: "module-syntax",
    nodeType: "ExportNamedDeclaration",
    what: "`export` declaration",
    why: "the bundle must be a plain script (IIFE)",
  },
  {
    id: "module-syntax",
    nodeType: "ExportDefaultDeclaration",
    what: "`export default`",
    why: "the bundle must be a plain script (IIFE)",
  },
  {
    id: "module-syntax",
    nodeType: "ExportAllDeclaration",
    what: "`export *`",
    why: "the bundle must be a plain script (IIFE)",
  },
];
