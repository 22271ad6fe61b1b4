// A model with its tokenizer: what actors, tasks and the CLI hold. Text in, text out, with the
// token-level detail (ids, log-probs) that RL needs kept alongside.
import type { ModelConfig } from "./config.js";
import { GPT } from "./gpt.js";
import { generate, type Sample, type SampleOptions } from "./sample.js";
import { scoreContinuations } from "./score.js";
import { Tokenizer, type TokenizerSpec } from "./tokenizer.js";
import { loadCheckpoint, saveCheckpoint, type Checkpoint } from "./checkpoint.js";
import type { OptimizerState } from "./optim.js";

/**
 * A model with its tokenizer: text in, samples with their log-probabilities out. What a library user
 * loads, samples, scores and saves; {@link InProcessPolicy} makes one the {@link Policy} of a run.
 *
 * @example
 * ```ts
 * import { LanguageModel, countdown, initBackend } from "selfimprove";
 *
 * await initBackend("auto");
 * const lm = LanguageModel.load("node_modules/selfimprove/models/countdown-base");
 * const puzzle = { target: 98, nums: [44, 19, 35] };
 * const [sample] = lm.complete([countdown.answerPrompt(puzzle)], { maxTokens: countdown.MAX_TOKENS.answer, temperature: 0 });
 * console.log(sample?.text, countdown.verifyCountdown(puzzle, sample?.text ?? "").correct);
 * lm.dispose();
 * ```
 */
export class LanguageModel {
  constructor(
    readonly model: GPT,
    readonly tokenizer: Tokenizer,
    /** Provenance carried from the checkpoint. */
    readonly meta: Record<string, unknown> = {},
  ) {
    if (tokenizer.vocabSize !== model.config.vocabSize) {
      throw new Error(`model vocab ${model.config.vocabSize} does not match tokenizer vocab ${tokenizer.vocabSize}`);
    }
  }

  /** A freshly initialised model (seeded) for a tokenizer; the vocabulary size comes from the tokenizer. */
  static create(config: Omit<ModelConfig, "vocabSize">, tokenizer: TokenizerSpec, seed: number): LanguageModel {
    const tok = new Tokenizer(tokenizer);
    return new LanguageModel(GPT.create({ ...config, vocabSize: tok.vocabSize }, seed), tok);
  }

  /** The model a loaded {@link Checkpoint} holds. */
  static fromCheckpoint(ckpt: Checkpoint): LanguageModel {
    return new LanguageModel(new GPT(ckpt.config, ckpt.weights), new Tokenizer(ckpt.tokenizer), ckpt.meta);
  }

  /** Loads a checkpoint directory (e.g. a shipped base model, or a run's `checkpoint/`). */
  static load(dir: string): LanguageModel {
    return LanguageModel.fromCheckpoint(loadCheckpoint(dir));
  }

  /**
   * Writes the model as a checkpoint directory, atomically; `optimizer` adds the state needed to
   * resume training.
   */
  async save(dir: string, extra: { meta?: Record<string, unknown>; optimizer?: OptimizerState } = {}): Promise<void> {
    saveCheckpoint(dir, {
      config: this.model.config,
      tokenizer: this.tokenizer.spec,
      weights: await this.model.weights(),
      meta: { ...this.meta, ...extra.meta },
      ...(extra.optimizer ? { optimizer: extra.optimizer } : {}),
    });
  }

  /** Samples completions for text prompts. */
  complete(prompts: readonly string[], opts: SampleOptions): Sample[] {
    return generate(
      this.model,
      this.tokenizer,
      prompts.map((p) => this.tokenizer.encode(p)),
      opts,
    );
  }

  /** Total log-probability of each continuation given its prompt. */
  logProb(pairs: ReadonlyArray<{ prompt: string; continuation: string }>): number[] {
    const scores = scoreContinuations(
      this.model,
      pairs.map((p) => ({
        prompt: this.tokenizer.encode(p.prompt),
        continuation: this.tokenizer.encode(p.continuation),
      })),
      { pad: this.tokenizer.pad },
    );
    return scores.map((s) => s.reduce((a, b) => a + b, 0));
  }

  /** Frees the model's tensors; the model is unusable afterwards. */
  dispose(): void {
    this.model.dispose();
  }
}
