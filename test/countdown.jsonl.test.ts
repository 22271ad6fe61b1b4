import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Command } from "commander";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { registerVerify, runVerify, verifyJsonl } from "../src/cli/commands/verify.js";
import { CliError } from "../src/cli/errors.js";
import { generateCountdownSet } from "../src/tasks/countdown/generate.js";
import { parseCountdownJsonl } from "../src/tasks/countdown/jsonl.js";
import { JsonlError, toJsonl } from "../src/util/jsonl.js";

function jsonlError(fn: () => unknown): JsonlError {
  try {
    fn();
  } catch (err) {
    if (err instanceof JsonlError) return err;
    throw err;
  }
  throw new Error("expected a JsonlError");
}

describe("parseCountdownJsonl", () => {
  test("reads the public format, skipping blank lines and keeping unknown fields in raw", () => {
    const text =
      '{"target": 98, "nums": [44, 19, 35]}\n' +
      "\n" +
      '{"target": 1, "nums": [7, 3, 2, 3], "id": "x", "extra": {"a": 1}}\r\n' +
      "   \n";
    const records = parseCountdownJsonl(text, "data.jsonl");
    expect(records).toEqual([
      { line: 1, puzzle: { target: 98, nums: [44, 19, 35] }, raw: { target: 98, nums: [44, 19, 35] } },
      {
        line: 3,
        puzzle: { target: 1, nums: [7, 3, 2, 3] },
        raw: { target: 1, nums: [7, 3, 2, 3], id: "x", extra: { a: 1 } },
      },
    ]);
  });

  test("round-trips generated puzzles through toJsonl", () => {
    const set = generateCountdownSet(3, 20);
    const back = parseCountdownJsonl(toJsonl(set), "gen.jsonl");
    expect(back.map((r) => r.puzzle)).toEqual(set.map((p) => ({ target: p.target, nums: p.nums })));
    expect(back.map((r) => r.raw)).toEqual(set);
    expect(toJsonl([])).toBe("");
  });

  test.each([
    ['{"target": 1, "nums": [1]}\n\n{"target": 2, nums: [1]}', 3, /^data\.jsonl:3: invalid JSON \(/],
    [
      '{"target": 1, "nums": [1]}\n{"target": 2, "nums": "1 2"}',
      2,
      /^data\.jsonl:2: field "nums": expected array, received string$/,
    ],
    ['{"nums": [1]}', 1, /^data\.jsonl:1: field "target": required$/],
    ['{"target": 1.5, "nums": [1]}', 1, /field "target": expected integer/],
    ['{"target": 1, "nums": [1, -2]}', 1, /field "nums\[1\]": number must be greater than 0/],
    ['{"target": 1, "nums": []}', 1, /field "nums": array must contain at least 1/],
    ['{"target": 1, "nums": [1,2,3,4,5,6,7]}', 1, /field "nums": array must contain at most 6/],
    ["[1, 2]", 1, /^data\.jsonl:1: expected a JSON object, got an array$/],
  ])("bad input %j is reported at line %i", (text, line, message) => {
    const err = jsonlError(() => parseCountdownJsonl(text, "data.jsonl"));
    expect(err.line).toBe(line);
    expect(err.file).toBe("data.jsonl");
    expect(err.message).toMatch(message);
  });
});

describe("verify command", () => {
  let dir = "";
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "selfimprove-verify-"));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const good =
    '{"target": 98, "nums": [44, 19, 35], "answer": "44+19+35"}\n' +
    '{"target": 98, "nums": [44, 19, 35], "answer": "44+19-35", "note": "ignored"}\n' +
    '{"target": 1, "nums": [7, 3, 2, 3], "answer": "(7/3-2)*3"}\n' +
    '{"target": 1, "nums": [4, 2, 2], "answer": "4/(2-2)"}\n';

  test("verifyJsonl gives one verdict per line", () => {
    expect(verifyJsonl(good, "a.jsonl")).toEqual([
      { line: 1, target: 98, nums: [44, 19, 35], answer: "44+19+35", correct: true, reason: "ok" },
      { line: 2, target: 98, nums: [44, 19, 35], answer: "44+19-35", correct: false, reason: "wrong value" },
      { line: 3, target: 1, nums: [7, 3, 2, 3], answer: "(7/3-2)*3", correct: true, reason: "ok" },
      { line: 4, target: 1, nums: [4, 2, 2], answer: "4/(2-2)", correct: false, reason: "division by zero" },
    ]);
  });

  test("a missing or non-string answer is a line-numbered error", () => {
    const missing = jsonlError(() =>
      verifyJsonl('{"target": 1, "nums": [1], "answer": "1"}\n{"target": 1, "nums": [1]}', "b.jsonl"),
    );
    expect(missing.message).toBe('b.jsonl:2: field "answer": required');
    const wrongType = jsonlError(() => verifyJsonl('{"target": 1, "nums": [1], "answer": 1}', "b.jsonl"));
    expect(wrongType.message).toBe('b.jsonl:1: field "answer": expected string, received number');
  });

  test("runVerify prints JSON lines", async () => {
    const file = join(dir, "good.jsonl");
    await writeFile(file, good);
    const out: string[] = [];
    await runVerify({ task: "countdown", data: file }, (chunk) => out.push(chunk));
    expect(out).toHaveLength(4);
    expect(out[0]).toBe('{"line":1,"target":98,"nums":[44,19,35],"answer":"44+19+35","correct":true,"reason":"ok"}\n');
  });

  async function cliError(p: Promise<unknown>): Promise<CliError> {
    const err: unknown = await p.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(CliError);
    return err as CliError;
  }

  test("unknown task names the known ones and exits 2", async () => {
    const err = await cliError(runVerify({ task: "chess", data: "x.jsonl" }, () => undefined));
    expect(err.exitCode).toBe(2);
    expect(err.message).toMatch(/unknown task "chess".*countdown/);
  });

  test("missing file exits 2", async () => {
    const file = join(dir, "nope.jsonl");
    const err = await cliError(runVerify({ task: "countdown", data: file }, () => undefined));
    expect(err.exitCode).toBe(2);
    expect(err.message).toContain("no such file");
    expect(err.message).toContain("nope.jsonl");
  });

  test("bad line exits 2 with file:line", async () => {
    const file = join(dir, "bad.jsonl");
    await writeFile(file, good + "not json\n");
    const err = await cliError(runVerify({ task: "countdown", data: file }, () => undefined));
    expect(err.exitCode).toBe(2);
    expect(err.message).toMatch(new RegExp(`bad\\.jsonl:5: invalid JSON`));
  });

  test("registerVerify wires the options into a commander program", async () => {
    const program = new Command().exitOverride();
    registerVerify(program);
    const err = await cliError(
      program.parseAsync(["verify", "--task", "chess", "--data", "x.jsonl"], { from: "user" }),
    );
    expect(err.exitCode).toBe(2);
  });
});
