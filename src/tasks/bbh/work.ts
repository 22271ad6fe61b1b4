// Worked answers for the BBH-style sub-tasks that compute (boolean expressions, multi-step
// arithmetic, object counting): the steps, then "; " and the answer, as BBH's chain-of-thought
// exemplars end with "So the answer is ...".
//
//   ((-1 + 2) * (3 - 4)) =                           → -1+2=1, 3-4=-1, 1*-1=-1; -1
//   not ( True and False ) or True                   → T and F=F, not F=T, T or T=T; True
//   I have two pears, a cat and a plum. How many fruits?  → pears 2, plum 1, 2+1=3; 3
//
// Why: with a bare answer, judging it is exactly as hard as computing it, and the BBH base model's
// judge sat at chance, so RLC's self-evaluation carried no signal. With work written out, each
// step can be checked where it stands, while an answer needs every step right: evaluating becomes
// easier than generating, which is RLC's premise. A mistake is one wrong step, carried on
// consistently (mistakes.ts); a reflection names the step and its right value (reflection.ts).
//
// The steps are a pure function of the problem's input text (parsed here, never evaluated), so
// problems imported from JSONL get the same work as generated ones.

import type { BbhProblem, BbhSub } from "./problem.js";
import { THINGS, type CountCategory } from "./object-counting.js";

export type StepValue = number | boolean;

/** A step reads constants and earlier steps' values. */
export type StepArg = { step: number } | { value: StepValue };

export interface WorkStep {
  args: StepArg[];
  compute(xs: readonly StepValue[]): StepValue;
  render(xs: readonly StepValue[], value: StepValue): string;
}

export const WORKED_SUBS: readonly BbhSub[] = ["boolean_expressions", "multistep_arithmetic", "object_counting"];

export function isWorkedSub(sub: BbhSub): boolean {
  return WORKED_SUBS.includes(sub);
}

/** How a value is written inside a step: T/F for truth values, integers as they are. */
export function stepText(v: StepValue): string {
  return typeof v === "boolean" ? (v ? "T" : "F") : String(v + 0);
}

/** How the final value is written as the answer (BBH's target form). */
export function answerText(v: StepValue): string {
  return typeof v === "boolean" ? (v ? "True" : "False") : String(v + 0);
}

// ---------------------------------------------------------------- parsing the inputs into steps

type Node = { kind: "value"; value: StepValue } | { kind: "op"; op: string; kids: Node[] };

function arithmeticTree(input: string): Node {
  const toks = input
    .replace(/\s*=\s*$/, "")
    .replaceAll("(", " ( ")
    .replaceAll(")", " ) ")
    .trim()
    .split(/\s+/);
  let i = 0;
  const expr = (): Node => {
    const t = toks[i++];
    if (t === "(") {
      const l = expr();
      const op = toks[i++];
      const r = expr();
      if (toks[i++] !== ")" || (op !== "+" && op !== "-" && op !== "*"))
        throw new SyntaxError(`not a BBH arithmetic expression: "${input}"`);
      return { kind: "op", op, kids: [l, r] };
    }
    if (t === undefined || !/^-?\d{1,6}$/.test(t)) throw new SyntaxError(`not a BBH arithmetic expression: "${input}"`);
    return { kind: "value", value: Number(t) };
  };
  const root = expr();
  if (i !== toks.length) throw new SyntaxError(`not a BBH arithmetic expression: "${input}"`);
  return root;
}

/** Python precedence: not > and > or; chains of one operator group to the left. */
function booleanTree(input: string): Node {
  const toks = input.trim().split(/\s+/);
  let i = 0;
  const fail = (): never => {
    throw new SyntaxError(`not a BBH boolean expression: "${input}"`);
  };
  const chain = (op: "or" | "and", next: () => Node) => (): Node => {
    let l = next();
    while (toks[i] === op) {
      i++;
      l = { kind: "op", op, kids: [l, next()] };
    }
    return l;
  };
  const unary = (): Node => {
    const t = toks[i++];
    if (t === "not") return { kind: "op", op: "not", kids: [unary()] };
    if (t === "True" || t === "False") return { kind: "value", value: t === "True" };
    if (t !== "(") return fail();
    const inner = or();
    if (toks[i++] !== ")") fail();
    return inner;
  };
  const and = chain("and", unary);
  const or = chain("or", and);
  const root = or();
  if (i !== toks.length) fail();
  return root;
}

const NUMBER_WORDS: Readonly<Record<string, number>> = { a: 1, an: 1, two: 2, three: 3, four: 4 };

/** Steps for an expression tree: one per operator, in evaluation (post-) order. */
function treeSteps(root: Node): WorkStep[] {
  const steps: WorkStep[] = [];
  const visit = (n: Node): StepArg => {
    if (n.kind === "value") return { value: n.value };
    const args = n.kids.map(visit);
    steps.push(opStep(n.op, args));
    return { step: steps.length - 1 };
  };
  visit(root);
  return steps;
}

function opStep(op: string, args: StepArg[]): WorkStep {
  const compute = (xs: readonly StepValue[]): StepValue => {
    const [a, b] = xs as [StepValue, StepValue];
    switch (op) {
      case "+":
        return (a as number) + (b as number);
      case "-":
        return (a as number) - (b as number);
      case "*":
        return (a as number) * (b as number) + 0;
      case "and":
        return (a as boolean) && (b as boolean);
      case "or":
        return (a as boolean) || (b as boolean);
      default:
        return !(a as boolean);
    }
  };
  const render = (xs: readonly StepValue[], v: StepValue): string => {
    const [a, b] = xs.map(stepText) as [string, string];
    const lhs = op === "not" ? `not ${a}` : op === "and" || op === "or" ? `${a} ${op} ${b}` : `${a}${op}${b}`;
    return `${lhs}=${stepText(v)}`;
  };
  return { args, compute, render };
}

