// A model with its tokenizer: what actors, tasks and the CLI hold. Text in, text out, with the
// token-level detail (ids, log-probs) that RL needs kept alongside.
import type { ModelConfig } from "./config.js";
import { GPT } from "./gpt.js";
import { generate, type Sample, type SampleOptions } from "./sample.js";
import { scoreContinuations } from "./score.js";
import { Tokenizer, type TokenizerSpec } from "./tokenizer.js";
import { loadCheckpoint, saveCheckpoint, type Checkpoint } from "./checkpoint.js";
import type { OptimizerState } from "./optim.js";

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

  static create(config: Omit<ModelConfig, "vocabSize">, tokenizer: TokenizerSpec, seed: number): LanguageModel {
    const tok = new Tokenizer(tokenizer);
    return new LanguageModel(GPT.create({ ...config, vocabSize: tok.vocabSize }, seed), tok);
  }

  static fromCheckpoint(ckpt: Checkpoint): LanguageModel {
    return new LanguageModel(new GPT(ckpt.config, ckpt.weights), new Tokenizer(ckpt.tokenizer), ckpt.meta);
  }

  static load(dir: string): LanguageModel {
    return LanguageModel.fromCheckpoint(loadCheckpoint(dir));
  }

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
    return generate(this.model, this.tokenizer, prompts.map((p) => this.tokenizer.encode(p)), opts);
  }

  /** Total log-probability of each continuation given its prompt. */
  logProb(pairs: ReadonlyArray<{ prompt: string; continuation: string }>): number[] {
    const scores = scoreContinuations(
      this.model,
      pairs.map((p) => ({ prompt: this.tokenizer.encode(p.prompt), continuation: this.tokenizer.encode(p.continuation) })),
      { pad: this.tokenizer.pad },
    );
    return scores.map((s) => s.reduce((a, b) => a + b, 0));
  }

  dispose(): void {
    this.model.dispose();
  }
}
