// Learner: turns a batch of experiences into one (or a few) policy updates. Rewards are checked
// before anything else; advantages are computed per group; the loss is the scenario's algorithm
// over exactly the tokens each experience marks as trained. PPO instead takes per-token advantages
// from GAE over its critic's values, with the KL to the reference folded into the rewards.
import type { ExperienceMessage } from "../src/messages.js";
import type { LanguageModel } from "../src/engine/language-model.js";
import type { Trainer } from "../src/engine/train.js";
import {
  checkedExperienceReward,
  groupAdvantages,
  groupIndices,
  rlooAdvantages,
  fracRewardZeroStd,
  segmentMask,
} from "../src/rewards/index.js";
import {
  AdaptiveKlController,
  buildRlBatch,
  FixedKlController,
  grpoLoss,
  policyEstimates,
  ppoLoss,
  ppoRollout,
  reinforceLoss,
  sequenceLogProbs,
  type AlgorithmConfig,
  type GrpoConfig,
  type KlController,
  type PpoSettings,
  type ReinforceConfig,
  type RlSequence,
  type TermSettings,
} from "../src/rl/index.js";
import { VALUE_PARAM } from "../src/engine/value-head.js";
import { Rng } from "../src/util/rng.js";
import type { UpdateStats } from "../machines/learner.js";

export interface LearnerSettings {
  /**
   * The algorithm and its own settings, as src/rl/config.ts parses them (a scenario's algorithm
   * block): each algorithm reads its branch and nothing else. Aggregation "constant" needs
   * maxCompletionLength here (the divisor is B × maxCompletionLength): the runner fills in the
   * task's default.
   */
  algorithm: AlgorithmConfig;
  /**
   * The temperature the samples were drawn at. Every log-prob of an update (behaviour, old,
   * reference, current) is taken under softmax(logits / temperature), as TRL does; otherwise the
   * importance ratio compares the tempered sampler with the untempered policy and is not 1 even
   * on-policy. 0 (greedy) counts as 1: the sampler reports greedy log-probs at temperature 1.
   * Default 1.
   */
  temperature?: number;
  /** Which parameters learn (default: all). For PPO the value head always learns as well. */
  trainable?: (name: string) => boolean;
  /** State saved in a checkpoint, restored by `--resume` (see LearnerState). */
  resume?: LearnerState;
  /**
   * Samples may come from older weights (maxStaleness ≥ 1): the loss uses the behaviour
   * policy's log-probs recorded at sampling time as the old log-probs, so the ratio corrects
   * for staleness, with GRPO's dual clip (its importanceRatioCap) capping how far a stale sample
   * can push.
   */
  offPolicy?: boolean;
}

/** What a Learner carries from one update to the next, beyond the weights and optimizer. */
export interface LearnerState {
  /** PPO's adaptive KL coefficient β. */
  klCoef?: number;
  /** Updates so far (seeds PPO's minibatch shuffle). */
  updates?: number;
}

/** An update function; stateful learners also report what a checkpoint must keep. */
export type LearnerUpdate = ((batch: ExperienceMessage[]) => Promise<UpdateStats>) & { state?: () => LearnerState };

interface Flattened {
  tokens: number[];
  mask: number[];
}

function flatten(e: ExperienceMessage): Flattened {
  const tokens: number[] = [];
  for (const s of e.segments) tokens.push(...s.tokens);
  return { tokens, mask: Array.from(segmentMask(e.segments)) };
}

/**
 * The behaviour policy's per-token log-probs, aligned with the flattened tokens: sampled
 * segments carry them (under softmax(logits / temperature), the distribution the loss scores
 * under too: see LearnerSettings.temperature); tokens nobody sampled (prompts) get NaN, which
 * the batch builder zeroes as untrained.
 */
