// The synthetic corpus a Countdown base model is pretrained on. It teaches every role the loops
// need, and is built so that reinforcement learning has something real to find:
//
// - answer:  only some answers are right (the rest are near misses), so the base model answers
//            imperfectly and RL can raise its accuracy;
// - judge:   balanced right and wrong answers labelled by the verifier, so judging is learned
//            directly and ends up easier than answering (RLC's premise);
// - reflect: after a failed attempt, a reflection names one first move. Half of them are good
//            (the remaining numbers can still reach the target), half are not; the retry follows
//            the move it was given, so it succeeds mostly after good reflections. Which
//            reflection to write is therefore worth learning (R3's premise).
import type { Rng } from "../../util/rng.js";
import type { Op } from "./expression.js";
import { solveCountdownSteps, type SolveStep } from "./solve.js";
import { verifyCountdown, type CountdownPuzzle } from "./verify.js";
import { answerPrompt, formatStep, formatSteps, judgePrompt, reflectPrompt, SPECIAL } from "./prompts.js";
import { drawKind, reflectSegments } from "../corpus.js";

export interface Segment {
  text: string;
  /** Whether the model is trained to produce this text. */
  train: boolean;
}

export type ExampleKind = "answer" | "judge" | "reflect" | "arith";

export interface CorpusExample {
  kind: ExampleKind;
  segments: Segment[];
}

export interface CorpusMix {
  /** Share of each example kind (normalised). */
  kinds: Record<ExampleKind, number>;
  /** Share of answers that are right. */
  answerCorrect: number;
  /** Share of wrong answers that use the wrong numbers (the rest have the wrong value). */
  wrongNumbers: number;
  /** Share of reflections that name a good move. */
  goodReflection: number;
}

export const DEFAULT_MIX: CorpusMix = {
  kinds: { answer: 0.35, judge: 0.35, reflect: 0.3, arith: 0 },
  answerCorrect: 0.3,
  wrongNumbers: 0.15,
  goodReflection: 0.5,
};

/** Every legal first move: two numbers from the pool, a positive-integer result. */
export function legalMoves(nums: readonly number[]): SolveStep[] {
  const moves: SolveStep[] = [];
  const seen = new Set<string>();
  for (let i = 0; i < nums.length; i++) {
    for (let j = 0; j < nums.length; j++) {
      if (i === j) continue;
      const a = nums[i] as number;
      const b = nums[j] as number;
      const cands: Array<[Op, number]> = [];
      if (i < j) cands.push(["+", a + b], ["*", a * b]);
      if (a > b) cands.push(["-", a - b]);
      if (b > 1 && a % b === 0) cands.push(["/", a / b]);
      for (const [op, result] of cands) {
        const key = `${a}${op}${b}`;
        if (!seen.has(key)) {
          seen.add(key);
          moves.push({ a, op, b, result });
        }
      }
    }
  }
  return moves;
}

function without(nums: readonly number[], a: number, b: number): number[] {
  const rest = nums.slice();
  rest.splice(rest.indexOf(a), 1);
  rest.splice(rest.indexOf(b), 1);
  return rest;
}

/** The pool after making a move. */
export function applyMove(nums: readonly number[], m: SolveStep): number[] {
  return [...without(nums, m.a, m.b), m.result];
}

/** A move is good when the target can still be reached from the pool it leaves. */
export function isGoodMove(p: CountdownPuzzle, m: SolveStep): boolean {
  const pool = applyMove(p.nums, m);
  return solveCountdownSteps({ nums: pool, target: p.target }, { limit: 1 }).length > 0;
}

/** Random legal moves from a pool until one number is left. */
export function randomPlay(rng: Rng, nums: readonly number[], first?: SolveStep): SolveStep[] {
  let pool = nums.slice();
  const steps: SolveStep[] = [];
  if (first) {
    steps.push(first);
    pool = applyMove(pool, first);
  }
  while (pool.length > 1) {
    const moves = legalMoves(pool);
    const m =
      moves.length > 0
        ? rng.pick(moves)
        : {
            a: pool[0] as number,
            op: "+" as Op,
            b: pool[1] as number,
            result: (pool[0] as number) + (pool[1] as number),
          };
    steps.push(m);
    pool = applyMove(pool, m);
  }
  return steps;
}

/** A correct answer written in move order, or undefined when no integer solution exists. */
export function correctAnswer(rng: Rng, p: CountdownPuzzle): string | undefined {
  const sols = solveCountdownSteps(p, { limit: 16 });
  if (sols.length === 0) return undefined;
  return formatSteps(p.nums, rng.pick(sols).steps);
}

/** A wrong answer of the kind a model makes: all numbers, wrong value; or the wrong numbers. */
export function wrongAnswer(rng: Rng, p: CountdownPuzzle, mix: CorpusMix = DEFAULT_MIX): string {
  for (let tries = 0; tries < 20; tries++) {
    let nums = p.nums.slice();
    if (rng.next() < mix.wrongNumbers) {
      const i = rng.int(0, nums.length - 1);
      if (rng.next() < 0.5 && nums.length > 2) nums.splice(i, 1);
      else nums[i] = Math.max(1, (nums[i] as number) + rng.pick([-2, -1, 1, 2, 10, -10]));
    }
    nums = rng.shuffle(nums);
    const text = formatSteps(nums, randomPlay(rng, nums));
    if (!verifyCountdown(p, text).correct) return text;
  }
  // Every random play hit the target: fall back to a certain miss (a number used twice).
  return `${p.nums.join("+")}+${p.nums[0]}`;
}

