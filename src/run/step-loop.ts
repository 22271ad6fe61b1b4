// The step loop. Per step: the step's problems go into the wiring; the loop waits until every
// actor is idle and every port drained (the actors and ports say so; see waits.ts); the Learner
// is flushed and answers; the step's metrics and completions are flushed to disk and only then
// is the Learner's staged checkpoint put in place. Pause, single step and stop are events on
// the run machine that the loop awaits between steps.
import type { RoleActor } from "../../actors/role-actor.js";
import type { ActorSystem, RunModels } from "./build.js";
import { Rng } from "../util/rng.js";
import { nextId, type CompletionMessage, type JudgmentMessage, type VerdictMessage } from "../messages.js";
import type { TaskProblem } from "../tasks/task.js";
import type { Scenario } from "./scenario.js";
import type { RunOptions, StepMetrics } from "./run-types.js";
import { StepCollector } from "./taps.js";
import { TrainingSignal } from "./training-signal.js";
import { crashSwitchFromEnv, type RunLogs } from "./run-dir.js";
import type { RunCheckpoints } from "./run-checkpoints.js";
import {
  flushLearner,
  nextTurn,
  untilRunnable,
  whenHandedOn,
  whenQuiet,
  type Drains,
  type LearnerOutcome,
} from "./waits.js";

export interface StepLoopParts {
  scenario: Scenario;
  opts: RunOptions;
  system: ActorSystem;
  models: Pick<RunModels, "policy" | "lm" | "pool">;
  logs: RunLogs;
  /** Checkpoints of a run with a model of its own (not stand-in policies). */
  checkpoints: RunCheckpoints | undefined;
}

interface StepRollout {
  step: number;
  ts: number;
  collector: StepCollector;
  signal: TrainingSignal;
  subs: Array<{ unsubscribe(): void }>;
}

/** A step's metrics line, from what the taps collected and what the Learner answered. */
function stepMetrics(
  step: number,
  version: number,
  collector: StepCollector,
  outcome: LearnerOutcome,
  genSeconds: number,
): Omit<StepMetrics, "seconds" | "pool" | "checkpoint_error"> {
  const st = outcome.type === "updated" ? outcome.stats : undefined;
  const c = collector;
  return {
    step,
    weight_version: version,
    updated: outcome.type === "updated",
    ...(outcome.type === "skipped" ? { skip_reason: outcome.reason } : {}),
    reward_mean: st?.metrics.reward_mean ?? NaN,
    reward_std: st?.metrics.reward_std ?? NaN,
    frac_reward_zero_std: st?.metrics.frac_reward_zero_std ?? NaN,
    first_try_accuracy: c.firstTries > 0 ? c.firstRight / c.firstTries : NaN,
    retry_accuracy: c.retries > 0 ? c.retryRight / c.retries : NaN,
    second_try_accuracy:
      c.firstTries > 0 && c.retries > 0
        ? (c.firstRight + (c.firstTries - c.firstRight) * (c.retryRight / c.retries)) / c.firstTries
        : NaN,
    judge_p_yes: c.judgments > 0 ? c.pYesSum / c.judgments : NaN,
    judge_agreement: c.judgeChecked > 0 ? c.judgeAgreed / c.judgeChecked : NaN,
    kl: st?.metrics.kl ?? NaN,
    entropy: st?.metrics.entropy ?? NaN,
    loss: st?.loss ?? NaN,
    grad_norm: st?.gradNorm ?? NaN,
    experiences: st?.experiences ?? 0,
    tokens_per_second: genSeconds > 0 ? c.tokens / genSeconds : 0,
    gave_up: c.gaveUp,
  };
}

export class StepLoop {
  /** Steps done (logged and checkpointed as far as the Learner's schedule goes). */
  completedSteps = 0;
  private currentStep = 0;
  private stopping = false;
  private readonly checkpointErrors: string[] = [];
  private readonly crashPoint = crashSwitchFromEnv();
  /** Kinds of training-signal note already given: each is said once per run, not every step. */
  private readonly signalNotes = new Set<string>();

  constructor(private readonly parts: StepLoopParts) {}

  /** Ends the loop after the step in flight (at once when paused). */
  stop(): void {
    this.stopping = true;
    this.parts.system.root.send({ type: "RESUME" });
  }

  get stopped(): boolean {
    return this.stopping;
  }

  /**
   * The Learner's checkpoint after the current step: staged only. The loop puts it in place once
   * the step's logs are on disk (a crash in between must not leave it ahead of them). A failure
   * here still reaches the Learner, which reports it, and the step's metrics carry it.
   */
  async stageCheckpoint(version: number): Promise<void> {
    if (!this.parts.checkpoints) return;
    await this.parts.checkpoints.stage(this.currentStep + 1, version);
    this.crashPoint("checkpoint-staged", this.currentStep);
  }

  checkpointFailed(error: string): void {
    this.checkpointErrors.push(error);
    this.parts.opts.onPhase?.(`checkpoint failed: ${error}`);
  }

  /** A pause was asked for and takes effect when the current step ends. */
  private get pauseRequested(): boolean {
    return this.parts.system.root.getSnapshot().context.pauseRequested;
  }

  /** Problems for a step: deterministic in (seed, step). */
  private problemsFor(step: number, failureSet: readonly TaskProblem[] | undefined): TaskProblem[] {
    const { scenario, opts, system } = this.parts;
    const s = scenario.settings;
    if (opts.overrides?.problems) return opts.overrides.problems(step, s.tasksPerStep);
    if (failureSet && failureSet.length > 0) {
      return Array.from(
        { length: s.tasksPerStep },
        (_, i) => failureSet[(step * s.tasksPerStep + i) % failureSet.length] as TaskProblem,
      );
    }
    const rng = new Rng(((opts.seed ?? s.seed) * 1_000_003 + step * 31 + 7) >>> 0);
    return Array.from({ length: s.tasksPerStep }, () => system.task.generate(rng));
  }

