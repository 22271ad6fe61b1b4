// A deterministic stand-in for the policy (and judge) and the learner's update, for topology
// tests that must not depend on a model. Everything it says is a pure function of the prompt:
//
//   answer  first tries: right (the reference solution) for "easy" problems, wrong otherwise;
//   reflect the k-th reflection asked for the same failed attempt names the solution's first
//           move ("a op b = r", formatStep) when k is even, and a wrong move when k is odd;
//   retry   right exactly when the reflection in context is the solution's first move;
//   judge   log P(yes) / log P(no) from the answer's length, so the Teacher's P(yes) is a known,
//           fractional number that has nothing to do with correctness.
import type { Sample, SampleOptions } from "../../src/engine/sample.js";
import { Tokenizer } from "../../src/engine/tokenizer.js";
import type { Policy } from "../../src/engine/policy.js";
import type { UpdateStats } from "../../machines/learner.js";
import type { ExperienceMessage } from "../../src/messages.js";
import { COUNTDOWN_TOKENIZER, SPECIAL, answerPrompt, formatStep } from "../../src/tasks/countdown/prompts.js";
import { generateCountdownSet, type CountdownProblem } from "../../src/tasks/countdown/generate.js";
import { solveCountdownSteps } from "../../src/tasks/countdown/solve.js";
import { verifyCountdown } from "../../src/tasks/countdown/verify.js";

export const WRONG_STEP = "1+1=3";

/** The solution's first move, as a reflection. */
export function rightStep(p: CountdownProblem): string {
  const sol = solveCountdownSteps(p, { limit: 1 })[0];
  const step = sol?.steps[0];
  if (!step) throw new Error(`no solution for ${p.id}`);
  return formatStep(step);
}

/** An answer the verifier rejects. */
export function wrongAnswer(p: CountdownProblem): string {
  const guess = p.nums.join("+");
  return verifyCountdown(p, guess).correct ? p.nums.join("*") + "+1" : guess;
}

/** The judge's log-probabilities for an answer, and the P(yes) the Teacher derives from them. */
export function judgeLogProbs(answer: string): { yes: number; no: number } {
  return { yes: -0.1 * ((answer.length % 5) + 1), no: -0.3 };
}

export function expectedPYes(answer: string): number {
  const { yes, no } = judgeLogProbs(answer);
  return Math.exp(yes) / (Math.exp(yes) + Math.exp(no));
}

/** Fixed, solvable puzzles whose reference solutions verify; even indices are "easy". */
export function fixedProblems(n: number, seed = 4242): CountdownProblem[] {
  const ps = generateCountdownSet(seed, n);
  for (const p of ps) {
    if (!verifyCountdown(p, p.solution).correct) throw new Error(`reference solution of ${p.id} does not verify`);
    if (verifyCountdown(p, wrongAnswer(p)).correct) throw new Error(`wrong answer of ${p.id} verifies`);
  }
  return ps;
}

export interface StandInCall {
  kind: "answer" | "reflect" | "retry" | "other";
  prompt: string;
  text: string;
}

export class StandInPolicy implements Policy {
  readonly tokenizer = new Tokenizer(COUNTDOWN_TOKENIZER);
  version = 0;
  readonly calls: StandInCall[] = [];
  readonly judged: string[] = [];
  private readonly byPrompt = new Map<string, CountdownProblem>();
  private readonly reflections = new Map<string, number>();

  constructor(
    problems: readonly CountdownProblem[],
    readonly easy: ReadonlySet<string>,
  ) {
    for (const p of problems) this.byPrompt.set(answerPrompt(p), p);
  }

  problemOf(prompt: string): CountdownProblem {
    const end = prompt.indexOf(SPECIAL.ans);
    const p = end < 0 ? undefined : this.byPrompt.get(prompt.slice(0, end + SPECIAL.ans.length));
    if (!p) throw new Error(`stand-in: unknown problem in prompt ${JSON.stringify(prompt)}`);
    return p;
  }

  private sample(text: string, end: string, finishReason: Sample["finishReason"]): Sample {
    const tokens = this.tokenizer.encode(text + end);
    return { tokens, text, logprobs: tokens.map(() => -0.25), finishReason };
  }

  private one(prompt: string): Sample {
    const p = this.problemOf(prompt);
    if (prompt.endsWith(SPECIAL.ans)) {
      const text = this.easy.has(p.id) ? p.solution : wrongAnswer(p);
      this.calls.push({ kind: "answer", prompt, text });
      return this.sample(text, SPECIAL.eos, "eos");
    }
    if (prompt.endsWith(SPECIAL.reflect)) {
      const k = this.reflections.get(prompt) ?? 0;
      this.reflections.set(prompt, k + 1);
      const text = k % 2 === 0 ? rightStep(p) : WRONG_STEP;
      this.calls.push({ kind: "reflect", prompt, text });
      return this.sample(text, SPECIAL.retry, "stop");
    }
    if (prompt.endsWith(SPECIAL.retry)) {
      const reflection = prompt.slice(
        prompt.lastIndexOf(SPECIAL.reflect) + SPECIAL.reflect.length,
        -SPECIAL.retry.length,
      );
      const text = reflection === rightStep(p) ? p.solution : wrongAnswer(p);
      this.calls.push({ kind: "retry", prompt, text });
      return this.sample(text, SPECIAL.eos, "eos");
    }
    throw new Error(`stand-in: unexpected prompt ${JSON.stringify(prompt)}`);
  }

  async complete(prompts: readonly string[], _opts: SampleOptions): Promise<Sample[]> {
    return prompts.map((p) => this.one(p));
  }

  async logProb(pairs: ReadonlyArray<{ prompt: string; continuation: string }>): Promise<number[]> {
    return pairs.map(({ prompt, continuation }) => {
      if (!prompt.endsWith(SPECIAL.judge))
        throw new Error(`stand-in: logProb on a non-judge prompt ${JSON.stringify(prompt)}`);
      const p = this.problemOf(prompt);
      const answer = prompt.slice(answerPrompt(p).length, -SPECIAL.judge.length);
      if (continuation === SPECIAL.yes) this.judged.push(prompt);
      const lp = judgeLogProbs(answer);
      if (continuation === SPECIAL.yes) return lp.yes;
      if (continuation === SPECIAL.no) return lp.no;
      throw new Error(`stand-in: unexpected continuation ${continuation}`);
    });
  }
}

/** A learner update that records what it was given and reports plausible statistics. */
export class RecordingUpdate {
  readonly batches: ExperienceMessage[][] = [];

  readonly fn = async (batch: ExperienceMessage[]): Promise<UpdateStats> => {
    this.batches.push(batch);
    const rewards = batch.map((e) => e.reward);
    const mean = rewards.reduce((a, b) => a + b, 0) / Math.max(1, rewards.length);
    const std = Math.sqrt(rewards.reduce((a, b) => a + (b - mean) ** 2, 0) / Math.max(1, rewards.length));
    return {
      loss: 0.125,
      gradNorm: 0.5,
      experiences: batch.length,
      metrics: { reward_mean: mean, reward_std: std, frac_reward_zero_std: 0, kl: 0.01, entropy: 1.5 },
    };
  };
}
