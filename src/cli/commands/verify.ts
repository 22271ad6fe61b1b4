// `selfimprove verify --task countdown --data FILE.jsonl` (or `--task ./my-task.ts`, a task of
// the user's own): scores candidate answers with the same verifier the RL reward uses, one JSON
// verdict per input line, so the reward can be audited by hand. A bad line gets its own {"line", "error"} verdict and the rest are still verified (the
// command then exits 2); --strict rejects the whole file at its first bad line, printing nothing.

import fs from "node:fs";
import type { Command } from "commander";
import { countdownAnswerFormat, type CountdownVerifyLine } from "../../tasks/countdown/jsonl.js";
import { functionAnswerFormat } from "../../tasks/functions/jsonl.js";
import { bbhAnswerFormat } from "../../tasks/bbh/jsonl.js";
import { translationAnswerFormat } from "../../tasks/translation/jsonl.js";
import {
  isBadLine,
  verifyJsonlLines,
  verifyJsonlStrict,
  type AnswerFormat,
  type BadLine,
} from "../../tasks/verify-jsonl.js";
import { definedTaskAnswerFormat } from "../../tasks/defined-task-verify.js";
import { escapeText } from "../../util/jsonl.js";
import { CliError } from "../errors.js";
import { isTaskPath, resolveTaskFlag } from "../task-flag.js";

export type VerifyResultLine = CountdownVerifyLine;

/** Verifies every line of a Countdown JSONL file that carries an `answer`. Throws JsonlError on bad lines. */
export function verifyJsonl(text: string, fileName: string): VerifyResultLine[] {
  return verifyJsonlStrict(text, fileName, countdownAnswerFormat);
}

type AnyFormat = AnswerFormat<never, { correct: boolean }>;

const TASKS: Record<string, AnyFormat> = {
  countdown: countdownAnswerFormat as unknown as AnyFormat,
  functions: functionAnswerFormat as unknown as AnyFormat,
  bbh: bbhAnswerFormat as unknown as AnyFormat,
  translation: translationAnswerFormat as unknown as AnyFormat,
};

export const KNOWN_TASKS: readonly string[] = Object.keys(TASKS);

export interface VerifyOptions {
  task: string;
  data: string;
  /** Reject the whole file at its first bad line (no verdicts at all). */
  strict?: boolean;
}

export interface VerifyCounts {
  lines: number;
  right: number;
  wrong: number;
  bad: number;
  /** The first bad line, for the closing message. */
  firstBad?: BadLine;
  /** Output stopped early because the reader went away (`| head`). */
  stopped: boolean;
}

/**
 * The verify format `--task` names: a shipped task's, or a task of the user's own (a module
 * path) through its JSONL reader and its verifier.
 */
async function formatOf(task: string): Promise<AnyFormat> {
  if (isTaskPath(task)) {
    const { definition } = await resolveTaskFlag(task);
    if (definition) return definedTaskAnswerFormat(definition) as unknown as AnyFormat;
  }
  const shipped = Object.hasOwn(TASKS, task) ? TASKS[task] : undefined;
  if (shipped !== undefined) return shipped;
  throw new CliError(
    `--task: unknown task ${JSON.stringify(task)} (known tasks: ${KNOWN_TASKS.join(", ")}); a task of your own is named by the path to its module, e.g. --task ./my-task.ts`,
    2,
  );
}

function readData(file: string): Buffer {
  const shown = JSON.stringify(escapeText(file));
  let stat: fs.Stats;
  try {
    stat = fs.statSync(file);
  } catch (err) {
    const code = err instanceof Error && "code" in err ? err.code : undefined;
    throw new CliError(
      `cannot read data file ${shown}: ${code === "ENOENT" ? "no such file" : err instanceof Error ? err.message : String(err)}`,
      2,
    );
  }
  if (stat.isDirectory()) throw new CliError(`data file ${shown} is a directory, not a JSONL file`, 2);
  try {
    return fs.readFileSync(file);
  } catch (err) {
    throw new CliError(`cannot read data file ${shown}: ${err instanceof Error ? err.message : String(err)}`, 2);
  }
}

