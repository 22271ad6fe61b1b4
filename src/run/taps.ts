// Per-step statistics, gathered by listening to the actors' output ports (taps never change
// what flows). One collector per step; the runner turns it into a metrics line.
import type { Observable, Subscription } from "rxjs";
import type { CompletionMessage, JudgmentMessage, VerdictMessage } from "../messages.js";

/**
 * One line of a run's `completions.jsonl`: a task's prompt, attempt, reflection, retry, verdict and
 * reward.
 */
export interface CompletionRecord {
  step: number;
  taskId: string;
  prompt: string;
  attempt?: string;
  reflection?: string;
  retry?: string;
  /** The label the Student was shown (oracle-label baseline). */
  demonstration?: string;
  correct?: boolean;
  pYes?: number;
  reward?: number;
  weightVersion: number;
}

export class StepCollector {
  firstTries = 0;
  firstRight = 0;
  retries = 0;
  retryRight = 0;
  tokens = 0;
  judgments = 0;
  pYesSum = 0;
  /** Judgments whose completion the verifier also saw: how often the judge agreed. */
  judgeChecked = 0;
  judgeAgreed = 0;
  gaveUp = 0;
  readonly completions: CompletionRecord[] = [];
  private readonly verdictById = new Map<string, boolean>();
  private readonly pYesById = new Map<string, number>();

  constructor(readonly step: number) {}

  /** With overlapping steps, the ports carry two steps' messages: count only this step's. */
  private mine(trace: { step?: number }): boolean {
    return trace.step === undefined || trace.step === this.step;
  }

  onCompletion(c: CompletionMessage): void {
    if (!this.mine(c.trace)) return;
    this.tokens += c.tokens.length;
  }

  onVerdict(v: VerdictMessage): void {
    if (!this.mine(v.trace)) return;
    const c = v.completion;
    if (c.role === "attempt") {
      this.firstTries += 1;
      if (v.correct) this.firstRight += 1;
      this.completions.push({
        step: this.step,
        taskId: c.trace.taskId,
        prompt: c.prompt,
        attempt: c.text,
        correct: v.correct,
        reward: v.correct ? 1 : 0,
        weightVersion: c.trace.weightVersion,
      });
    } else if (c.role === "retry") {
      this.retries += 1;
      if (v.correct) this.retryRight += 1;
      this.completions.push({
        step: this.step,
        taskId: c.trace.taskId,
        prompt: c.history.attempt?.prompt ?? c.prompt,
        attempt: c.history.attempt?.text,
        reflection: c.history.reflection?.text,
        retry: c.text,
        correct: v.correct,
        reward: v.correct ? 1 : 0,
        weightVersion: c.trace.weightVersion,
      });
    } else if (c.role === "demonstration") {
      this.completions.push({
        step: this.step,
        taskId: c.trace.taskId,
        prompt: c.prompt,
        demonstration: c.text,
        correct: v.correct,
        weightVersion: c.trace.weightVersion,
      });
    }
    this.verdictById.set(c.trace.id, v.correct);
    this.checkAgreement(c.trace.id);
  }

  onJudgment(j: JudgmentMessage): void {
    if (!this.mine(j.trace)) return;
    this.judgments += 1;
    this.pYesSum += j.pYes;
    this.pYesById.set(j.completion.trace.id, j.pYes);
    this.checkAgreement(j.completion.trace.id);
  }

  private checkAgreement(id: string): void {
    const v = this.verdictById.get(id);
    const p = this.pYesById.get(id);
    if (v === undefined || p === undefined) return;
    this.judgeChecked += 1;
    if (p > 0.5 === v) this.judgeAgreed += 1;
  }

  /** Subscribes to the given streams; returns the subscriptions to close at step end. */
  attach(ports: {
    completions?: Observable<CompletionMessage>[];
    verdicts?: Observable<VerdictMessage>;
    judgments?: Observable<JudgmentMessage>;
  }): Subscription[] {
    const subs: Subscription[] = [];
    for (const c of ports.completions ?? []) subs.push(c.subscribe((x) => this.onCompletion(x)));
    if (ports.verdicts) subs.push(ports.verdicts.subscribe((x) => this.onVerdict(x)));
    if (ports.judgments) subs.push(ports.judgments.subscribe((x) => this.onJudgment(x)));
    return subs;
  }
}
