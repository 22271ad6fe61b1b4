// The policy as generating actors see it: text in, samples out, with the weight version that
// produced them. In-process it is the LanguageModel itself; a worker pool (issue 4) implements
// the same interface. It lives beside the engine, below the runner, so that actors and the pool
// can depend on it without depending on the run layer.
import type { LanguageModel } from "./language-model.js";
import type { Sample, SampleOptions } from "./sample.js";
import type { Tokenizer } from "./tokenizer.js";

/**
 * A sample as a policy returns it. `weightVersion` names the weights that produced it: with a
 * worker pool that can lag `Policy.version` (maxStaleness), so consumers should prefer it.
 * Optional so that any Sample[] is still a valid answer (stand-in policies in tests).
 */
export interface PolicySample extends Sample {
  weightVersion?: number;
}

/**
 * The model as generating actors see it: text in, samples out, tagged with the weight version that
 * produced them. Implement it to put another model behind the actors; {@link InProcessPolicy} wraps
 * a {@link LanguageModel}.
 */
export interface Policy {
  readonly tokenizer: Tokenizer;
  /** Current weight version: the runner sets it when the Learner publishes a new one. */
  version: number;
  /** Samples one completion per prompt. */
  complete(prompts: readonly string[], opts: SampleOptions): Promise<PolicySample[]>;
  /** Total log-probability of each continuation given its prompt. */
  logProb(pairs: ReadonlyArray<{ prompt: string; continuation: string }>): Promise<number[]>;
}

/** The {@link Policy} of a {@link LanguageModel} in this process (a run without generation workers). */
export class InProcessPolicy implements Policy {
  version = 0;

  constructor(readonly lm: LanguageModel) {}

  get tokenizer(): Tokenizer {
    return this.lm.tokenizer;
  }

  /** Samples one completion per prompt, tagged with the current weight version. */
  async complete(prompts: readonly string[], opts: SampleOptions): Promise<PolicySample[]> {
    // In-process the model IS the current version: the Learner updates it between steps.
    const version = this.version;
    return this.lm.complete(prompts, opts).map((s) => ({ ...s, weightVersion: version }));
  }

  async logProb(pairs: ReadonlyArray<{ prompt: string; continuation: string }>): Promise<number[]> {
    return this.lm.logProb(pairs);
  }
}
