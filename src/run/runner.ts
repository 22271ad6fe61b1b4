// Running a scenario: the single controller. It takes the run directory and builds the run's
// parts (build.ts: models, pool, actor system, wiring), prepares what the steps need (logs, the
// "before" evaluation, the failure set), runs the step loop (step-loop.ts), and ends with a
// checkpoint and a summary. Everything a later `--resume` needs (weights, optimizer, step,
// failure set, the "before" evaluation) is on disk; the run directory's lock is released however
// the run ends.
import fs from "node:fs";
import path from "node:path";
import type { Actor, AnyActorRef } from "xstate";
import type { RoleName, runMachine } from "../../machines/run.js";
import type { RoleActor } from "../../actors/role-actor.js";
import type { Policy } from "../engine/policy.js";
import { writeFileAtomic } from "../util/atomic.js";
import { evaluateTask } from "../tasks/evaluate.js";
import { taskEntry, type TaskEntry } from "../tasks/registry.js";
import type { TaskProblem } from "../tasks/task.js";
import { buildFailureSet } from "../methods/failure-set.js";
import { topologyFromEdges } from "../viz/topology.js";
import { writeRunTopology } from "../report/topology-file.js";
import { actorNames, type EdgeInfo, type Scenario } from "./scenario.js";
import { RUN_FILE, RunLogs, reusedOrWritten, startFresh, writeRunFile } from "./run-dir.js";
import { RunCheckpoints } from "./run-checkpoints.js";
import { buildActorSystem, disposeModels, loadRun, releaseModels, type ActorSystem, type LoadedRun } from "./build.js";
import { StepLoop } from "./step-loop.js";
import type { RunEvalResult, RunOptions, RunSummary } from "./run-types.js";

export type { RunEvalResult, RunOptions, RunSummary, StepMetrics } from "./run-types.js";
export { CRASH_POINTS, type CrashPoint } from "./run-dir.js";

/**
 * A run of a scenario: builds the actors and models, runs the steps, checkpoints and evaluates.
 * What `selfimprove run` does, for code that runs a scenario itself.
 *
 * @example
 * ```ts
 * import { ScenarioRun, initBackend, loadScenario } from "selfimprove";
 *
 * await initBackend("auto");
 * const { scenario } = await loadScenario("grpo-countdown"); // a shipped name, or a path: "./my-scenario.ts"
 * const run = await ScenarioRun.create(scenario, { out: "runs/grpo", steps: 2 });
 * try {
 *   const summary = await run.run();
 *   console.log(summary.before, summary.after);
 * } finally {
 *   run.dispose();
 * }
 * ```
 */
export class ScenarioRun {
  readonly root: Actor<typeof runMachine>;
  readonly roles: ReadonlyMap<RoleName, RoleActor<unknown, unknown>>;
  readonly edges: EdgeInfo[];
  readonly policy: Policy;
  readonly startStep: number;
  private readonly system: ActorSystem;
  private readonly loop: StepLoop;
  /** Checkpoints of a run with a model of its own (not stand-in policies). */
  private readonly checkpoints: RunCheckpoints | undefined;
  private disposed = false;

  private constructor(
    readonly scenario: Scenario,
    readonly opts: RunOptions,
    private readonly loaded: LoadedRun,
  ) {
    const { lm, trainer, policy } = loaded.models;
    this.system = buildActorSystem(scenario, opts, loaded, {
      checkpoint: (version) => this.loop.stageCheckpoint(version),
      checkpointFailed: (error) => this.loop.checkpointFailed(error),
    });
    const seed = opts.seed ?? scenario.settings.seed;
    this.checkpoints =
      lm && trainer
        ? new RunCheckpoints(loaded.checkpointDir, lm, trainer, {
            scenario: scenario.name,
            seed,
            learnerState: this.system.learnerState,
          })
        : undefined;
    this.loop = new StepLoop({
      scenario,
      opts,
      system: this.system,
      models: loaded.models,
      logs: new RunLogs(opts.out),
      checkpoints: this.checkpoints,
    });
    this.root = this.system.root;
    this.roles = this.system.roles;
    this.edges = this.system.edges;
    this.policy = policy;
    this.startStep = loaded.start.step;
  }

  /**
   * Takes the run directory (lock; a RunDirError if it cannot be written or another run holds it),
   * checks a `resume` against it (a RunDirError naming what differs or what is broken), then
   * loads the models and builds the actors. Nothing is written but the lock; a failure releases it.
   */
  static async create(scenario: Scenario, opts: RunOptions): Promise<ScenarioRun> {
    const loaded = await loadRun(scenario, opts);
    try {
      return new ScenarioRun(scenario, opts, loaded);
    } catch (err) {
      await releaseModels(loaded.models);
      loaded.dir.abandon();
      throw err;
    }
  }

  get learnerRef(): AnyActorRef {
    return this.system.learner;
  }

  /**
   * Asks the run to stop after the step in flight; {@link ScenarioRun.run} then resolves with
   * `stopped: true`.
   */
  stop(): void {
    this.loop.stop();
  }

