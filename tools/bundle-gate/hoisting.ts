/**
 * Espruino creates a `var` when its statement runs, not when the function is entered (measured on
 * 2v29: a minifier's `(u=e[n])` before a later `var u` overwrote the outer function `u`). So a
 * variable used in its function before its first `var` statement reaches whatever outer variable
 * has that name. This finds such uses; the build avoids them with terser's `hoist_vars`.
 */
import type * as acorn from "acorn";
import * as walk from "acorn-walk";

type AnyNode = acorn.AnyNode;

export interface EarlyUse {
  node: acorn.Identifier;
  declaredAt: number;
}

/** Every reference (read or assignment) to a function's own `var` placed before that var's first declaration. */
export function usesBeforeVar(ast: acorn.Program): EarlyUse[] {
  const found: EarlyUse[] = [];
  const firstVar = new WeakMap<AnyNode, Map<string, number>>();

  const varsOf = (fn: AnyNode): Map<string, number> => {
    let vars = firstVar.get(fn);
    if (!vars) {
      vars = new Map();
      const into = vars;
      walk.recursive(fn, null, {
        Function(node, _st, c) {
          if (node === fn) c((node as acorn.Function).body, null);
        },
        VariableDeclaration(node: acorn.VariableDeclaration, st, c) {
          if (node.kind === "var") {
            for (const d of node.declarations) {
              if (d.id.type === "Identifier" && !into.has(d.id.name)) into.set(d.id.name, d.start);
            }
          }
          for (const d of node.declarations) if (d.init) c(d.init, st);
        },
      });
      firstVar.set(fn, vars);
    }
    return vars;
  };

  const check = (id: acorn.Identifier, ancestors: AnyNode[]) => {
    const parent = ancestors[ancestors.length - 2];
    if (parent && parent.type === "VariableDeclarator" && parent.id === id) return;
    // A function's own name is bound outside its body.
    if (parent && (parent.type === "FunctionDeclaration" || parent.type === "FunctionExpression") && parent.id === id)
      return;
    for (let i = ancestors.length - 2; i >= 0; i--) {
      const scope = ancestors[i];
      const isFn =
        scope.type === "FunctionDeclaration" ||
        scope.type === "FunctionExpression" ||
        scope.type === "ArrowFunctionExpression";
      if (!isFn) continue;
      const fn = scope as acorn.Function;
      if (fn.params.some((p) => p.type === "Identifier" && p.name === id.name)) return;
      const declaredAt = varsOf(fn as AnyNode).get(id.name);
      if (declaredAt !== undefined && id.start < declaredAt) found.push({ node: id, declaredAt });
      // Only the nearest function: uses from a nested function usually run later.
      return;
    }
  };

  // Assignment targets are walked as "VariablePattern", which acorn-walk's types do not list.
  const visitors = {
    Identifier: (node: AnyNode, _st: unknown, ancestors: AnyNode[]) => check(node as acorn.Identifier, ancestors),
    VariablePattern: (node: AnyNode, _st: unknown, ancestors: AnyNode[]) => check(node as acorn.Identifier, ancestors),
  };
  walk.ancestor(ast, visitors as walk.AncestorVisitors<unknown>);
  return found;
}
