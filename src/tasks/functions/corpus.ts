// The synthetic corpus a function-calling base model is pretrained on, built like Countdown's so
// that both RL methods have something real to find:
//
// - answer:  only a share of answers are right (the rest carry one mistake each), so the base
//            model answers imperfectly and RL can raise its accuracy;
// - judge:   right and wrong calls in equal measure, labelled by the verifier (RLC's premise:
//            judging is learned directly and ends up easier than answering);
// - reflect: after a failed call, a reflection proposes one edit. Good ones fix the call's error,
//            bad ones edit something else; the retry carries out the edit, so it succeeds after
//            good reflections and fails after bad ones. Which reflection to write is therefore
//            worth learning (R3's premise).
import type { Rng } from "../../util/rng.js";
import { CATALOGUE, toolByName } from "./catalogue.js";
import { formatCall, parseCall, toFunctionCall } from "./call.js";
import type { FunctionProblem } from "./generate.js";
import { otherValue, wrongCall, type MistakeKind } from "./mistakes.js";
import { answerPrompt, judgePrompt, reflectPrompt, SPECIAL } from "./prompts.js";
import {
  applyReflection,
  formatReflection,
  goodReflection,
  reflectionFixes,
  type ReflectionEdit,
} from "./reflection.js";
import { verifyCall } from "./verify.js";
import {
  DEFAULT_CORPUS_MIX,
  drawKind,
  reflectSegments,
  type CorpusMix,
  type ExampleKind,
  type TaskCorpusExample,
} from "../corpus.js";

export type FunctionExampleKind = ExampleKind;
export type FunctionCorpusExample = TaskCorpusExample;
export type FunctionCorpusMix = CorpusMix;
export const DEFAULT_FUNCTION_MIX: FunctionCorpusMix = DEFAULT_CORPUS_MIX;

// Reflect examples start from parsable attempts: a single edit can repair those.
const EDITABLE: readonly MistakeKind[] = ["tool", "missing", "unexpected", "value"];

/** Edits that are plausible for the attempt but do not repair it. */
function badEdits(rng: Rng, p: FunctionProblem, attempt: string): string[] {
  const parsed = parseCall(attempt);
  if (!parsed.ok) return [];
  const call = toFunctionCall(parsed.call);
  const schema = toolByName(call.tool);
  const edits: ReflectionEdit[] = [{ op: "use", tool: rng.pick(CATALOGUE.filter((t) => t.name !== p.tool)).name }];
  for (const param of schema?.params ?? []) {
    const current = Object.hasOwn(call.args, param.name) ? call.args[param.name] : undefined;
    const v = otherValue(rng, call.tool, param, current);
    if (v !== undefined) edits.push({ op: current === undefined ? "add" : "set", name: param.name, value: v });
    if (current !== undefined) edits.push({ op: "drop", name: param.name });
  }
  return edits
    .map(formatReflection)
    .filter((r) => applyReflection(attempt, r) !== undefined && !reflectionFixes(p, attempt, r));
}

function answerExample(rng: Rng, p: FunctionProblem, mix: FunctionCorpusMix): FunctionCorpusExample {
  const answer = rng.next() < mix.answerCorrect ? p.solution : wrongCall(rng, p).text;
  return {
    kind: "answer",
    segments: [
      { text: answerPrompt(p), train: false },
      { text: answer + SPECIAL.eos, train: true },
    ],
  };
}

function judgeExample(rng: Rng, p: FunctionProblem): FunctionCorpusExample {
  const answer = rng.next() < 0.5 ? p.solution : wrongCall(rng, p).text;
  const verdict = verifyCall(p, answer).correct ? SPECIAL.yes : SPECIAL.no;
  return {
    kind: "judge",
    segments: [
      { text: judgePrompt(p, answer), train: false },
      { text: verdict, train: true },
    ],
  };
}

function reflectExample(rng: Rng, p: FunctionProblem, mix: FunctionCorpusMix): FunctionCorpusExample {
  const attempt = wrongCall(rng, p, EDITABLE).text;
  const good = goodReflection(p, attempt);
  const bad = badEdits(rng, p, attempt);
  const useGood = good !== undefined && (bad.length === 0 || rng.next() < mix.goodReflection);
  let reflection: string;
  let retry: string;
  if (useGood) {
    reflection = good;
    retry = p.solution;
  } else {
    reflection = bad.length > 0 ? rng.pick(bad) : formatReflection({ op: "use", tool: p.tool });
    const edited = applyReflection(attempt, reflection);
    retry = edited === undefined ? attempt : formatCall(edited);
  }
  return {
    kind: "reflect",
    segments: reflectSegments(reflectPrompt(p, attempt), reflection, retry, SPECIAL),
  };
}

/** One training example for a problem, its kind drawn from the mix. */
export function functionCorpusExample(
  rng: Rng,
  p: FunctionProblem,
  mix: FunctionCorpusMix = DEFAULT_FUNCTION_MIX,
): FunctionCorpusExample {
  const kind = drawKind(rng, mix.kinds);
  return kind === "answer"
    ? answerExample(rng, p, mix)
    : kind === "judge"
      ? judgeExample(rng, p)
      : reflectExample(rng, p, mix);
}
