// `selfimprove verify` on hostile and clumsy data files: every bad line gets its own error verdict
// (the good ones are still verified), --strict rejects the file, huge lines and fields are refused
// before they are parsed or normalised, messages stay short and escaped, and a reader that goes
// away (`| head -1`) ends the command quietly. Work is asserted by counts and sizes, never time.
import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, afterEach, describe, expect, test, vi } from "vitest";
import { runVerify, type VerifyCounts } from "../src/cli/commands/verify.js";
import { CliError } from "../src/cli/errors.js";
import { countdownAnswerFormat } from "../src/tasks/countdown/jsonl.js";
import { translationAnswerFormat } from "../src/tasks/translation/jsonl.js";
import { answerFormat, isBadLine, MAX_ANSWER_CHARS, verifyJsonlLines } from "../src/tasks/verify-jsonl.js";
import { MAX_LINE_BYTES } from "../src/util/jsonl.js";
import { PROJECT_ROOT } from "../src/paths.js";

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "selfimprove-verify-hostile-"));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));
afterEach(() => vi.restoreAllMocks());

const good = (answer = "44+19+35"): string => JSON.stringify({ target: 98, nums: [44, 19, 35], answer });

function file(name: string, content: string | Buffer): string {
  const f = path.join(tmp, name);
  fs.writeFileSync(f, content);
  return f;
}

interface Outcome {
  verdicts: Array<Record<string, unknown>>;
  stdout: string;
  notes: string[];
  counts?: VerifyCounts;
  error?: CliError;
}

async function verify(task: string, data: string, strict = false): Promise<Outcome> {
  let stdout = "";
  const notes: string[] = [];
  const out: Outcome = { verdicts: [], stdout: "", notes };
  try {
    out.counts = await runVerify(
      { task, data, strict },
      (chunk) => (stdout += chunk),
      (m) => notes.push(m),
    );
  } catch (err) {
    if (!(err instanceof CliError)) throw err;
    out.error = err;
  }
  out.stdout = stdout;
  out.verdicts =
    stdout === ""
      ? []
      : stdout
          .trimEnd()
          .split("\n")
          .map((l) => JSON.parse(l) as Record<string, unknown>);
  return out;
}

/** A countdown format that counts the verifier's calls. */
function countingCountdown(): { calls: { n: number }; format: typeof countdownAnswerFormat } {
  const calls = { n: 0 };
  return {
    calls,
    format: answerFormat(countdownAnswerFormat.schema, (v, line) => {
      calls.n += 1;
      return countdownAnswerFormat.verdict(v, line);
    }),
  };
}

