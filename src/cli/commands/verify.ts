// `selfimprove verify --task countdown --data FILE.jsonl`: scores candidate answers with the same
// verifier the RL reward uses, one JSON verdict per input line, so the reward can be audited by hand.

import { readFile } from "node:fs/promises";
import type { Command } from "commander";
import { z } from "zod";
import { countdownPuzzleSchema } from "../../tasks/countdown/jsonl.js";
import { verifyCountdown, type CountdownReason } from "../../tasks/countdown/verify.js";
import { JsonlError, readJsonl } from "../../util/jsonl.js";
import { CliError } from "../errors.js";
import { verifyFunctionJsonl } from "../../tasks/functions/jsonl.js";
import { verifyBbhJsonl } from "../../tasks/bbh/jsonl.js";
import { verifyTranslationJsonl } from "../../tasks/translation/jsonl.js";

export interface VerifyResultLine {
  line: number;
  target: number;
  nums: number[];
  answer: string;
  correct: boolean;
  reason: CountdownReason;
}

const countdownAnswerSchema = countdownPuzzleSchema.extend({ answer: z.string() });

/** Verifies every line of a Countdown JSONL file that carries an `answer`. Throws JsonlError on bad lines. */
export function verifyJsonl(text: string, fileName: string): VerifyResultLine[] {
  return readJsonl(text, countdownAnswerSchema, fileName).map(({ line, value }) => {
    const { target, nums, answer } = value;
    const verdict = verifyCountdown({ target, nums }, answer);
    return { line, target, nums, answer, correct: verdict.correct, reason: verdict.reason };
  });
}

const TASKS: Record<string, (text: string, fileName: string) => readonly object[]> = {
  countdown: verifyJsonl,
  functions: verifyFunctionJsonl,
  bbh: verifyBbhJsonl,
  translation: verifyTranslationJsonl,
};

export const KNOWN_TASKS: readonly string[] = Object.keys(TASKS);

export interface VerifyOptions {
  task: string;
  data: string;
}

async function readData(file: string): Promise<string> {
  try {
    return await readFile(file, "utf8");
  } catch (err) {
    const code = err instanceof Error && "code" in err ? err.code : undefined;
    const why = code === "ENOENT" ? "no such file" : err instanceof Error ? err.message : String(err);
    throw new CliError(`cannot read data file ${JSON.stringify(file)}: ${why}`, 2);
  }
}

/** The command's action: writes one JSON verdict line per input line through `write`. */
export async function runVerify(
  opts: VerifyOptions,
  write: (chunk: string) => void = (chunk) => void process.stdout.write(chunk),
): Promise<void> {
  const verify = Object.hasOwn(TASKS, opts.task) ? TASKS[opts.task] : undefined;
  if (verify === undefined) {
    throw new CliError(`unknown task ${JSON.stringify(opts.task)} (known tasks: ${KNOWN_TASKS.join(", ")})`, 2);
  }
  const text = await readData(opts.data);
  let results: readonly object[];
  try {
    results = verify(text, opts.data);
  } catch (err) {
    if (err instanceof JsonlError) throw new CliError(err.message, 2);
    throw err;
  }
  for (const r of results) write(JSON.stringify(r) + "\n");
}

export function registerVerify(program: Command): Command {
  return program
    .command("verify")
    .description("check candidate answers in a JSONL file (task fields plus \"answer\") and print one verdict per line")
    .requiredOption("--task <name>", `task whose verifier to use (${KNOWN_TASKS.join(", ")})`)
    .requiredOption("--data <file>", "JSONL file, one puzzle with an \"answer\" field per line")
    .action(async (opts: VerifyOptions) => {
      await runVerify(opts);
    });
}
