// Exhaustive Countdown solver. It plays the game literally: pick two numbers from the pool, combine
// them, put the result back, until one number is left. Recording those moves gives the step form the
// corpus builder turns into hints ("44+35=79"); printing the tree canonically gives the answer string.

import type { Op } from "./expression.js";
import { formatExpr, type ExprTree } from "./format.js";
import { Rational } from "./rational.js";
import type { CountdownPuzzle } from "./verify.js";

/** One move of a solution: combine two numbers with an operator. */
export interface SolveStep {
  a: number;
  op: Op;
  b: number;
  /** a op b. Exact in integer mode; a floating-point approximation when integerOnly is false. */
  result: number;
}

/** A solution found by the solver: the expression and its moves. */
export interface CountdownSolution {
  /** Canonical answer: ASCII operators, no spaces, minimal parentheses. */
  expression: string;
  /** One order of moves that reaches the target. */
  steps: SolveStep[];
}

/** Limits for the exhaustive solver. */
export interface SolveOptions {
  /** Stop after this many distinct solutions (default: all). */
  limit?: number;
  /** Require every intermediate result to be a positive integer (default true). */
  integerOnly?: boolean;
}

// The search is factorial in the pool size; beyond this it stops being a quick call.
const MAX_NUMS = 6;

interface Item<V> {
  value: V;
  tree: ExprTree;
}

interface Move<V> {
  op: Op;
  x: Item<V>;
  y: Item<V>;
  value: V;
}

interface Arithmetic<V> {
  leaf(n: number): V;
  /** Every allowed "x op y" over the unordered pair {a, b}. */
  moves(a: Item<V>, b: Item<V>): Array<Move<V>>;
  isTarget(v: V): boolean;
  approx(v: V): number;
}

function integerArithmetic(target: number): Arithmetic<number> {
  return {
    leaf: (n) => n,
    moves(a, b) {
      const [hi, lo] = a.value >= b.value ? [a, b] : [b, a];
      const out: Array<Move<number>> = [];
      const add = (op: Op, value: number): void => {
        // Past 2^53 plain numbers stop being exact; such branches cannot be trusted, so skip them.
        if (value > 0 && Number.isSafeInteger(value)) out.push({ op, x: hi, y: lo, value });
      };
      add("+", hi.value + lo.value);
      add("*", hi.value * lo.value);
      add("-", hi.value - lo.value);
      if (lo.value !== 0 && hi.value % lo.value === 0) add("/", hi.value / lo.value);
      return out;
    },
    isTarget: (v) => v === target,
    approx: (v) => v,
  };
}

function rationalArithmetic(target: number): Arithmetic<Rational> {
  const goal = Number.isSafeInteger(target) ? Rational.fromInt(target) : null;
  return {
    leaf: (n) => Rational.fromInt(n),
    moves(a, b) {
      const out: Array<Move<Rational>> = [
        { op: "+", x: a, y: b, value: a.value.add(b.value) },
        { op: "*", x: a, y: b, value: a.value.mul(b.value) },
        { op: "-", x: a, y: b, value: a.value.sub(b.value) },
        { op: "-", x: b, y: a, value: b.value.sub(a.value) },
      ];
      const ab = a.value.div(b.value);
      if (ab !== null) out.push({ op: "/", x: a, y: b, value: ab });
      const ba = b.value.div(a.value);
      if (ba !== null) out.push({ op: "/", x: b, y: a, value: ba });
      return out;
    },
    isTarget: (v) => goal !== null && v.equals(goal),
    approx: (v) => v.toNumber(),
  };
}

function search<V>(nums: readonly number[], arith: Arithmetic<V>, limit: number): CountdownSolution[] {
  const found = new Map<string, CountdownSolution>();
  const steps: SolveStep[] = [];

  const visit = (pool: Array<Item<V>>): void => {
    if (pool.length === 1) {
      const last = pool[0] as Item<V>;
      if (!arith.isTarget(last.value)) return;
      const expression = formatExpr(last.tree);
      if (!found.has(expression)) found.set(expression, { expression, steps: steps.slice() });
      return;
    }
    for (let i = 0; i < pool.length; i++) {
      for (let j = i + 1; j < pool.length; j++) {
        const rest = pool.filter((_, k) => k !== i && k !== j);
        for (const m of arith.moves(pool[i] as Item<V>, pool[j] as Item<V>)) {
          const approx = arith.approx(m.value);
          const tree: ExprTree = { kind: "op", op: m.op, left: m.x.tree, right: m.y.tree, approx };
          steps.push({ a: arith.approx(m.x.value), op: m.op, b: arith.approx(m.y.value), result: approx });
          rest.push({ value: m.value, tree });
          visit(rest);
          rest.pop();
          steps.pop();
          if (found.size >= limit) return;
        }
      }
    }
  };

  if (limit > 0 && nums.length > 0) {
    visit(nums.map((n) => ({ value: arith.leaf(n), tree: { kind: "num", value: n } })));
  }
  return [...found.values()];
}

/** Distinct solutions with the moves that produce them. Throws RangeError for more than 6 numbers. */
export function solveCountdownSteps(puzzle: CountdownPuzzle, opts: SolveOptions = {}): CountdownSolution[] {
  const limit = opts.limit ?? Number.POSITIVE_INFINITY;
  if (puzzle.nums.length > MAX_NUMS) {
    throw new RangeError(`solveCountdown: at most ${MAX_NUMS} numbers (got ${puzzle.nums.length})`);
  }
  for (const n of puzzle.nums) {
    if (!Number.isSafeInteger(n) || n < 0) throw new RangeError(`solveCountdown: ${n} is not a non-negative integer`);
  }
  return opts.integerOnly === false
    ? search(puzzle.nums, rationalArithmetic(puzzle.target), limit)
    : search(puzzle.nums, integerArithmetic(puzzle.target), limit);
}

/** Distinct canonical solution strings (same format as generated solutions). */
export function solveCountdown(puzzle: CountdownPuzzle, opts: SolveOptions = {}): string[] {
  return solveCountdownSteps(puzzle, opts).map((s) => s.expression);
}