function tokensOf(...segments: Segment[]): Segment[] {
  return segments;
}

function answerExample(rng: Rng, p: CountdownPuzzle, mix: CorpusMix): CorpusExample {
  const right = rng.next() < mix.answerCorrect ? correctAnswer(rng, p) : undefined;
  const answer = right ?? wrongAnswer(rng, p, mix);
  return {
    kind: "answer",
    segments: tokensOf({ text: answerPrompt(p), train: false }, { text: answer + SPECIAL.eos, train: true }),
  };
}

function judgeExample(rng: Rng, p: CountdownPuzzle, mix: CorpusMix): CorpusExample {
  const right = rng.next() < 0.5 ? correctAnswer(rng, p) : undefined;
  const answer = right ?? wrongAnswer(rng, p, mix);
  const verdict = verifyCountdown(p, answer).correct ? SPECIAL.yes : SPECIAL.no;
  return {
    kind: "judge",
    segments: tokensOf({ text: judgePrompt(p, answer), train: false }, { text: verdict, train: true }),
  };
}

function reflectExample(rng: Rng, p: CountdownPuzzle, mix: CorpusMix): CorpusExample {
  const attempt = wrongAnswer(rng, p, mix);
  const moves = legalMoves(p.nums);
  const good = moves.filter((m) => isGoodMove(p, m));
  const bad = moves.filter((m) => !isGoodMove(p, m));
  const useGood = good.length > 0 && (bad.length === 0 || rng.next() < mix.goodReflection);
  const move = rng.pick(useGood ? good : bad);
  let retrySteps: SolveStep[];
  if (useGood) {
    const rest = solveCountdownSteps({ nums: applyMove(p.nums, move), target: p.target }, { limit: 8 });
    retrySteps = [move, ...rng.pick(rest).steps];
  } else retrySteps = randomPlay(rng, p.nums, move);
  return {
    kind: "reflect",
    segments: reflectSegments(reflectPrompt(p, attempt), formatStep(move), formatSteps(p.nums, retrySteps), SPECIAL),
  };
}

/** Arithmetic drill: one legal move of the puzzle and its result ("35+51=" → "86"). */
function arithExample(rng: Rng, p: CountdownPuzzle): CorpusExample {
  const m = rng.pick(legalMoves(p.nums));
  return {
    kind: "arith",
    segments: tokensOf(
      { text: `${SPECIAL.bos}${m.a}${m.op}${m.b}=`, train: false },
      { text: `${m.result}${SPECIAL.eos}`, train: true },
    ),
  };
}

const BUILDERS: Record<ExampleKind, (rng: Rng, p: CountdownPuzzle, mix: CorpusMix) => CorpusExample> = {
  answer: answerExample,
  judge: judgeExample,
  reflect: reflectExample,
  arith: arithExample,
};

/** One training example for a puzzle, its kind drawn from the mix. */
export function corpusExample(rng: Rng, p: CountdownPuzzle, mix: CorpusMix = DEFAULT_MIX): CorpusExample {
  return BUILDERS[drawKind(rng, mix.kinds)](rng, p, mix);
}

/** Parses a reflection "a op b = r" back into a move (untrusted text: undefined when malformed). */
export function parseReflection(text: string): SolveStep | undefined {
  const m = /^\s*(\d{1,6})\s*([-+*/])\s*(\d{1,6})\s*=\s*(\d{1,9})\s*$/.exec(text);
  if (!m) return undefined;
  return { a: Number(m[1]), op: m[2] as Op, b: Number(m[3]), result: Number(m[4]) };
}

/** The legal move a reflection names ("35+44" names the same move as "44+35"), ignoring its stated result. */
export function reflectionMove(
  p: CountdownPuzzle,
  text: string,
): { move: SolveStep; arithmeticRight: boolean } | undefined {
  const m = parseReflection(text);
  if (!m) return undefined;
  const commutes = m.op === "+" || m.op === "*";
  const move = legalMoves(p.nums).find(
    (x) => x.op === m.op && ((x.a === m.a && x.b === m.b) || (commutes && x.a === m.b && x.b === m.a)),
  );
  return move ? { move, arithmeticRight: move.result === m.result } : undefined;
}

/** A reflection is good when its move is legal, its arithmetic right, and the target still reachable. */
export function reflectionIsGood(p: CountdownPuzzle, text: string): boolean {
  const r = reflectionMove(p, text);
  return r !== undefined && r.arithmeticRight && isGoodMove(p, r.move);
}

/** Whether the move a reflection names keeps the target reachable (its stated result aside). */
export function reflectionMoveIsGood(p: CountdownPuzzle, text: string): boolean {
  const r = reflectionMove(p, text);
  return r !== undefined && isGoodMove(p, r.move);
}
