// BBH boolean_expressions: "not ( True and False ) or True" → "True". Python precedence
// (not > and > or); the answer is computed from the generated tree, never by evaluating text.

import type { Rng } from "../../util/rng.js";
import type { BbhItem } from "./problem.js";

export type BoolExpr =
  { kind: "lit"; value: boolean } | { kind: "not"; x: BoolExpr } | { kind: "and" | "or"; l: BoolExpr; r: BoolExpr };

const PREC = { or: 1, and: 2, not: 3, lit: 4 } as const;

export function evalBool(e: BoolExpr): boolean {
  switch (e.kind) {
    case "lit":
      return e.value;
    case "not":
      return !evalBool(e.x);
    case "and":
      return evalBool(e.l) && evalBool(e.r);
    case "or":
      return evalBool(e.l) || evalBool(e.r);
  }
}

/** Space-separated tokens as BBH writes them; parentheses where precedence needs them, sometimes more. */
export function printBool(e: BoolExpr, rng?: Rng): string {
  const wrap = (child: BoolExpr, need: boolean): string => {
    const text = printBool(child, rng);
    // Redundant parentheses now and then, as in BBH ("not ( True ) and ( True )").
    const extra = child.kind !== "lit" && rng !== undefined && rng.next() < 0.15;
    return need || extra ? `( ${text} )` : text;
  };
  switch (e.kind) {
    case "lit":
      return e.value ? "True" : "False";
    case "not":
      return `not ${wrap(e.x, PREC[e.x.kind] < PREC.not)}`;
    default:
      return `${wrap(e.l, PREC[e.l.kind] < PREC[e.kind])} ${e.kind} ${wrap(e.r, PREC[e.r.kind] < PREC[e.kind])}`;
  }
}

function randomBool(rng: Rng, leaves: number): BoolExpr {
  let e: BoolExpr;
  if (leaves <= 1) e = { kind: "lit", value: rng.next() < 0.5 };
  else {
    const k = rng.int(1, leaves - 1);
    e = { kind: rng.next() < 0.5 ? "and" : "or", l: randomBool(rng, k), r: randomBool(rng, leaves - k) };
  }
  return rng.next() < 0.25 ? { kind: "not", x: e } : e;
}

export const MAX_BOOL_INPUT = 48;

export function generateBoolean(rng: Rng): BbhItem {
  // Most draws fit; the bound turns a broken length limit into an error instead of a hang.
  for (let tries = 0; tries < 10_000; tries++) {
    const e = randomBool(rng, rng.int(2, 4));
    const input = printBool(e, rng);
    if (input.length <= MAX_BOOL_INPUT) return { input, target: evalBool(e) ? "True" : "False" };
  }
  throw new Error("generateBoolean: no expression fits MAX_BOOL_INPUT");
}
