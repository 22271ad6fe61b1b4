// A step's training signal, as the Learner is handed it: how many experiences, which rewards,
// how many trained tokens. A wiring that reads a message's fields wrongly (`v.verdict?.correct`
// on a VerdictMessage is undefined, so every reward is 0) still runs and "updates" with a loss of
// 0: it trains on nothing without a word. The run says so (onWarning) instead.
import type { ExperienceMessage } from "../messages.js";

export class TrainingSignal {
  private experiences = 0;
  private trainedTokens = 0;
  private readonly rewards = new Set<number>();

  constructor(private readonly step: number) {}

  /** Counts experiences of this step (with overlapping steps the port carries two steps' messages). */
  observe(batch: readonly ExperienceMessage[]): void {
    for (const e of batch) {
      if (e.trace.step !== undefined && e.trace.step !== this.step) continue;
      this.experiences += 1;
      this.rewards.add(e.reward);
      for (const seg of e.segments) if (seg.train) this.trainedTokens += seg.tokens.length;
    }
  }

  /** What is wrong with the step's signal, as notes for the user (none when it can teach something). */
  problems(): Array<{ kind: "no-trained-tokens" | "constant-reward"; message: string }> {
    const n = this.experiences;
    const at = `step ${this.step + 1}`;
    if (n === 0) return [];
    if (this.trainedTokens === 0) {
      return [
        {
          kind: "no-trained-tokens",
          message: `${at}: the Learner was given ${n} experience(s) with no trained tokens (no segment has train: true), so nothing was learnt; check the map on the edge into the Learner`,
        },
      ];
    }
    if (n >= 2 && this.rewards.size === 1) {
      const [r] = this.rewards;
      return [
        {
          kind: "constant-reward",
          message: `${at}: all ${n} experiences carried the same reward (${String(r)}), so the update had nothing to tell apart; if every step says so, check that the edges into the Learner read the messages' fields (a VerdictMessage's verdict is v.correct)`,
        },
      ];
    }
    return [];
  }
}