  /** Debugging controls: the step in flight finishes, then the run waits. */
  pause(): void {
    this.root.send({ type: "PAUSE" });
  }

  /** Ends a pause. */
  resume(): void {
    this.root.send({ type: "RESUME" });
  }

  /** While paused: run exactly one more step, then pause again. */
  stepOnce(): void {
    this.root.send({ type: "STEP" });
  }

  get paused(): boolean {
    return this.root.getSnapshot().matches("paused");
  }

  private evaluate(label: string): RunEvalResult | undefined {
    const lm = this.loaded.models.lm;
    if (this.opts.skipEval || !lm) return undefined;
    this.opts.onPhase?.(`evaluating (${label})`);
    const n = this.opts.evalN ?? this.scenario.settings.evalN;
    const opts = {
      seed: this.opts.seed ?? this.scenario.settings.seed,
      temperature: this.scenario.settings.temperature,
    };
    const entry: TaskEntry = taskEntry(this.scenario.task);
    return evaluateTask(lm, entry, entry.heldOut(n), opts);
  }

  /** Runs to the end (or a stop); the run directory's lock is released however it ends. */
  async run(): Promise<RunSummary> {
    try {
      return await this.runSteps();
    } catch (err) {
      this.dispose();
      throw err;
    } finally {
      this.checkpoints?.discard();
      this.loaded.dir.release();
    }
  }

  /** The run directory as the steps need it: fresh, or a resume's logs cut back to its checkpoint. */
  private prepareDir(): void {
    const out = this.opts.out;
    fs.mkdirSync(out, { recursive: true });
    // The wiring as data, so `selfimprove report` can draw it without importing any scenario file.
    writeRunTopology(out, topologyFromEdges(this.scenario.name, actorNames(this.scenario), this.edges));
    if (this.opts.resume && this.checkpoints) {
      // Lines past the checkpoint are redone and rewritten; lines before it must all be there.
      new RunLogs(out).resumeAt(this.startStep, (w) => this.opts.onWarning?.(w));
      if (!fs.existsSync(path.join(out, RUN_FILE))) writeRunFile(out, this.loaded.identity);
    } else startFresh(out, this.loaded.identity);
  }

  /** R3's failure set (rejection sampling), made once; a resumed run reads it back. */
  private async failureSet(totalSteps: number): Promise<TaskProblem[] | undefined> {
    const s = this.scenario.settings;
    if (s.source !== "failure-set" || this.opts.overrides?.problems) return undefined;
    return reusedOrWritten(path.join(this.opts.out, "failure-set.json"), this.startStep > 0, () => {
      this.opts.onPhase?.("collecting failures (rejection sampling)");
      return buildFailureSet(this.system.task, this.policy, {
        seed: this.opts.seed ?? s.seed,
        size: Math.min(512, totalSteps * s.tasksPerStep),
        samples: s.failureSamples,
        temperature: s.temperature,
      });
    });
  }

  private async runSteps(): Promise<RunSummary> {
    const t0 = performance.now();
    const s = this.scenario.settings;
    const out = this.opts.out;
    const totalSteps = this.opts.steps ?? s.steps;
    this.prepareDir();
    const before = await reusedOrWritten(
      path.join(out, "eval-before.json"),
      this.startStep > 0,
      () => this.evaluate("before"),
      (r) => JSON.stringify(r, null, 1),
    );
    const failureSet = await this.failureSet(totalSteps);

    await this.loop.run(this.startStep, totalSteps, failureSet);

    const stopped = this.loop.stopped;
    const completedSteps = this.loop.completedSteps;
    const summary: RunSummary = {
      scenario: this.scenario.name,
      steps: totalSteps,
      completedSteps: Math.max(completedSteps, this.startStep),
      stopped,
      seed: this.opts.seed ?? s.seed,
      out,
      seconds: 0,
    };
    if (!stopped) {
      // A final checkpoint so `--resume` after completion is a no-op and the trained model is on disk.
      await this.checkpoints?.write(totalSteps, this.policy.version);
      const after = this.evaluate("after");
      if (before) summary.before = before;
      if (after) summary.after = after;
    } else if (completedSteps > this.startStep && this.checkpoints?.committedStep !== completedSteps) {
      // Stopped (Ctrl-C): the steps done so far are logged; checkpoint them so `--resume`
      // continues from here rather than from the Learner's last periodic checkpoint.
      await this.checkpoints?.write(completedSteps, this.policy.version);
    }
    summary.seconds = (performance.now() - t0) / 1000;
    writeFileAtomic(path.join(out, "summary.json"), JSON.stringify(summary, null, 1));
    // Workers finish what they hold and exit before the models go away.
    await this.loaded.models.pool?.close();
    this.dispose();
    return summary;
  }

  /** Stops the actors and frees the models this run loaded (not ones passed in as overrides). */
  dispose(): void {
    // Idempotent; on an error path nobody awaits it, and workers must still exit.
    this.checkpoints?.discard();
    this.loaded.dir.release();
    if (this.disposed) return;
    this.disposed = true;
    this.root.stop();
    disposeModels(this.loaded.models);
  }
}
