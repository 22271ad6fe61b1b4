import { fc, test } from "@fast-check/vitest";
import { describe, expect } from "vitest";
import { Tokenizer } from "../src/engine/tokenizer.js";
import {
  BBH_TASKS,
  bbhMixedTask,
  functionsTask,
  translationTask,
  type TaskProblem,
  type TaskSpec,
} from "../src/tasks/index.js";
import { Rng } from "../src/util/rng.js";

// The contract every new TaskSpec keeps, checked the same way for all of them. `reference` reads
// the problem's own right answer, which each task stores under its own name.
interface Case {
  task: TaskSpec;
  reference: (p: TaskProblem) => string;
}

const field = (name: string) => (p: TaskProblem) => String((p as unknown as Record<string, unknown>)[name]);
const CASES: Case[] = [
  { task: functionsTask as TaskSpec, reference: field("solution") },
  { task: bbhMixedTask as TaskSpec, reference: field("target") },
  ...Object.values(BBH_TASKS).map((task) => ({ task: task as TaskSpec, reference: field("target") })),
  { task: translationTask as TaskSpec, reference: field("reference") },
];

const SPECIAL_TOKEN = /<\|[a-z]+\|>/g;
/** Length in tokens: every special is one token, every other character one. */
const tokens = (s: string): number => s.replace(SPECIAL_TOKEN, "#").length;

describe.each(CASES.map((c) => [c.task.name, c] as const))("%s TaskSpec", (_name, { task, reference }) => {
  const tok = new Tokenizer(task.tokenizer);

  test.prop([fc.integer({ min: 0, max: 2 ** 31 - 1 })])(
    "generate is deterministic per seed and its answer verifies",
    (s) => {
      const p = task.generate(new Rng(s));
      expect(task.generate(new Rng(s))).toEqual(p);
      expect(task.verify(p, task.extractAnswer(reference(p))).correct).toBe(true);
    },
  );

  test.prop([fc.integer({ min: 0, max: 2 ** 31 - 1 }), fc.string({ maxLength: 100 })])(
    "verify and extractAnswer never throw",
    (s, text) => {
      const p = task.generate(new Rng(s));
      const v = task.verify(p, task.extractAnswer(text));
      expect(typeof v.correct).toBe("boolean");
      expect(typeof v.reason).toBe("string");
    },
  );

  test("prompts nest, fit the token budgets, and use only the tokenizer's alphabet", () => {
    let longest = 0;
    for (const p of task.heldOut(300)) {
      const answer = reference(p);
      expect(tokens(answer) + 1).toBeLessThanOrEqual(task.maxTokens.answer);
      const answered = task.answerPrompt(p) + answer;
      const retry = task.retryPrompt(p, answer, "x") + answer;
      expect(task.judgePrompt(p, answer).startsWith(answered)).toBe(true);
      expect(retry.startsWith(task.reflectPrompt(p, answer))).toBe(true);
      for (const t of [answered, task.judgePrompt(p, answer), retry]) expect(tok.encode(t)).not.toContain(tok.unk);
      longest = Math.max(longest, tokens(task.judgePrompt(p, answer)) + 1);
    }
    // Answering and judging fit a 128-token context. (A whole R3 episode -- attempt, reflection
    // and retry -- does not for function calling: up to ~180 tokens.)
    expect(longest).toBeLessThanOrEqual(128);
    expect(task.judgeReplies.yes).not.toBe(task.judgeReplies.no);
    expect(task.reflectionStop.length).toBeGreaterThan(0);
  });
});