function behaviourLogp(e: ExperienceMessage): number[] {
  const out: number[] = [];
  for (const s of e.segments) {
    if (s.train && (!s.logprobs || s.logprobs.length !== s.tokens.length))
      throw new Error(`learner: trained segment "${s.role}" of ${e.trace.id} has no sampling log-probs`);
    for (let i = 0; i < s.tokens.length; i++) out.push(s.logprobs?.[i] ?? Number.NaN);
  }
  return out;
}

/** log p(token_i | tokens_<i) under a model at the loss's temperature, with entry 0 (never predicted) set to 0. */
function perTokenLogp(lm: LanguageModel, seqs: readonly Flattened[], temperature: number): number[][] {
  return sequenceLogProbs(lm.model, seqs, lm.tokenizer.pad, { temperature });
}

/** The temperature the loss scores at: the sampler's, with greedy (0) reported at 1. */
function lossTemperature(settings: LearnerSettings): number {
  const t = settings.temperature ?? 1;
  if (!(t >= 0) || !Number.isFinite(t)) throw new Error(`learner: temperature must be finite and ≥ 0, got ${t}`);
  return t > 0 ? t : 1;
}

/**
 * What every algorithm's loss takes from the settings: aggregation with its constant divisor, and
 * the temperature. Aggregation "constant" without maxCompletionLength would fall back to the padded
 * batch length, which moves from batch to batch: refused here rather than trained on.
 */
function termSettings(settings: LearnerSettings): TermSettings {
  const { aggregation, maxCompletionLength } = settings.algorithm;
  if (aggregation === "constant" && maxCompletionLength === undefined) {
    throw new Error(
      'learner: aggregation "constant" needs maxCompletionLength (the divisor is batch size × maxCompletionLength)',
    );
  }
  return {
    aggregation,
    ...(maxCompletionLength !== undefined ? { maxCompletionLength } : {}),
    temperature: lossTemperature(settings),
  };
}

/**
 * Dr. GRPO's default maxCompletionLength for a task: its longest generation. Every experience
 * trains one generated segment (an answer or a reflection), each capped by the task's maxTokens.
 */
export function defaultMaxCompletionLength(task: { maxTokens: { answer: number; reflection: number } }): number {
  return Math.max(task.maxTokens.answer, task.maxTokens.reflection);
}

/**
 * The algorithm settings a Learner is given on a task: the parsed block as it is (no field added
 * or renamed), except that aggregation "constant" without maxCompletionLength gets the task's.
 */
export function learnerAlgorithm<A extends AlgorithmConfig>(
  algorithm: A,
  task: { maxTokens: { answer: number; reflection: number } },
): A {
  if (algorithm.aggregation !== "constant" || algorithm.maxCompletionLength !== undefined) return algorithm;
  return { ...algorithm, maxCompletionLength: defaultMaxCompletionLength(task) };
}

export function advantagesFor(settings: LearnerSettings, rewards: number[], groups: string[]): number[] {
  const a = settings.algorithm;
  if (a.name === "ppo")
    throw new Error("learner: ppo's advantages come from GAE over its critic (ppoRollout), not from the group");
  if (a.name === "grpo") return groupAdvantages(rewards, groups, { scaleByStd: a.scaleByStd });
  const out = new Array<number>(rewards.length).fill(0);
  for (const members of groupIndices(groups).values()) {
    const rs = members.map((i) => rewards[i] as number);
    const adv = a.name === "rloo" ? rlooAdvantages(rs) : rs;
    members.forEach((i, k) => (out[i] = adv[k] as number));
  }
  return out;
}

function rewardStats(batch: readonly ExperienceMessage[], rewards: readonly number[]): Record<string, number> {
  const groups = batch.map((e) => e.groupId);
  const byGroup = [...groupIndices(groups).values()].map((m) => m.map((i) => rewards[i] as number));
  const mean = rewards.reduce((a, b) => a + b, 0) / rewards.length;
  const std = Math.sqrt(rewards.reduce((a, b) => a + (b - mean) ** 2, 0) / rewards.length);
  return {
    reward_mean: mean,
    reward_std: std,
    frac_reward_zero_std: fracRewardZeroStd(byGroup),
    groups: byGroup.length,
  };
}