function countingSteps(input: string): WorkStep[] {
  const m = /^I have (.+)\. How many (animals|fruits|vegetables|instruments)\?$/.exec(input.trim());
  if (m === null) throw new SyntaxError(`not a BBH object-counting question: "${input}"`);
  const category = m[2] as CountCategory;
  const steps: WorkStep[] = [];
  for (const part of (m[1] as string).split(/, | and /)) {
    const [word, ...rest] = part.split(" ");
    const noun = rest.join(" ");
    const count = NUMBER_WORDS[word ?? ""];
    const thing = THINGS.find((t) => t.many === noun || t.one === part);
    if (count === undefined || thing === undefined)
      throw new SyntaxError(`not a BBH object-counting question: "${input}" (cannot read "${part}")`);
    if (thing.category !== category) continue;
    steps.push({ args: [], compute: () => count, render: (_xs, v) => `${noun} ${stepText(v)}` });
  }
  if (steps.length === 0) throw new SyntaxError(`not a BBH object-counting question: "${input}" (nothing to count)`);
  if (steps.length > 1) {
    steps.push({
      args: steps.map((_, k) => ({ step: k })),
      compute: (xs) => (xs as number[]).reduce((a, b) => a + b, 0),
      render: (xs, v) => `${xs.map(stepText).join("+")}=${stepText(v)}`,
    });
  }
  return steps;
}

/** The steps of a worked sub-task's problem; undefined for sub-tasks answered bare. */
export function workSteps(p: Pick<BbhProblem, "sub" | "input">): WorkStep[] | undefined {
  switch (p.sub) {
    case "multistep_arithmetic":
      return treeSteps(arithmeticTree(p.input));
    case "boolean_expressions":
      return treeSteps(booleanTree(p.input));
    case "object_counting":
      return countingSteps(p.input);
    default:
      return undefined;
  }
}

// ---------------------------------------------------------------- evaluating and writing work

/** Every step's value, computed from its arguments unless `overrides` says otherwise. */
export function evaluateWork(
  steps: readonly WorkStep[],
  overrides: ReadonlyMap<number, StepValue> = new Map(),
): StepValue[] {
  const values: StepValue[] = [];
  steps.forEach((s, k) => {
    const xs = argValues(s, values);
    values.push(overrides.get(k) ?? s.compute(xs));
  });
  return values;
}

function argValues(s: WorkStep, values: readonly StepValue[]): StepValue[] {
  return s.args.map((a) => ("step" in a ? (values[a.step] as StepValue) : a.value));
}

/** The worked answer the values make: the steps, "; ", the last step's value as the answer. */
export function writeWork(steps: readonly WorkStep[], values: readonly StepValue[]): string {
  const lines = steps.map((s, k) => s.render(argValues(s, values), values[k] as StepValue));
  return `${lines.join(", ")}; ${answerText(values[values.length - 1] as StepValue)}`;
}

/** The right worked answer (or the bare target for sub-tasks answered bare). */
export function solveBbh(p: BbhProblem): string {
  const steps = workSteps(p);
  return steps === undefined ? p.target : writeWork(steps, evaluateWork(steps));
}

const STEP_VALUE = /(?:=| )(-?\d{1,9}|T|F)$/;

/** A value as written in a step ("T", "F" or an integer); undefined for anything else. */
export function readStepValue(text: string): StepValue | undefined {
  return text === "T" ? true : text === "F" ? false : /^-?\d{1,9}$/.test(text) ? Number(text) : undefined;
}

/**
 * The values a worked attempt claims, step by step; undefined unless it is written exactly in the
 * work's format (every step rendered from the claimed values, the answer that of the last step).
 */
export function readWork(steps: readonly WorkStep[], attempt: string): StepValue[] | undefined {
  const a = attempt.trim();
  const cut = a.lastIndexOf("; ");
  if (cut < 0 || a.length > 400) return undefined;
  const parts = a.slice(0, cut).split(", ");
  if (parts.length !== steps.length) return undefined;
  const values: StepValue[] = [];
  for (const [k, part] of parts.entries()) {
    const m = STEP_VALUE.exec(part);
    const v = m === null ? undefined : readStepValue(m[1] as string);
    if (v === undefined) return undefined;
    values.push(v);
    if (typeof v !== typeof computeStep(steps, k, values)) return undefined;
  }
  return writeWork(steps, values) === a ? values : undefined;
}

/** A worked attempt at `p` read back: its steps and the values it claims; undefined if it is not one. */
export function readAttempt(
  p: Pick<BbhProblem, "sub" | "input">,
  attempt: string,
): { steps: WorkStep[]; claimed: StepValue[] } | undefined {
  const steps = workSteps(p);
  const claimed = steps === undefined ? undefined : readWork(steps, attempt);
  return steps === undefined || claimed === undefined ? undefined : { steps, claimed };
}

/** What step `k` computes from the (claimed) values of the steps it reads. */
export function computeStep(steps: readonly WorkStep[], k: number, values: readonly StepValue[]): StepValue {
  const s = steps[k] as WorkStep;
  return s.compute(argValues(s, values));
}

/** The steps whose claimed value does not follow from their claimed arguments. */
export function workSlips(steps: readonly WorkStep[], values: readonly StepValue[]): Map<number, StepValue> {
  const slips = new Map<number, StepValue>();
  values.forEach((v, k) => {
    if (computeStep(steps, k, values) !== v) slips.set(k, v);
  });
  return slips;
}