  /** Starts a step's rollout: seeds, taps, and its problems pumped into the wiring. */
  private beginStep(step: number, totalSteps: number, failureSet: readonly TaskProblem[] | undefined): StepRollout {
    const { system, opts, models } = this.parts;
    const ts = performance.now();
    system.seeds.startStep(step);
    opts.onPhase?.(`step ${step + 1}/${totalSteps}: rollout`);
    const collector = new StepCollector(step);
    const output = <T>(name: "student" | "reflector" | "verifier" | "teacher") =>
      (system.roles.get(name) as RoleActor<unknown, T> | undefined)?.out.stream;
    const completions = [output<CompletionMessage>("student"), output<CompletionMessage>("reflector")].filter(
      (o) => o !== undefined,
    );
    const verdicts = output<VerdictMessage>("verifier");
    const judgments = output<JudgmentMessage>("teacher");
    const subs = collector.attach({
      completions,
      ...(verdicts ? { verdicts } : {}),
      ...(judgments ? { judgments } : {}),
    });
    subs.push(
      ...[...system.roles.values(), ...system.custom.values()].map((r) =>
        r.failures.stream.subscribe((g) => (collector.gaveUp += g.batch.length)),
      ),
    );
    const signal = new TrainingSignal(step);
    subs.push(system.learnerPort.batches$.subscribe((batch) => signal.observe(batch)));
    for (const problem of this.problemsFor(step, failureSet)) {
      const id = nextId("t");
      system.tasks.next({
        kind: "task",
        trace: { id, taskId: problem.id, attempt: 1, sample: 0, weightVersion: models.policy.version, step },
        problem,
      });
    }
    return { step, ts, collector, signal, subs };
  }

  /** Runs steps `from`..`totalSteps - 1`, or until stopped; throws what must end the run. */
  async run(from: number, totalSteps: number, failureSet: readonly TaskProblem[] | undefined): Promise<void> {
    const { scenario, opts, system, models, logs } = this.parts;
    const s = scenario.settings;
    system.root.send({ type: "START" });
    // The scenario's own actors are waited for like the roles.
    const stages = [...system.roles.values(), ...system.custom.values()];
    const stagePorts = stages.map((r) => r.in);
    // The Learner's port too: when the rollout is over, every experience is with the Learner.
    const ports: Drains[] = [...stagePorts, system.learnerPort];
    // maxStaleness ≥ 1 with workers: the next step's problems go to the workers before the
    // Learner trains, so they sample (with weights one version old) while it updates; the loss
    // corrects with capped importance ratios. Without workers the main thread does both, so
    // there is nothing to overlap.
    const overlap = (opts.maxStaleness ?? s.maxStaleness) >= 1 && models.pool !== undefined;
    let pending: StepRollout | undefined;
    for (let step = from; step < totalSteps && !this.stopping; step++) {
      await nextTurn();
      await untilRunnable(system.root);
      if (this.stopping) break;
      this.currentStep = step;
      const cur = pending?.step === step ? pending : this.beginStep(step, totalSteps, failureSet);
      pending = undefined;
      await whenQuiet(stages, ports);
      await nextTurn();
      if (system.failure) throw system.failure;
      const genSeconds = (performance.now() - cur.ts) / 1000;
      system.root.send({ type: "ROLLOUT_DONE" });
      if (overlap && step + 1 < totalSteps && !this.stopping && !this.pauseRequested) {
        pending = this.beginStep(step + 1, totalSteps, failureSet);
        await whenHandedOn(stagePorts);
      }
      opts.onPhase?.(`step ${step + 1}/${totalSteps}: learning`);
      const outcome = await flushLearner(system.learner, step);
      await nextTurn();
      // Workers get the new weights before the next rollout (maxStaleness 0: exactly on-policy).
      if (outcome.type === "updated" && models.pool && models.lm)
        await models.pool.afterUpdate(models.lm.model, models.policy.version);
      system.root.send({ type: "STEP_DONE" });
      for (const sub of cur.subs) sub.unsubscribe();
      for (const p of cur.signal.problems()) {
        if (this.signalNotes.has(p.kind)) continue;
        this.signalNotes.add(p.kind);
        opts.onWarning?.(`${p.message} (said once per run)`);
      }

      const st = outcome.type === "updated" ? outcome.stats : undefined;
      const m: StepMetrics = {
        ...stepMetrics(step, models.policy.version, cur.collector, outcome, genSeconds),
        ...(this.checkpointErrors.length > 0 ? { checkpoint_error: this.checkpointErrors.splice(0).join("; ") } : {}),
        seconds: (performance.now() - cur.ts) / 1000,
        ...(models.pool ? { pool: models.pool.stepMetrics() } : {}),
        ...(st ? { learner: st.metrics } : {}),
      };
      // The step's lines are on disk before its checkpoint is in place (see RunCheckpoints).
      logs.appendStep(m, cur.collector.completions);
      this.crashPoint("logs-appended", step);
      this.commitCheckpoint(step);
      opts.onCompletions?.(cur.collector.completions);
      this.completedSteps = step + 1;
      opts.onStep?.(m);
    }
  }

  /** Puts the Learner's staged checkpoint in place; a failure is reported with the next step. */
  private commitCheckpoint(step: number): void {
    const checkpoints = this.parts.checkpoints;
    if (!checkpoints?.hasStaged) return;
    try {
      checkpoints.commit();
    } catch (err) {
      this.checkpointFailed(err instanceof Error ? err.message : String(err));
      return;
    }
    this.crashPoint("checkpoint-committed", step);
  }
}