/**
 * PPO: rollout estimates with the current policy and critic, KL-shaped rewards, GAE, then
 * `epochs` passes of the clipped policy + value loss. β lives in this closure, so it carries from
 * one step to the next; it is updated after the optimisation with the rollout's KL (trlx's
 * mean_kl), counting epochs × sequences steps as trlx does (one update of batch_size per backward).
 */
function ppoLearnerUpdate(
  policy: LanguageModel,
  trainer: Trainer,
  reference: LanguageModel | undefined,
  settings: LearnerSettings,
  p: PpoSettings,
) {
  if (p.minibatchSize !== undefined && !(Number.isInteger(p.minibatchSize) && p.minibatchSize >= 1))
    throw new Error(`learner: minibatchSize must be a positive integer, got ${p.minibatchSize}`);
  const resumedKl = settings.resume?.klCoef;
  // klCoef is β at the first update (RLC: 0.1); klTarget 0 keeps it there.
  const kl: KlController =
    p.klTarget > 0
      ? new AdaptiveKlController({ init: p.klCoef, target: p.klTarget, horizon: p.klHorizon }, resumedKl)
      : new FixedKlController(p.klCoef);
  // A freshly added critic that cannot learn would leave GAE with V ≡ 0 forever: whatever
  // trainLayers freezes, the value head trains.
  const only = settings.trainable;
  const trainable = only ? (name: string): boolean => name === VALUE_PARAM || only(name) : undefined;
  let updates = settings.resume?.updates ?? 0;
  const terms = termSettings(settings);
  const update = async (batch: ExperienceMessage[]): Promise<UpdateStats> => {
    // Checked here, not when the closure is built: a run with a stand-in policy builds it unused.
    if (!policy.model.config.valueHead)
      throw new Error("learner: ppo needs a policy with a value head (load it with languageModelWithValueHead)");
    if (kl.value > 0 && !reference)
      throw new Error(`learner: ppo with KL coefficient ${kl.value} needs the frozen reference model`);
    const pad = policy.tokenizer.pad;
    const rewards = batch.map(checkedExperienceReward);
    const flat = batch.map(flatten);
    const beta = kl.value;
    const est = policyEstimates(policy.model, flat, pad, { temperature: terms.temperature });
    const ref = reference ? perTokenLogp(reference, flat, terms.temperature ?? 1) : undefined;
    const rollout = ppoRollout(
      flat.map((f, i) => ({ tokens: f.tokens, mask: f.mask, score: rewards[i] as number })),
      est,
      ref,
      beta,
      p,
      pad,
    );
    const B = batch.length;
    const size = Math.min(p.minibatchSize ?? B, B);
    // Shuffled minibatches (trlx shuffles its rollout store); seeded by the update count so a run
    // is reproducible. The whole batch needs no shuffle.
    const rng = new Rng(0x5eed + updates);
    const sums: Record<string, number> = {};
    let steps = 0;
    for (let epoch = 0; epoch < p.epochs; epoch++) {
      const rows0 = Array.from({ length: B }, (_, i) => i);
      const order = size < B ? rng.shuffle(rows0) : rows0;
      for (let start = 0; start < B; start += size) {
        const rows = order.slice(start, start + size);
        // Same padded length as the rollout so every minibatch sees the positions policyEstimates saw.
        const mb =
          size === B
            ? rollout.batch
            : buildRlBatch(
                rows.map((i) => rollout.sequences[i] as RlSequence),
                pad,
                { length: rollout.batch.length },
              );
        // The clip is symmetric: the parsed ppo settings carry ε as clipLow (and clipHigh).
        const r = trainer.step(
          () => ppoLoss(policy.model, mb, { ...terms, clip: p.clipLow, valueClip: p.valueClip, vfCoef: p.vfCoef }),
          {
            lr: p.lr,
            ...(trainable ? { trainable } : {}),
          },
        );
        for (const [k, v] of Object.entries({ ...r.metrics, loss: r.loss, gradNorm: r.gradNorm }))
          sums[k] = (sums[k] ?? 0) + v;
        steps++;
      }
    }
    const avg = Object.fromEntries(Object.entries(sums).map(([k, v]) => [k, v / steps]));
    const seqKl = rollout.seqKl.reduce((a, b) => a + b, 0) / B;
    kl.update(seqKl, p.epochs * B);
    updates++;
    const { loss = NaN, gradNorm = NaN, ...metrics } = avg;
    return {
      loss,
      gradNorm,
      experiences: B,
      metrics: {
        ...metrics,
        // The runner logs `kl`: here the rollout's per-token k1 to the reference (what the rewards were charged).
        kl: rollout.stats.klPerToken,
        kl_seq: seqKl,
        kl_coef: beta,
        kl_coef_next: kl.value,
        value_mean: rollout.stats.valueMean,
        return_mean: rollout.stats.returnMean,
        optimizer_steps: steps,
        ...rewardStats(batch, rewards),
      },
    };
  };
  return Object.assign(update, { state: (): LearnerState => ({ klCoef: kl.value, updates }) });
}