/**
 * The command's action: one JSON verdict line per input line through `write`, which returns
 * false when nobody reads any more (the rest is then not even verified), then the counts through
 * `note`. Throws CliError (exit 2) after the verdicts when any line was bad.
 */
export async function runVerify(
  opts: VerifyOptions,
  write: (chunk: string) => unknown = (chunk) => void process.stdout.write(chunk),
  note: (message: string) => void = (message) => void process.stderr.write(`${message}\n`),
): Promise<VerifyCounts> {
  const format = await formatOf(opts.task);
  const bytes = readData(opts.data);
  const counts: VerifyCounts = { lines: 0, right: 0, wrong: 0, bad: 0, stopped: false };
  const verdicts: Iterable<object> =
    opts.strict === true ? strictly(bytes, opts.data, format) : verifyJsonlLines(bytes, format);
  for (const v of verdicts) {
    counts.lines += 1;
    if (isBadLine(v)) {
      counts.bad += 1;
      counts.firstBad ??= v;
    } else if ((v as { correct: boolean }).correct) counts.right += 1;
    else counts.wrong += 1;
    if ((await write(JSON.stringify(v) + "\n")) === false) {
      counts.stopped = true;
      break;
    }
  }
  if (counts.stopped) return counts;
  note(describeCounts(opts.data, counts));
  const first = counts.firstBad;
  if (first) {
    const file = escapeText(opts.data);
    throw new CliError(
      `${file}: ${counts.bad} of ${counts.lines} lines could not be verified (their verdicts say why); the first: ${file}:${first.line}: ${first.error}`,
      2,
    );
  }
  return counts;
}

function strictly(bytes: Buffer, file: string, format: AnyFormat): object[] {
  try {
    return verifyJsonlStrict(bytes, escapeText(file), format);
  } catch (err) {
    throw new CliError(err instanceof Error ? err.message : String(err), 2);
  }
}

/** "data.jsonl: 4 lines: 3 right, 1 wrong", or why there was nothing to verify. */
export function describeCounts(file: string, c: VerifyCounts): string {
  const name = escapeText(file);
  if (c.lines === 0) return `${name}: 0 lines (the file has no JSON lines to verify)`;
  const bad = c.bad > 0 ? `, ${c.bad} bad (not verified)` : "";
  return `${name}: ${c.lines} line${c.lines === 1 ? "" : "s"}: ${c.right} right, ${c.wrong} wrong${bad}`;
}

/**
 * Writes to stdout, waiting when the pipe is full (a slow reader holds back the verifying, not
 * memory); false once the reader has gone away (EPIPE), which ends the command quietly.
 */
function stdoutWriter(): (chunk: string) => Promise<boolean> {
  const out = process.stdout;
  out.on("error", (err: NodeJS.ErrnoException) => {
    if (err.code === "EPIPE") process.exit(0);
    process.stderr.write(`selfimprove: cannot write the verdicts: ${err.message}\n`);
    process.exit(1);
  });
  return async (chunk) => {
    if (out.destroyed) return false;
    if (out.write(chunk)) return !out.destroyed;
    return new Promise<boolean>((resolve) => {
      const settle = (ok: boolean) => (): void => {
        out.off("drain", onDrain);
        out.off("close", onClose);
        resolve(ok);
      };
      const onDrain = settle(true);
      const onClose = settle(false);
      out.once("drain", onDrain);
      out.once("close", onClose);
    });
  };
}

export function registerVerify(program: Command): Command {
  return program
    .command("verify")
    .description('check candidate answers in a JSONL file (task fields plus "answer") and print one verdict per line')
    .requiredOption(
      "--task <task>",
      `task whose verifier to use (${KNOWN_TASKS.join(", ")}, or the path to a module whose default export is a defineTask)`,
    )
    .requiredOption("--data <file>", 'JSONL file, one problem with an "answer" field per line')
    .option(
      "--strict",
      "reject the whole file at its first bad line (default: an error verdict for each bad line, the rest verified)",
    )
    .action(async (opts: VerifyOptions) => {
      // Output cut short by the reader (`| head`): end quietly, like any Unix filter.
      if ((await runVerify(opts, stdoutWriter())).stopped) process.exit(0);
    });
}
