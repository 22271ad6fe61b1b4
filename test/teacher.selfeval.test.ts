// The Teacher's correctness self-evaluation runs the rewards library's own rules (one source for
// each): P(yes) is pYesFromLogProbs, and the sampled-yes reward is sampledYesReward on the reply's
// text, whatever the tokenizer made of it. The "quality needs a quality prompt" check is one
// function whose message the scenario schema, --task/--set and the Teacher all give.
import { describe, expect, test } from "vitest";
import { selfEvalRewardProblem, teacherWork } from "../actors/teacher.js";
import { StepSeeds } from "../actors/seeds.js";
import { countdownTask } from "../src/tasks/countdown/spec.js";
import { COUNTDOWN_TOKENIZER, SPECIAL } from "../src/tasks/countdown/prompts.js";
import { translationTask } from "../src/tasks/translation/spec.js";
import { Tokenizer } from "../src/engine/tokenizer.js";
import type { Policy, PolicySample } from "../src/engine/policy.js";
import type { SampleOptions } from "../src/engine/sample.js";
import type { CompletionMessage } from "../src/messages.js";
import type { TaskSpec } from "../src/tasks/task.js";
import { pYesFromLogProbs, sampledYesReward } from "../src/rewards/selfeval.js";
import { loadScenario } from "../src/run/load.js";
import { ScenarioError, withSettings } from "../src/run/scenario.js";

/** A judge with fixed (yes, no) log-probs per prompt and fixed sampled replies; records its sampling options. */
class ScriptedJudge implements Policy {
  readonly tokenizer: Tokenizer;
  version = 0;
  readonly sampling: SampleOptions[] = [];

  constructor(
    private readonly logProbs: Array<[number, number]>,
    private readonly replies: string[],
    tokenizer = new Tokenizer(COUNTDOWN_TOKENIZER),
  ) {
    this.tokenizer = tokenizer;
  }

  async complete(prompts: readonly string[], opts: SampleOptions): Promise<PolicySample[]> {
    this.sampling.push(opts);
    return prompts.map((_, i) => {
      const text = this.replies[i] ?? "";
      return { text, tokens: this.tokenizer.encode(text), logprobs: [], finishReason: "eos" as const };
    });
  }

  async logProb(pairs: ReadonlyArray<{ prompt: string; continuation: string }>): Promise<number[]> {
    return pairs.map((_, k) => {
      const [yes, no] = this.logProbs[Math.floor(k / 2)] as [number, number];
      return k % 2 === 0 ? yes : no;
    });
  }
}

function completions(n: number): CompletionMessage[] {
  return Array.from({ length: n }, (_, i) => ({
    kind: "completion",
    trace: { id: `c${i}`, taskId: `t${i}`, attempt: 1, sample: 0, weightVersion: 0 },
    role: "attempt",
    problem: { id: `t${i}`, nums: [1, 2], target: 3, solution: "1+2" },
    prompt: "",
    promptTokens: [],
    tokens: [],
    logprobs: [],
    text: "1+2",
    finishReason: "eos",
    history: {},
  }));
}

function seeds(): StepSeeds {
  const s = new StepSeeds(0);
  s.startStep(0);
  return s;
}

const task = countdownTask as unknown as TaskSpec;

describe("the Teacher's correctness rewards are the library's", () => {
  test("P(yes) is pYesFromLogProbs, including both answers impossible (no preference: 0.5, not NaN)", async () => {
    const lps: Array<[number, number]> = [
      [Math.log(0.3), Math.log(0.1)],
      [-1000, -1],
      [-Infinity, -Infinity],
      [-Infinity, -2],
    ];
    const out = await teacherWork(task, new ScriptedJudge(lps, []), seeds(), "p-yes")(completions(lps.length));
    expect(out.map((j) => j.pYes)).toEqual(lps.map(([y, n]) => pYesFromLogProbs(y, n)));
    expect(out.map((j) => j.reward)).toEqual(out.map((j) => j.pYes));
    expect(out[2]?.pYes).toBe(0.5);
    for (const j of out) expect(j.sampledYes).toBeUndefined();
  });

  test("sampled-yes reads the reply's text: a yes written as characters counts, as the <|yes|> token does", async () => {
    const replies = [SPECIAL.yes, SPECIAL.no, "yes", "Yes, it is", "no", ""];
    const judge = new ScriptedJudge(
      replies.map(() => [-1, -1]),
      replies,
      new Tokenizer(translationTask.tokenizer),
    );
    const out = await teacherWork(
      translationTask as unknown as TaskSpec,
      judge,
      seeds(),
      "sampled-yes",
    )(completions(replies.length));
    expect(out.map((j) => j.reward)).toEqual(replies.map(sampledYesReward));
    expect(out.map((j) => j.reward)).toEqual([1, 0, 1, 1, 0, 0]);
    expect(out.map((j) => j.sampledYes)).toEqual([true, false, true, true, false, false]);
    expect(out.map((j) => j.pYes)).toEqual(replies.map(() => 0.5));
    expect(judge.sampling.map((o) => o.maxTokens)).toEqual([1]); // <|yes|> and <|no|> are one token each
  });

  test("judge replies written as plain words: the Teacher samples long enough to read them", async () => {
    const wordy: TaskSpec = { ...(translationTask as unknown as TaskSpec), judgeReplies: { yes: "yes", no: "no" } };
    const judge = new ScriptedJudge(
      [
        [-1, -2],
        [-2, -1],
      ],
      ["yes", "no"],
      new Tokenizer(translationTask.tokenizer),
    );
    const out = await teacherWork(wordy, judge, seeds(), "sampled-yes")(completions(2));
    expect(out.map((j) => j.reward)).toEqual([1, 0]);
    expect(judge.sampling.map((o) => o.maxTokens)).toEqual([3]);
  });
});

describe("one check for the quality prompt", () => {
  test("the scenario schema, --set and the Teacher give the same reason, naming the tasks that have one", async () => {
    const reason = selfEvalRewardProblem(task, "quality");
    expect(reason).toBe(
      '"quality" needs a quality-evaluation prompt, which task countdown has not (tasks with one: translation)',
    );
    expect(selfEvalRewardProblem(task, "p-yes")).toBeUndefined();
    expect(selfEvalRewardProblem(translationTask as unknown as TaskSpec, "quality")).toBeUndefined();
    expect(() => teacherWork(task, new ScriptedJudge([], []), seeds(), "quality")).toThrow(
      `teacher: selfEvalReward ${reason}`,
    );
    const { scenario } = await loadScenario("rlc-countdown");
    expect(() => withSettings(scenario, { selfEvalReward: "quality" }, "cli")).toThrow(ScenarioError);
    expect(() => withSettings(scenario, { selfEvalReward: "quality" }, "cli")).toThrow(
      `cli: settings.selfEvalReward ${reason}`,
    );
  });
});
