// A user's own task (defineTask) named by path works with `verify` and `eval` as with `run`
// (issue 16): the CLI is spawned in a copy of examples/small-countdown linked to this checkout as
// `npm install` links it, and given `--task ./src/task.ts`. `verify` reads lines with the task's
// JSONL reader and verifies with its verifier, one verdict per line like a shipped task; `eval`
// goes through the one evaluator on the task's base model. A wrong --task names the flag and file.
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { PROJECT_ROOT } from "../src/paths.js";
import { defineTask } from "../src/tasks/define-task.js";
import { definedTaskAnswerFormat } from "../src/tasks/defined-task-verify.js";
import { isBadLine, verifyJsonlLines } from "../src/tasks/verify-jsonl.js";
import type { TaskProblem } from "../src/tasks/task.js";
import { EXAMPLE, installedCopy } from "./helpers/user-project.js";

const tmp = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), "selfimprove-user-task-")));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));
let project = "";
beforeAll(() => {
  project = installedCopy(EXAMPLE, path.join(tmp, "small-countdown"));
});

/**
 * The CLI run in the project. The source condition makes the project's `import "selfimprove"`
 * load this checkout's sources (as the tests' own imports do), not a dist/ that may be stale.
 */
function cli(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(
    process.execPath,
    ["--conditions=selfimprove-source", path.join(PROJECT_ROOT, "bin", "selfimprove.js"), ...args],
    { encoding: "utf8", cwd: project, env: { ...process.env, NO_COLOR: "1" } },
  );
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

function write(name: string, text: string): string {
  const file = path.join(project, name);
  fs.writeFileSync(file, text);
  return file;
}

describe("verify --task ./src/task.ts", () => {
  test("gives the task's verdict on a right and a wrong answer and an error verdict for a bad line", () => {
    const data = write(
      "answers.jsonl",
      [
        JSON.stringify({ target: 10, nums: [2, 3, 5], solution: "2+3+5", answer: "2+3+5" }),
        JSON.stringify({ target: 10, nums: [2, 3, 5], solution: "2+3+5", answer: "2*3+5" }),
        // Valid JSON, but the task's own reader refuses it: two numbers where it wants three.
        JSON.stringify({ target: 10, nums: [2, 5], solution: "2*5", answer: "2*5" }),
        JSON.stringify({ target: 10, nums: [1, 4, 5], solution: "1+4+5", answer: "1+4+5" }),
      ].join("\n") + "\n",
    );
    const r = cli(["verify", "--task", "./src/task.ts", "--data", data]);
    const verdicts = r.stdout
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(verdicts).toEqual([
      { line: 1, target: 10, nums: [2, 3, 5], solution: "2+3+5", answer: "2+3+5", correct: true, reason: "ok" },
      {
        line: 2,
        target: 10,
        nums: [2, 3, 5],
        solution: "2+3+5",
        answer: "2*3+5",
        correct: false,
        reason: "wrong value",
      },
      { line: 3, error: "nums: expected three positive integers" },
      { line: 4, target: 10, nums: [1, 4, 5], solution: "1+4+5", answer: "1+4+5", correct: true, reason: "ok" },
    ]);
    // A bad line is reported like a shipped task's: counted, named, exit 2, no stack trace.
    expect(r.stderr).toContain("answers.jsonl: 4 lines: 2 right, 1 wrong, 1 bad (not verified)");
    expect(r.stderr).toMatch(/selfimprove: .*answers\.jsonl: 1 of 4 lines could not be verified/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(r.status).toBe(2);
  }, 60_000);

  test("a --task that is not a task module names the flag and the file (exit 2)", () => {
    const data = write("one.jsonl", JSON.stringify({ target: 10, nums: [2, 3, 5], solution: "", answer: "1" }) + "\n");
    write("not-a-task.ts", "export default { name: 'small', verify: () => true };\n");
    const cases: Array<[string, RegExp]> = [
      ["./src/missing.ts", /^selfimprove: --task: no task module at .*src\/missing\.ts\n$/],
      ["./src/reward.ts", /^selfimprove: --task: .*src\/reward\.ts: no default export \(export default defineTask/],
      ["./not-a-task.ts", /^selfimprove: --task: .*not-a-task\.ts: the default export is not a task/],
    ];
    for (const [task, message] of cases) {
      const r = cli(["verify", "--task", task, "--data", data]);
      expect(r.stderr, task).toMatch(message);
      expect(r.stdout, task).toBe("");
      expect(r.status, task).toBe(2);
    }
  }, 90_000);
});

describe("eval --task ./src/task.ts", () => {
  test("evaluates the task on its base model and prints the figures", () => {
    const r = cli(["eval", "--task", "./src/task.ts", "-n", "8", "--backend", "wasm", "--json"]);
    expect(r.status, r.stderr).toBe(0);
    const result = JSON.parse(r.stdout) as Record<string, unknown>;
    expect(result).toMatchObject({
      model: path.join(PROJECT_ROOT, "models", "countdown-base"),
      task: "small-countdown",
    });
    expect(result.n).toBe(8);
    for (const figure of ["firstTry", "secondTry", "judgeGap"]) {
      const x = result[figure];
      expect(typeof x === "number" && Number.isFinite(x), figure).toBe(true);
    }
    // Judging asks about the task's right and typical wrong answer for each problem.
    expect((result.judge as { n: number }).n).toBe(16);
  }, 120_000);
});

describe("a defined task's verify format", () => {
  interface Item extends TaskProblem {
    word: string;
  }
  const task = defineTask<Item>({
    name: "echo-word",
    base: "countdown",
    generate: () => ({ id: "w", word: "w" }),
    prompts: { answer: (p) => p.word, judge: (p) => p.word, reflect: (p) => p.word, retry: (p) => p.word },
    verify: (p, answer) => {
      if (answer === "boom") throw new Error("cannot read this answer");
      if (answer === "odd") return "yes" as unknown as boolean;
      return answer === p.word;
    },
    jsonl: {
      parse: (r) => {
        if (typeof r.word !== "string") throw new Error("word: expected a string");
        return { id: `w-${r.word}`, word: r.word };
      },
      format: (p) => ({ word: p.word }),
    },
  });

  test("what the user's verifier throws or returns that is no verdict is that line's error; the rest are verified", () => {
    const lines = [
      { word: "a", answer: "a" },
      { word: "a", answer: "boom" },
      { word: "a", answer: "odd" },
      { word: "a", answer: "b" },
      { answer: "a" },
      { word: "a" },
    ];
    const bytes = Buffer.from(lines.map((l) => JSON.stringify(l)).join("\n"));
    const verdicts = [...verifyJsonlLines(bytes, definedTaskAnswerFormat(task))];
    expect(verdicts.map((v) => (isBadLine(v) ? v.error : v.correct))).toEqual([
      true,
      "task echo-word's verify failed: cannot read this answer",
      "task echo-word's verify returned neither a boolean nor { correct, reason }",
      false,
      "word: expected a string",
      'field "answer": required',
    ]);
  });
});
