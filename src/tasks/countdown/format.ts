// Canonical printing of expression trees, shared by the generator and the solver so that the same
// solution always reads the same way (and commutative/associative variants collapse to one string).
// Sums are flattened into "positive terms, then subtracted terms" and products into "factors, then
// divisors", each group sorted by value descending. With positive-integer trees, evaluating the printed
// string left to right keeps every partial result a positive integer as well.

import type { Op } from "./expression.js";

export type ExprTree =
  | { kind: "num"; value: number }
  | { kind: "op"; op: Op; left: ExprTree; right: ExprTree; /** for ordering only */ approx: number };

export function approxOf(tree: ExprTree): number {
  return tree.kind === "num" ? tree.value : tree.approx;
}

interface Term {
  text: string;
  approx: number;
}

function isAdditive(tree: ExprTree): boolean {
  return tree.kind === "op" && (tree.op === "+" || tree.op === "-");
}

/**
 * Splits a chain of one precedence level into the operands that are added (multiplied) and those
 * that are subtracted (divided). Iterative so that even degenerate deep trees cannot overflow the stack.
 */
function collectChain(root: ExprTree, additive: boolean, pos: ExprTree[], neg: ExprTree[]): void {
  const inverse: Op = additive ? "-" : "/";
  const forward: Op = additive ? "+" : "*";
  const work: Array<{ tree: ExprTree; negated: boolean }> = [{ tree: root, negated: false }];
  for (let item = work.pop(); item !== undefined; item = work.pop()) {
    const { tree, negated } = item;
    if (tree.kind === "op" && (tree.op === forward || tree.op === inverse)) {
      work.push({ tree: tree.right, negated: tree.op === inverse ? !negated : negated });
      work.push({ tree: tree.left, negated });
    } else {
      (negated ? neg : pos).push(tree);
    }
  }
}

function byValueDesc(a: Term, b: Term): number {
  if (a.approx !== b.approx) return b.approx - a.approx;
  return a.text < b.text ? -1 : a.text > b.text ? 1 : 0;
}

/** Prints a tree with ASCII operators, no spaces and only the parentheses precedence requires. */
export function formatExpr(tree: ExprTree): string {
  if (tree.kind === "num") return String(tree.value);
  const additive = isAdditive(tree);
  const pos: ExprTree[] = [];
  const neg: ExprTree[] = [];
  collectChain(tree, additive, pos, neg);
  const term = (t: ExprTree): Term => {
    const text = formatExpr(t);
    // Inside a product, a sum needs parentheses; inside a sum, nothing does.
    return { text: !additive && isAdditive(t) ? `(${text})` : text, approx: approxOf(t) };
  };
  const plus = pos.map(term).sort(byValueDesc);
  const minus = neg.map(term).sort(byValueDesc);
  const [fwd, inv] = additive ? ["+", "-"] : ["*", "/"];
  let out = plus.map((t) => t.text).join(fwd);
  for (const t of minus) out += inv + t.text;
  return out;
}
