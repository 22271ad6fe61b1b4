// A run's checkpoints, written in two halves. The Learner's checkpoint after step N is staged
// (written and flushed beside checkpoint/) while the step ends; the runner appends and flushes
// step N's metrics and completions; only then is the staged checkpoint put in place. A crash at
// any point leaves a checkpoint that is not ahead of the logs, so `--resume` never skips a
// step's lines (it redoes, and rewrites, whatever the logs have past the checkpoint).
import { stageCheckpoint, type Checkpoint } from "../engine/checkpoint.js";
import type { LanguageModel } from "../engine/language-model.js";
import type { Trainer } from "../engine/train.js";
import type { StagedDir } from "../util/atomic.js";
import type { LearnerState } from "../../actors/learner.js";

export interface RunCheckpointMeta extends Record<string, unknown> {
  scenario: string;
  /** The step a resume continues from. */
  step: number;
  version: number;
  seed: number;
  /** The Learner's own state (PPO's β and update count); empty for the others. */
  learner: LearnerState | Record<string, never>;
}

/** What every checkpoint of a run records besides its step and weight version. */
export interface RunCheckpointOwner {
  scenario: string;
  seed: number;
  learnerState?: (() => LearnerState) | undefined;
}

export class RunCheckpoints {
  private staged: { dir: StagedDir; step: number } | undefined;
  /** The step of the checkpoint in place (as far as this run wrote one). */
  committedStep: number | undefined;

  constructor(
    readonly dir: string,
    private readonly lm: LanguageModel,
    private readonly trainer: Trainer,
    private readonly owner: RunCheckpointOwner,
  ) {}

  /** The checkpoint's record: a resume continues at `step` with weights of `version`. */
  meta(step: number, version: number): RunCheckpointMeta {
    return {
      scenario: this.owner.scenario,
      step,
      version,
      seed: this.owner.seed,
      learner: this.owner.learnerState?.() ?? {},
    };
  }

  private async snapshot(meta: RunCheckpointMeta): Promise<Checkpoint> {
    return {
      config: this.lm.model.config,
      tokenizer: this.lm.tokenizer.spec,
      weights: await this.lm.model.weights(),
      meta: { ...this.lm.meta, ...meta },
      optimizer: await this.trainer.optimizer.state(),
    };
  }

  /** Writes the checkpoint beside its place; replaces one staged earlier and never committed. */
  async stage(step: number, version: number): Promise<void> {
    this.discard();
    const snapshot = await this.snapshot(this.meta(step, version));
    this.staged = { dir: stageCheckpoint(this.dir, snapshot), step };
  }

  get hasStaged(): boolean {
    return this.staged !== undefined;
  }

  /** Puts the staged checkpoint in place (a no-op when none is staged). */
  commit(): void {
    const s = this.staged;
    if (!s) return;
    this.staged = undefined;
    try {
      s.dir.commit();
    } catch (err) {
      s.dir.discard();
      throw err;
    }
    this.committedStep = s.step;
  }

  /** Stages and commits at once: for a point where the logs are already complete. */
  async write(step: number, version: number): Promise<void> {
    await this.stage(step, version);
    this.commit();
  }

  discard(): void {
    this.staged?.dir.discard();
    this.staged = undefined;
  }
}
