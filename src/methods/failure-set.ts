// R3's failure set: rejection sampling keeps only the problems the model fails. Each candidate
// gets `samples` attempts; a problem joins the set when none of them is right. Training on
// these is where reflection can matter (a first-try success would train nothing).
import type { TaskProblem, TaskSpec } from "../tasks/task.js";
import type { Policy } from "../engine/policy.js";
import { Rng } from "../util/rng.js";

/** How R3's failure set is drawn: its size, attempts per candidate, temperature and seed. */
export interface FailureSetOptions {
  seed: number;
  size: number;
  samples: number;
  temperature: number;
  /** Candidates examined per batch. */
  batch?: number;
  /** Give up after this many candidates (the model may be too good). */
  maxCandidates?: number;
}

/**
 * R3's failure set by rejection sampling: problems the policy fails on every one of `samples`
 * attempts (training on them is where reflection can matter).
 */
export async function buildFailureSet(task: TaskSpec, policy: Policy, opts: FailureSetOptions): Promise<TaskProblem[]> {
  const rng = new Rng((opts.seed * 2_654_435_761 + 0xfa11) >>> 0);
  const batch = opts.batch ?? 64;
  const maxCandidates = opts.maxCandidates ?? opts.size * 20;
  const kept: TaskProblem[] = [];
  let examined = 0;
  let call = 0;
  while (kept.length < opts.size && examined < maxCandidates) {
    const candidates = Array.from({ length: batch }, () => task.generate(rng));
    examined += batch;
    const prompts = candidates.flatMap((p) => Array.from({ length: opts.samples }, () => task.answerPrompt(p)));
    const samples = await policy.complete(prompts, {
      maxTokens: task.maxTokens.answer,
      temperature: opts.temperature,
      seed: opts.seed * 7919 + call++,
    });
    candidates.forEach((p, i) => {
      const anyRight = samples
        .slice(i * opts.samples, (i + 1) * opts.samples)
        .some((s) => task.verify(p, task.extractAnswer(s.text)).correct);
      if (!anyRight && kept.length < opts.size) kept.push(p);
    });
  }
  if (kept.length === 0)
    throw new Error(`failure set: the model solved all ${examined} candidate problems; nothing to reflect on`);
  return kept;
}