export function learnerUpdate(
  policy: LanguageModel,
  trainer: Trainer,
  reference: LanguageModel | undefined,
  settings: LearnerSettings,
): LearnerUpdate {
  const a = settings.algorithm;
  if (a.name === "ppo") return ppoLearnerUpdate(policy, trainer, reference, settings, a);
  const terms = termSettings(settings);
  const temperature = terms.temperature ?? 1;
  const grpoConfig: Partial<GrpoConfig> | undefined =
    a.name === "grpo"
      ? {
          clipLow: a.clipLow,
          clipHigh: a.clipHigh,
          klCoef: a.klCoef,
          klEstimator: a.klEstimator,
          ...terms,
          ...(settings.offPolicy ? { maxImportanceRatio: a.importanceRatioCap } : {}),
        }
      : undefined;
  // REINFORCE and RLOO: the same aggregation and KL term as GRPO, no ratio and no clip.
  const reinforceConfig: Partial<ReinforceConfig> = { ...terms, klCoef: a.klCoef, klEstimator: a.klEstimator };
  return async (batch: ExperienceMessage[]): Promise<UpdateStats> => {
    const rewards = batch.map(checkedExperienceReward);
    const groups = batch.map((e) => e.groupId);
    const advantages = advantagesFor(settings, rewards, groups);
    const flat = batch.map(flatten);
    const ref = reference && a.klCoef > 0 ? perTokenLogp(reference, flat, temperature) : undefined;
    const old = settings.offPolicy
      ? batch.map(behaviourLogp)
      : a.epochs > 1
        ? perTokenLogp(policy, flat, temperature)
        : undefined;
    const sequences: RlSequence[] = flat.map((f, i) => ({
      tokens: f.tokens,
      mask: f.mask,
      advantages: advantages[i] as number,
      ...(ref ? { refLogp: ref[i] as number[] } : {}),
      ...(old ? { oldLogp: old[i] as number[] } : {}),
    }));
    const rl = buildRlBatch(sequences, policy.tokenizer.pad);
    let last = { loss: 0, gradNorm: 0, metrics: {} as Record<string, number> };
    for (let epoch = 0; epoch < a.epochs; epoch++) {
      last = trainer.step(
        () => (grpoConfig ? grpoLoss(policy.model, rl, grpoConfig) : reinforceLoss(policy.model, rl, reinforceConfig)),
        {
          lr: a.lr,
          ...(settings.trainable ? { trainable: settings.trainable } : {}),
        },
      );
    }
    return {
      loss: last.loss,
      gradNorm: last.gradNorm,
      experiences: batch.length,
      metrics: { ...last.metrics, ...rewardStats(batch, rewards) },
    };
  };
}
