// BBH multistep_arithmetic: "((-1 + 2) * (3 - 4)) =" → "-1". Small integers, + - *, every
// operation parenthesised as in BBH. The target is computed from the generator's own tree.

import type { Rng } from "../../util/rng.js";
import type { BbhItem } from "./problem.js";

export type ArithOp = "+" | "-" | "*";
export type ArithExpr = { kind: "num"; value: number } | { kind: "op"; op: ArithOp; l: ArithExpr; r: ArithExpr };

export function evalArith(e: ArithExpr): number {
  if (e.kind === "num") return e.value;
  const a = evalArith(e.l);
  const b = evalArith(e.r);
  return e.op === "+" ? a + b : e.op === "-" ? a - b : a * b;
}

export function printArith(e: ArithExpr): string {
  return e.kind === "num" ? String(e.value) : `(${printArith(e.l)} ${e.op} ${printArith(e.r)})`;
}

function randomArith(rng: Rng, leaves: number): ArithExpr {
  if (leaves <= 1) return { kind: "num", value: rng.int(-9, 9) };
  const k = rng.int(1, leaves - 1);
  return {
    kind: "op",
    op: rng.pick(["+", "-", "*"] as const),
    l: randomArith(rng, k),
    r: randomArith(rng, leaves - k),
  };
}

/** 2-4 operands in -9..9, so every intermediate value stays a small exact integer. */
export function generateArithmetic(rng: Rng): BbhItem {
  const e = randomArith(rng, rng.int(2, 4));
  // `+ 0` turns -0 into 0.
  return { input: `${printArith(e)} =`, target: String(evalArith(e) + 0) };
}
