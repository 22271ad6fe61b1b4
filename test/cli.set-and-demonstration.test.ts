// Small pieces behind `--set` and the oracle-label baseline: how a `key=value` flag is read, and
// the Student refusing to demonstrate a problem that has no label; `eval --sub` on one BBH sub-task.
import { execFile } from "node:child_process";
import path from "node:path";
import { describe, expect, test } from "vitest";
import { PROJECT_ROOT } from "../src/paths.js";
import { collectSetting } from "../src/cli/options.js";
import { CliError } from "../src/cli/errors.js";
import { studentWork } from "../actors/student.js";
import { StepSeeds } from "../actors/seeds.js";
import { countdownTask } from "../src/tasks/countdown/spec.js";
import { Tokenizer } from "../src/engine/tokenizer.js";
import type { Policy } from "../src/engine/policy.js";
import type { TaskSpec } from "../src/tasks/task.js";

describe("--set key=value", () => {
  test("values read as JSON where they parse, as strings otherwise; repeated flags accumulate", () => {
    let s = collectSetting("tasksPerStep=8");
    s = collectSetting("source=failure-set", s);
    s = collectSetting(" temperature = 0.5 ", s);
    s = collectSetting('reflectionPrompt="why? "', s);
    expect(s).toEqual({ tasksPerStep: 8, source: "failure-set", temperature: 0.5, reflectionPrompt: "why? " });
  });

  test("a flag without key=value is an error naming it", () => {
    expect(() => collectSetting("tasksPerStep")).toThrow(CliError);
    expect(() => collectSetting("=3")).toThrow(/--set expects key=value \(got "=3"\)/);
  });
});

describe("Student demonstrations", () => {
  const policy: Policy = {
    tokenizer: new Tokenizer(countdownTask.tokenizer),
    version: 3,
    complete: async () => {
      throw new Error("a demonstration never samples");
    },
    logProb: async () => [],
  };
  const problem = countdownTask.heldOut(1)[0];
  const request = {
    task: {
      kind: "task" as const,
      trace: { id: "t1", taskId: problem?.id ?? "", attempt: 1, sample: 0, weightVersion: 3 },
      problem,
    },
    demonstrate: true,
  };

  test("the label, written out with end-of-text, no sampling and no made-up log-probs", async () => {
    const [c] = await studentWork(countdownTask as unknown as TaskSpec, policy, new StepSeeds(0), { temperature: 1 })([
      request,
    ]);
    const label = countdownTask.demonstration(problem as never) as string;
    expect(c).toMatchObject({ role: "demonstration", text: label, logprobs: [], finishReason: "eos" });
    expect(c?.tokens).toEqual([...policy.tokenizer.encode(label), policy.tokenizer.eos]);
    expect(countdownTask.verify(problem as never, label).correct).toBe(true);
  });

  test("a problem without a label is refused by name", async () => {
    const unlabeled = { ...(countdownTask as unknown as TaskSpec), demonstration: () => undefined };
    await expect(studentWork(unlabeled, policy, new StepSeeds(0), { temperature: 1 })([request])).rejects.toThrow(
      `has no label for problem ${problem?.id}`,
    );
  });
});

describe("selfimprove eval --sub", () => {
  const cli = (...args: string[]): Promise<{ code: number; out: string }> =>
    new Promise((resolve) => {
      execFile(
        process.execPath,
        [path.join(PROJECT_ROOT, "bin", "selfimprove.js"), ...args],
        { cwd: PROJECT_ROOT, timeout: 120_000, encoding: "utf8" },
        (err, stdout, stderr) => {
          resolve({ code: err ? (typeof err.code === "number" ? err.code : 1) : 0, out: stdout + stderr });
        },
      );
    });

  test("scores the BBH model on one sub-task's held-out problems", async () => {
    const r = await cli("eval", "--task", "bbh", "--sub", "word_sorting", "-n", "3", "--backend", "wasm", "--json");
    expect(r.code, r.out).toBe(0);
    const result = JSON.parse(r.out.trim().split("\n").pop() ?? "") as { task: string; n: number };
    expect(result).toMatchObject({ task: "bbh-word_sorting", n: 3 });
  }, 120_000);

  test("refuses an unknown sub-task, or --sub on another task, naming the flag", async () => {
    const unknown = await cli("eval", "--task", "bbh", "--sub", "nope");
    expect(unknown.code).toBe(2);
    expect(unknown.out).toMatch(/--sub: unknown BBH sub-task "nope" \(known: boolean_expressions, /);
    const other = await cli("eval", "--task", "functions", "--sub", "word_sorting");
    expect(other.code).toBe(2);
    expect(other.out).toMatch(/--sub is only for --task bbh/);
  }, 120_000);
});
