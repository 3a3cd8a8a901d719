/**
 * A simple scope analysis: is a name bound by a var/let/const/function/class/parameter/catch in
 * one of the scopes enclosing a reference? If not, the reference is to a global.
 *
 * It is deliberately lenient (a `var` anywhere in a function, or a function declaration in any
 * nested block, binds the name for the whole function): a missed global is less likely here than
 * a false alarm, and the bundles are compiled code, not hand-written tricks.
 */
import type * as acorn from "acorn";

type AnyNode = acorn.AnyNode;

const declaredCache = new WeakMap<AnyNode, ReadonlySet<string>>();

/** True when `name` is declared in a scope that encloses the last node of `ancestors`. */
export function isLocallyBound(name: string, ancestors: readonly AnyNode[]): boolean {
  for (let i = ancestors.length - 1; i >= 0; i--) {
    if (declaredIn(ancestors[i]).has(name)) return true;
  }
  return false;
}

/** Names a node declares for the code inside it (empty for nodes that are no scope). */
function declaredIn(node: AnyNode): ReadonlySet<string> {
  let names = declaredCache.get(node);
  if (!names) {
    names = new Set(collectDeclared(node));
    declaredCache.set(node, names);
  }
  return names;
}

function collectDeclared(node: AnyNode): string[] {
  switch (node.type) {
    case "Program":
      return [...hoisted(node), ...lexical(node.body)];
    case "FunctionDeclaration":
    case "FunctionExpression":
    case "ArrowFunctionExpression": {
      const own = node.type === "FunctionExpression" && node.id ? [node.id.name] : [];
      return [...own, ...node.params.flatMap(patternNames), ...hoisted(node)];
    }
    case "ClassDeclaration":
    case "ClassExpression":
      return node.id ? [node.id.name] : [];
    case "BlockStatement":
    case "StaticBlock":
      return lexical(node.body);
    case "SwitchStatement":
      return lexical(node.cases.flatMap((c) => c.consequent));
    case "ForStatement":
      return node.init?.type === "VariableDeclaration" ? declarationNames(node.init) : [];
    case "ForInStatement":
    case "ForOfStatement":
      return node.left.type === "VariableDeclaration" ? declarationNames(node.left) : [];
    case "CatchClause":
      return node.param ? patternNames(node.param) : [];
    default:
      return [];
  }
}

/** let/const/class/function declared directly in a statement list. */
function lexical(statements: readonly AnyNode[]): string[] {
  return statements.flatMap((s) => {
    if (s.type === "VariableDeclaration" && s.kind !== "var") return declarationNames(s);
    if ((s.type === "FunctionDeclaration" || s.type === "ClassDeclaration") && s.id) return [s.id.name];
    return [];
  });
}

/** `var` names and function declarations anywhere below `root`, not entering nested functions. */
function hoisted(root: AnyNode): string[] {
  const names: string[] = [];
  const visit = (node: AnyNode): void => {
    if (node.type === "VariableDeclaration" && node.kind === "var") names.push(...declarationNames(node));
    if (node.type === "FunctionDeclaration" && node.id) names.push(node.id.name);
    if (isFunction(node) && node !== root) return;
    for (const child of children(node)) visit(child);
  };
  visit(root);
  return names;
}

function declarationNames(d: acorn.VariableDeclaration): string[] {
  return d.declarations.flatMap((v) => patternNames(v.id));
}

/** Names bound by a binding pattern. */
export function patternNames(p: AnyNode | null): string[] {
  if (!p) return [];
  switch (p.type) {
    case "Identifier":
      return [p.name];
    case "ObjectPattern":
      return p.properties.flatMap((prop) => patternNames(prop.type === "Property" ? prop.value : prop));
    case "ArrayPattern":
      return p.elements.flatMap((e) => patternNames(e));
    case "AssignmentPattern":
      return patternNames(p.left);
    case "RestElement":
      return patternNames(p.argument);
    default:
      return [];
  }
}

function isFunction(node: AnyNode): boolean {
  return (
    node.type === "FunctionDeclaration" || node.type === "FunctionExpression" || node.type === "ArrowFunctionExpression"
  );
}

/** Every child node, found generically from the node's fields. */
function children(node: AnyNode): AnyNode[] {
  const out: AnyNode[] = [];
  for (const [key, value] of Object.entries(node)) {
    if (key === "loc") continue;
    if (Array.isArray(value)) {
      for (const v of value) if (isNode(v)) out.push(v);
    } else if (isNode(value)) out.push(value);
  }
  return out;
}

function isNode(v: unknown): v is AnyNode {
  return typeof v === "object" && v !== null && typeof (v as { type?: unknown }).type === "string";
}