describe("a bad line does not cost the good ones their verdicts", () => {
  const mixed = Buffer.concat([
    Buffer.from(`${good()}\nnot json\n`),
    Buffer.from([0x7b, 0x00, 0x01, 0x7d, 0x0a]), // {NUL SOH}
    Buffer.from('{"target": 1, "nums": [1], "answer": "'),
    Buffer.from([0xff, 0xfe]),
    Buffer.from(`"}\n\n${good("44+19-35")}\n[1]\n`),
  ]);

  test("each bad line gets an error verdict with its line number; the rest are verified; exit 2 after", async () => {
    const r = await verify("countdown", file("mixed.jsonl", mixed));
    expect(r.verdicts.map((v) => v.line)).toEqual([1, 2, 3, 4, 6, 7]);
    expect(r.verdicts.map((v) => ("error" in v ? "error" : v.correct))).toEqual([
      true,
      "error",
      "error",
      "error",
      false,
      "error",
    ]);
    expect(r.verdicts[1]?.error).toMatch(/^invalid JSON \(/);
    expect(r.verdicts[2]?.error).toBe('contains a NUL byte at column 2 (is this a binary file?): "{\\x00\\x01}"');
    expect(r.verdicts[3]?.error).toMatch(/^not valid UTF-8 \(byte 39\): ".*\\xff\\xfe/);
    expect(r.verdicts[5]?.error).toBe("expected a JSON object, got an array");
    expect(r.notes).toEqual([`${path.join(tmp, "mixed.jsonl")}: 6 lines: 1 right, 1 wrong, 4 bad (not verified)`]);
    expect(r.error?.exitCode).toBe(2);
    expect(r.error?.message).toMatch(/4 of 6 lines could not be verified.*mixed\.jsonl:2: invalid JSON/);
  });

  test("--strict rejects the whole file at its first bad line and prints no verdicts", async () => {
    const r = await verify("countdown", file("mixed-strict.jsonl", mixed), true);
    expect(r.stdout).toBe("");
    expect(r.error?.exitCode).toBe(2);
    expect(r.error?.message).toMatch(/mixed-strict\.jsonl:2: invalid JSON/);
  });

  test("every task keeps going past a bad line", async () => {
    const lines: Record<string, string> = {
      functions: JSON.stringify({
        request: "weather in oslo",
        tool: "weather",
        args: { city: "oslo" },
        answer: '{"n":"weather","a":{"city":"oslo"}}',
      }),
      bbh: JSON.stringify({
        sub: "object_counting",
        input: "I have a cat. How many animals?",
        target: "1",
        answer: "1",
      }),
      translation: JSON.stringify({ source: "the dog sleeps", reference: "bako ta dor", answer: "bako ta dor" }),
    };
    for (const [task, line] of Object.entries(lines)) {
      const r = await verify(task, file(`${task}.jsonl`, `{"oops"\n${line}\n`));
      expect(
        r.verdicts.map((v) => [v.line, v.correct ?? "error"]),
        task,
      ).toEqual([
        [1, "error"],
        [2, true],
      ]);
    }
  });
});

describe("hostile sizes are refused before the work", () => {
  test("a line with 40,000 bad numbers: a short message listing the first 5 issues and counting the rest", async () => {
    const nums = Array.from({ length: 40_000 }, () => -1);
    const line = JSON.stringify({ target: 1, nums, answer: "1" });
    expect(Buffer.byteLength(line)).toBeLessThan(MAX_LINE_BYTES);
    const r = await verify("countdown", file("numbers.jsonl", `${line}\n${good()}\n`));
    const error = String(r.verdicts[0]?.error);
    // zod's issues: the array is too long, and each of the 40,000 elements is not positive.
    expect(error.split("; ").length).toBe(6);
    expect(error).toMatch(/; and 39996 more$/);
    expect(error.length).toBeLessThan(1200);
    expect(r.error?.message.length).toBeLessThan(1500);
    expect(r.verdicts[1]?.correct).toBe(true);
  });

  test("a line over the byte limit (a million numbers, a 5 MB answer) is never parsed or verified", () => {
    const parse = vi.spyOn(JSON, "parse");
    const { calls, format } = countingCountdown();
    const million = JSON.stringify({ target: 1, nums: Array.from({ length: 1_000_000 }, () => 1), answer: "1" });
    const hugeAnswer = good("1+".repeat(2_500_000));
    const text = [good(), million, hugeAnswer, good()].join("\n");
    const verdicts = [...verifyJsonlLines(Buffer.from(text), format)];
    expect(verdicts.map((v) => (isBadLine(v) ? v.error : v.correct))).toEqual([
      true,
      `line is ${Buffer.byteLength(million)} bytes, over the ${MAX_LINE_BYTES}-byte limit (not parsed)`,
      `line is ${Buffer.byteLength(hugeAnswer)} bytes, over the ${MAX_LINE_BYTES}-byte limit (not parsed)`,
      true,
    ]);
    expect(calls.n).toBe(2);
    const parsed = parse.mock.calls.map((c) => String(c[0]).length);
    expect(parsed).toHaveLength(2);
    expect(Math.max(...parsed)).toBeLessThanOrEqual(MAX_LINE_BYTES);
  });

  test("an answer over the field limit is reported and never reaches the verifier", () => {
    const { calls, format } = countingCountdown();
    const long = good("1".repeat(MAX_ANSWER_CHARS + 1));
    const limit = good("1".repeat(MAX_ANSWER_CHARS));
    const verdicts = [...verifyJsonlLines(Buffer.from(`${long}\n${limit}\n`), format)];
    expect(verdicts[0]).toEqual({
      line: 1,
      error: `field "answer": longer than ${MAX_ANSWER_CHARS} characters, the limit for an answer (not verified)`,
    });
    expect(verdicts[1]).toMatchObject({ line: 2, correct: false });
    expect(calls.n).toBe(1);
  });

  test("translation: a long answer is refused before BLEU normalises it", () => {
    let normalised = 0;
    const format = answerFormat(translationAnswerFormat.schema, (v, line) => {
      normalised += v.answer.length;
      return translationAnswerFormat.verdict(v, line);
    });
    const line = (answer: string): string =>
      JSON.stringify({ source: "the dog sleeps", reference: "bako ta dor", answer });
    const verdicts = [
      ...verifyJsonlLines(Buffer.from(`${line("bako ".repeat(10_000))}\n${line("bako ta dor")}\n`), format),
    ];
    expect(isBadLine(verdicts[0] as object)).toBe(true);
    expect(verdicts[1]).toMatchObject({ correct: true });
    expect((verdicts[1] as { bleu: number }).bleu).toBeCloseTo(100, 6);
    expect(normalised).toBe("bako ta dor".length);
  });
});

describe("files that are not what verify expects", () => {
  test("an empty file says 0 lines", async () => {
    const r = await verify("countdown", file("empty.jsonl", ""));
    expect(r.stdout).toBe("");
    expect(r.error).toBeUndefined();
    expect(r.notes).toEqual([`${path.join(tmp, "empty.jsonl")}: 0 lines (the file has no JSON lines to verify)`]);
    const blank = await verify("countdown", file("blank.jsonl", "\n  \r\n\n"));
    expect(blank.notes[0]).toMatch(/: 0 lines/);
  });

  test("a binary file: short escaped excerpts, never raw bytes", async () => {
    const bytes = Buffer.alloc(4096);
    for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 7919 + 13) % 256;
    const r = await verify("countdown", file("binary.jsonl", bytes));
    expect(r.verdicts.length).toBeGreaterThan(0);
    expect(r.verdicts.every((v) => typeof v.error === "string" && (v.error as string).length < 300)).toBe(true);
    // Everything printed is printable ASCII.
    expect(r.stdout).toMatch(/^[\x20-\x7e\n]*$/);
    expect(r.error?.message).toMatch(/^[\x20-\x7e]*$/);
    expect(r.notes.join("")).toMatch(/^[\x20-\x7e]*$/);
  });

  test("a directory is a clear error naming it", async () => {
    const r = await verify("countdown", tmp);
    expect(r.error?.exitCode).toBe(2);
    expect(r.error?.message).toBe(`data file ${JSON.stringify(tmp)} is a directory, not a JSONL file`);
  });
});

describe("a reader that goes away", () => {
  test("runVerify stops verifying when its writer says no one reads", async () => {
    const f = file("many.jsonl", `${good()}\n`.repeat(1000));
    let writes = 0;
    const counts = await runVerify(
      { task: "countdown", data: f },
      () => ++writes < 3,
      () => undefined,
    );
    expect(counts).toMatchObject({ lines: 3, stopped: true });
  });

  test("`verify ... | head -1`: the command exits 0 with nothing on stderr (no EPIPE stack trace)", async () => {
    const f = file("pipe.jsonl", `${good()}\n`.repeat(5_000));
    const child = spawn(
      process.execPath,
      [path.join(PROJECT_ROOT, "bin", "selfimprove.js"), "verify", "--task", "countdown", "--data", f],
      { stdio: ["ignore", "pipe", "pipe"] },
    );
    let stderr = "";
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    let first = "";
    child.stdout.once("data", (d: Buffer) => {
      first = d.toString().split("\n")[0] ?? "";
      child.stdout.destroy();
    });
    const code = await new Promise<number | null>((resolve) => child.on("close", (c) => resolve(c)));
    expect(JSON.parse(first)).toMatchObject({ line: 1, correct: true });
    expect(stderr).toBe("");
    expect(code).toBe(0);
  });
});
