// Synthetic Countdown puzzles shaped like the public Countdown-Tasks-3to4 set (3-4 numbers in 1..99,
// target in 1..100). Each puzzle is built backwards from a random expression, so it is solvable by
// construction and carries that expression as its reference solution.

import { Rng } from "../../util/rng.js";
import type { Op } from "./expression.js";
import { formatExpr, type ExprTree } from "./format.js";
import type { CountdownPuzzle } from "./verify.js";

/** A generated Countdown puzzle with its id and one known solution. */
export interface CountdownProblem extends CountdownPuzzle {
  id: string;
  /** A correct answer: ASCII operators, no spaces, minimal parentheses. */
  solution: string;
}

/** How {@link generateCountdown} draws puzzles: how many numbers, their range, the target's range. */
export interface CountdownGenOptions {
  minNums?: number;
  maxNums?: number;
  maxNum?: number;
  minTarget?: number;
  maxTarget?: number;
}

const DEFAULTS: Required<CountdownGenOptions> = { minNums: 3, maxNums: 4, maxNum: 99, minTarget: 1, maxTarget: 100 };

// Random trees over fixed numbers rarely all miss the target range, so a few reshuffles are worth it
// before drawing fresh numbers; the outer bound turns an impossible range into an error, not a hang.
const TREES_PER_DRAW = 16;
const MAX_DRAWS = 100_000;

interface Item {
  value: number;
  tree: ExprTree;
}

function checkOptions(o: Required<CountdownGenOptions>): void {
  const ints = Object.entries(o).filter(([, v]) => !Number.isSafeInteger(v));
  if (ints.length > 0) throw new RangeError(`generateCountdown: option ${ints[0]?.[0]} must be an integer`);
  if (o.minNums < 1 || o.maxNums < o.minNums) {
    throw new RangeError(`generateCountdown: need 1 <= minNums <= maxNums (got ${o.minNums}, ${o.maxNums})`);
  }
  if (o.maxNums > 6) throw new RangeError(`generateCountdown: maxNums must be <= 6 (got ${o.maxNums})`);
  if (o.maxNum < 1) throw new RangeError(`generateCountdown: maxNum must be >= 1 (got ${o.maxNum})`);
  // Intermediate values are plain numbers, exact only while every product stays a safe integer.
  if (o.maxNum ** o.maxNums > Number.MAX_SAFE_INTEGER) {
    throw new RangeError(`generateCountdown: maxNum ** maxNums must stay below 2^53 (got ${o.maxNum} ** ${o.maxNums})`);
  }
  if (o.maxTarget < o.minTarget) {
    throw new RangeError(`generateCountdown: minTarget > maxTarget (${o.minTarget} > ${o.maxTarget})`);
  }
}

function leaf(value: number): Item {
  return { value, tree: { kind: "num", value } };
}

function combine(op: Op, x: Item, y: Item): Item {
  const value =
    op === "+"
      ? x.value + y.value
      : op === "-"
        ? x.value - y.value
        : op === "*"
          ? x.value * y.value
          : x.value / y.value;
  return { value, tree: { kind: "op", op, left: x.tree, right: y.tree, approx: value } };
}

/** The combinations of two items that keep the result a positive integer (as in reasoning-gym). */
function candidates(a: Item, b: Item): Item[] {
  const [hi, lo] = a.value >= b.value ? [a, b] : [b, a];
  const out = [combine("+", hi, lo), combine("*", hi, lo)];
  if (hi.value !== lo.value) out.push(combine("-", hi, lo));
  if (hi.value % lo.value === 0) out.push(combine("/", hi, lo));
  return out;
}

/** Builds one random tree over `nums` the way the game is played: combine two, put the result back. */
function randomTree(rng: Rng, nums: readonly number[]): Item {
  const pool = nums.map(leaf);
  while (pool.length > 1) {
    const i = rng.int(0, pool.length - 1);
    let j = rng.int(0, pool.length - 2);
    if (j >= i) j++;
    const next = rng.pick(candidates(pool[i] as Item, pool[j] as Item));
    pool.splice(Math.max(i, j), 1);
    pool.splice(Math.min(i, j), 1);
    pool.push(next);
  }
  return pool[0] as Item;
}

/** One solvable puzzle; `id` defaults to a content-derived string. */
export function generateCountdown(rng: Rng, opts: CountdownGenOptions & { id?: string } = {}): CountdownProblem {
  const o: Required<CountdownGenOptions> = {
    minNums: opts.minNums ?? DEFAULTS.minNums,
    maxNums: opts.maxNums ?? DEFAULTS.maxNums,
    maxNum: opts.maxNum ?? DEFAULTS.maxNum,
    minTarget: opts.minTarget ?? DEFAULTS.minTarget,
    maxTarget: opts.maxTarget ?? DEFAULTS.maxTarget,
  };
  checkOptions(o);
  for (let draw = 0; draw < MAX_DRAWS; draw++) {
    const count = rng.int(o.minNums, o.maxNums);
    const nums = Array.from({ length: count }, () => rng.int(1, o.maxNum));
    for (let t = 0; t < TREES_PER_DRAW; t++) {
      const { value, tree } = randomTree(rng, nums);
      if (value < o.minTarget || value > o.maxTarget) continue;
      const shuffled = rng.shuffle(nums);
      return {
        id: opts.id ?? `cd-${value}-${shuffled.join("_")}`,
        target: value,
        nums: shuffled,
        solution: formatExpr(tree),
      };
    }
  }
  throw new Error(`generateCountdown: no puzzle found with target in [${o.minTarget}, ${o.maxTarget}]`);
}

/** `n` puzzles with ids `cd-<seed>-<i>`; the same seed always yields the same set. */
export function generateCountdownSet(seed: number, n: number, opts: CountdownGenOptions = {}): CountdownProblem[] {
  const rng = new Rng(seed);
  return Array.from({ length: n }, (_, i) => generateCountdown(rng, { ...opts, id: `cd-${seed}-${i}` }));
}
