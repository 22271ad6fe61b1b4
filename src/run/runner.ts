// Running a scenario: the single controller. It builds the actor system the scenario names,
// lets the scenario wire the ports, then for each step pumps the step's problems in, waits until
// every actor is idle, asks the Learner to update, and logs what happened. Everything a later
// `--resume` needs (weights, optimizer, step, failure set, the "before" evaluation) is on disk.
import fs from "node:fs";
import path from "node:path";
import { Subject } from "rxjs";
import { createActor, fromPromise, type AnyActorRef, type InspectionEvent } from "xstate";
import { runMachine, type RoleName } from "../../machines/run.js";
import { studentMachine, type StudentRequest } from "../../machines/student.js";
import type { WorkInput } from "../../machines/stage.js";
import { teacherMachine } from "../../machines/teacher.js";
import { reflectorMachine } from "../../machines/reflector.js";
import { verifierMachine } from "../../machines/verifier.js";
import { learnerMachine, type LearnerEmitted, type UpdateStats } from "../../machines/learner.js";
import { RoleActor } from "../../actors/role-actor.js";
import { StepSeeds } from "../../actors/seeds.js";
import { studentWork } from "../../actors/student.js";
import { verifierWork } from "../../actors/verifier.js";
import { reflectorWork } from "../../actors/reflector.js";
import { teacherWork } from "../../actors/teacher.js";
import { learnerAlgorithm, learnerUpdate, type LearnerState, type LearnerUpdate } from "../../actors/learner.js";
import { InputPort } from "../../actors/port.js";
import { LanguageModel } from "../engine/language-model.js";
import { languageModelWithValueHead } from "../engine/value-head.js";
import { loadCheckpoint } from "../engine/checkpoint.js";
import { Trainer } from "../engine/train.js";
import { Rng } from "../util/rng.js";
import { appendJsonlDurable, readJsonlLog } from "../util/log.js";
import { assertFiniteReward } from "../rewards/guards.js";
import { writeFileAtomic } from "../util/atomic.js";
import { PROJECT_ROOT } from "../paths.js";
import { evaluateTask, type TaskEvalResult } from "../tasks/evaluate.js";
import { TASK_REGISTRY, type TaskEntry } from "../tasks/registry.js";
import type { TaskProblem, TaskSpec } from "../tasks/task.js";
import type { CompletionMessage, ExperienceMessage, JudgmentMessage, TaskMessage, VerdictMessage } from "../messages.js";
import { nextId } from "../messages.js";
import { InProcessPolicy, type Policy } from "../engine/policy.js";
import { RunPool, type PoolStepMetrics } from "../pool/run-pool.js";
import type { BackendRequest } from "../engine/backend.js";
import { ScenarioError, wireEdge, type EdgeInfo, type Scenario, type Sink, type Source, type Wiring } from "./scenario.js";
import { StepCollector, type CompletionRecord } from "./taps.js";
import { buildFailureSet } from "../methods/failure-set.js";
import { checkResume, missingLogSteps, openRunDir, runIdentity, startFresh, writeRunFile, RUN_FILE, type RunDir, type RunIdentity } from "./run-dir.js";
import { RunCheckpoints } from "./run-checkpoints.js";

/**
 * Test seam for crash tests: SELFIMPROVE_CRASH_AT=<point>:<step> kills the process (SIGKILL, no
 * clean-up of any kind) at that point of that step, the way a power cut or the OOM killer would.
 */
export const CRASH_POINTS = ["checkpoint-staged", "logs-appended", "checkpoint-committed"] as const;
export type CrashPoint = (typeof CRASH_POINTS)[number];

function crashAtFromEnv(): { point: CrashPoint; step: number } | undefined {
  const v = process.env.SELFIMPROVE_CRASH_AT;
  if (v === undefined || v === "") return undefined;
  const m = /^([a-z-]+):(\d+)$/.exec(v);
  if (!m || !(CRASH_POINTS as readonly string[]).includes(m[1] as string)) throw new Error(`SELFIMPROVE_CRASH_AT must be <point>:<step> with point one of ${CRASH_POINTS.join(", ")} (got "${v}")`);
  return { point: m[1] as CrashPoint, step: Number(m[2]) };
}
import { topologyFromEdges } from "../viz/topology.js";
import { writeRunTopology } from "../report/topology-file.js";

export interface StepMetrics {
  step: number;
  weight_version: number;
  updated: boolean;
  skip_reason?: string;
  reward_mean: number;
  reward_std: number;
  frac_reward_zero_std: number;
  first_try_accuracy: number;
  second_try_accuracy: number;
  retry_accuracy: number;
  judge_p_yes: number;
  judge_agreement: number;
  kl: number;
  entropy: number;
  loss: number;
  grad_norm: number;
  experiences: number;
  tokens_per_second: number;
  gave_up: number;
  /** Set when the Learner's checkpoint after this step failed. */
  checkpoint_error?: string;
  /** Generation-pool activity this step (runs with workers > 0): faults, retries, staleness. */
  pool?: PoolStepMetrics;
  /** Everything the Learner's update reported (PPO: policyLoss, valueLoss, approxKl, clipFrac, kl_coef, value_mean...). */
  learner?: Record<string, number>;
  seconds: number;
}

/** A held-out evaluation (tasks/evaluate.ts; Countdown's adds its reflection-quality rates). */
export type RunEvalResult = TaskEvalResult;

export interface RunSummary {
  scenario: string;
  /** Steps asked for, and steps done (fewer when the run was stopped). */
  steps: number;
  completedSteps: number;
  stopped: boolean;
  seed: number;
  out: string;
  seconds: number;
  before?: RunEvalResult;
  after?: RunEvalResult;
}

export interface RunOptions {
  out: string;
  steps?: number;
  seed?: number;
  resume?: boolean;
  /** Skip the held-out evaluations (smoke tests). */
  skipEval?: boolean;
  evalN?: number;
  /** Generation worker threads; overrides the scenario's `workers` (0 = in-process). */
  workers?: number;
  /** Overrides the scenario's `maxStaleness`. */
  maxStaleness?: number;
  /** The workers' backend (default wasm; "auto" prefers a native GPU backend where installed). */
  workerBackend?: BackendRequest;
  onStep?: (m: StepMetrics) => void;
  onPhase?: (phase: string) => void;
  /** Things the user should hear about that do not stop the run (a stale lock taken over...). */
  onWarning?: (message: string) => void;
  /** The step's completions (prompt, attempt, reflection, retry, reward), after each step. */
  onCompletions?: (records: CompletionRecord[]) => void;
  inspect?: (e: InspectionEvent) => void;
  /** Test seams: a stand-in policy/judge/update replaces the model where given. */
  overrides?: { policy?: Policy; judge?: Policy; update?: (batch: ExperienceMessage[]) => Promise<UpdateStats>; problems?: (step: number, n: number) => TaskProblem[] };
}

interface StepRollout {
  step: number;
  ts: number;
  collector: StepCollector;
  subs: Array<{ unsubscribe(): void }>;
}

/**
 * Waits until no role actor holds work, checking across event-loop turns. With `busyWaitMs`
 * the check sleeps while actors are busy instead of spinning: when generation runs in worker
 * threads, a spinning main thread takes a core the workers need.
 */
async function quiescence(actors: ReadonlyArray<{ busy: boolean }>, ports: ReadonlyArray<InputPort<unknown>>, busyWaitMs = 0): Promise<void> {
  let quiet = 0;
  while (quiet < 2) {
    await new Promise<void>((r) => (busyWaitMs > 0 && quiet === 0 ? setTimeout(r, busyWaitMs) : setImmediate(r)));
    const busy = actors.some((a) => a.busy) || ports.some((p) => p.backlog > 0);
    quiet = busy ? 0 : quiet + 1;
  }
}

function resolveModelDir(model: string): string {
  return path.isAbsolute(model) ? model : path.join(PROJECT_ROOT, model);
}

/** Keeps only log lines for steps before `step` (a resumed run rewrites what it will redo). */
function truncateLog(file: string, step: number): void {
  if (!fs.existsSync(file)) return;
  const kept = readJsonlLog<{ step: number }>(file).filter((r) => r.step < step);
  writeFileAtomic(file, kept.map((r) => JSON.stringify(r)).join("\n") + (kept.length > 0 ? "\n" : ""));
}

export class ScenarioRun {
  readonly edges: EdgeInfo[] = [];
  readonly root;
  readonly roles = new Map<RoleName, RoleActor<unknown, unknown>>();
  private readonly tasks = new Subject<TaskMessage>();
  private readonly learnerPort = new InputPort<ExperienceMessage>("learner.in");
  private readonly task: TaskSpec;
  private readonly seeds: StepSeeds;
  private currentStep = 0;
  private stopping = false;
  /** The first error that must end the run (a bad reward, say), raised at the step boundary. */
  private failure: Error | undefined;
  private readonly checkpointErrors: string[] = [];
  /** The Learner's own state for checkpoints (PPO's β and update count). */
  private learnerState: (() => LearnerState) | undefined;
  private reference: LanguageModel | undefined;
  private completedSteps = 0;
  /** Checkpoints of a run with a model of its own (not stand-in policies). */
  private readonly checkpoints: RunCheckpoints | undefined;
  private readonly crashAt = crashAtFromEnv();
  private disposed = false;

  private constructor(
    readonly scenario: Scenario,
    readonly opts: RunOptions,
    readonly policy: Policy,
    private readonly lm: LanguageModel | undefined,
    private readonly trainer: Trainer | undefined,
    readonly startStep: number,
    startVersion: number,
    ckptDir: string,
    private readonly dir: RunDir,
    private readonly identity: RunIdentity,
    reference: LanguageModel | undefined,
    judge: Policy,
    trainable: ((name: string) => boolean) | undefined,
    private readonly pool?: RunPool,
    learnerResume?: LearnerState,
  ) {
    const s = scenario.settings;
    const task = TASK_REGISTRY[scenario.task].spec as unknown as TaskSpec;
    this.task = task;
    this.checkpoints = lm && trainer ? new RunCheckpoints(ckptDir, lm, trainer) : undefined;
    this.seeds = new StepSeeds(opts.seed ?? s.seed);
    const sampling = { temperature: s.temperature };
    const update: LearnerUpdate =
      opts.overrides?.update ??
      learnerUpdate(lm as LanguageModel, trainer as Trainer, reference, {
        algorithm: learnerAlgorithm(scenario.algorithm, task),
        ...(learnerResume ? { resume: learnerResume } : {}),
        ...((opts.maxStaleness ?? s.maxStaleness) >= 1 && pool !== undefined ? { offPolicy: true } : {}),
        temperature: s.temperature,
        ...(trainable ? { trainable } : {}),
      });
    this.learnerState = update.state;
    const work = <Req, Res>(f: (batch: Req[]) => Promise<Res[]>) => ({
      actors: { work: fromPromise<Res[], WorkInput<Req>>(({ input }) => f(input.batch)) },
    });
    const provided = runMachine.provide({
      actors: {
        student: studentMachine.provide(work(studentWork(task, policy, this.seeds, sampling, s.reflectionPrompt))),
        verifier: verifierMachine.provide(work(verifierWork(task))),
        reflector: reflectorMachine.provide(work(reflectorWork(task, policy, this.seeds, sampling, s.reflectionPrompt))),
        teacher: teacherMachine.provide(work(teacherWork(task, judge, this.seeds, s.selfEvalReward))),
        learner: learnerMachine.provide({
          actors: {
            update: fromPromise<UpdateStats, { batch: ExperienceMessage[]; version: number }>(({ input }) => update(input.batch)),
            checkpoint: fromPromise<void, { version: number }>(({ input }) => this.checkpoint(input.version)),
          },
        }),
      },
    });
    this.root = createActor(provided, {
      systemId: "run",
      input: {
        roles: scenario.actors,
        stage: { maxBatch: s.maxBatch, maxRetries: s.maxRetries },
        learner: { batchSize: 0, checkpointEvery: s.checkpointEvery, version: startVersion },
        totalSteps: opts.steps ?? s.steps,
        step: startStep,
      },
      ...(opts.inspect ? { inspect: opts.inspect } : {}),
    });
    this.root.start();
    for (const role of scenario.actors) {
      if (role === "learner") continue;
      const ref = this.root.system.get(role) as AnyActorRef | undefined;
      if (!ref) throw new Error(`actor system has no ${role}`);
      this.roles.set(role, new RoleActor(role, ref));
    }
    const learnerRef = this.learnerRef;
    this.learnerPort.batches$.subscribe((items) => learnerRef.send({ type: "EXPERIENCE", items }));
    learnerRef.on("updated", (e: Extract<LearnerEmitted, { type: "updated" }>) => {
      policy.version = e.version;
      for (const r of this.roles.values()) r.ref.send({ type: "WEIGHTS", version: e.version });
    });
    learnerRef.on("checkpointFailed", (e: Extract<LearnerEmitted, { type: "checkpointFailed" }>) => {
      this.checkpointErrors.push(e.error);
      opts.onPhase?.(`checkpoint failed: ${e.error}`);
    });
    policy.version = startVersion;
    this.reference = reference;
    scenario.wire(this.wiring());
  }

  /**
   * Takes the run directory (lock; a RunDirError if it cannot be written or another run holds it),
   * checks a `resume` against it (a RunDirError naming what differs or what is broken), then
   * loads the models. Nothing is written but the lock; a failure releases it.
   */
  static async create(scenario: Scenario, opts: RunOptions): Promise<ScenarioRun> {
    const s = scenario.settings;
    const dir = openRunDir(opts.out);
    for (const note of dir.notes) opts.onWarning?.(note);
    const ckptDir = path.join(opts.out, "checkpoint");
    const modelDir = resolveModelDir(scenario.model);
    // The model as the scenario names it: resolved, a moved project would look like another model.
    const identity = runIdentity(scenario, { model: scenario.model, seed: opts.seed ?? s.seed, maxStaleness: opts.maxStaleness ?? s.maxStaleness });
    let startStep = 0;
    let startVersion = 0;
    let learnerResume: LearnerState | undefined;
    let lm: LanguageModel | undefined;
    let trainer: Trainer | undefined;
    let reference: LanguageModel | undefined;
    let judgePolicy: Policy | undefined = opts.overrides?.judge;
    let policy: Policy | undefined = opts.overrides?.policy;
    let trainableFilter: ((name: string) => boolean) | undefined;
    let pool: RunPool | undefined;
    try {
      if (!policy) {
        // Checked before anything is loaded: a refused resume changes nothing.
        const resumeFrom = opts.resume === true;
        if (resumeFrom) for (const note of checkResume(opts.out, identity, opts.steps ?? s.steps).notes) opts.onWarning?.(note);
        const ckpt = loadCheckpoint(resumeFrom ? ckptDir : modelDir, { withOptimizer: true });
        // PPO's critic: a base checkpoint gains a zero value head; a resumed PPO one already has it.
        lm = scenario.algorithm.name === "ppo" ? languageModelWithValueHead(ckpt) : LanguageModel.fromCheckpoint(ckpt);
        const a = scenario.algorithm;
        const layers = lm.model.config.nLayers;
        const trainable = a.trainLayers === "all" ? undefined : (name: string) => /^h(\d+)\./.test(name) && Number(/^h(\d+)\./.exec(name)?.[1]) >= layers - (a.trainLayers as number);
        trainer = new Trainer(lm.model, { lr: a.lr, weightDecay: a.weightDecay, clipNorm: 1 });
        trainableFilter = trainable;
        if (resumeFrom) {
          if (ckpt.optimizer) trainer.optimizer.load(ckpt.optimizer);
          startStep = Number(ckpt.meta.step ?? 0);
          startVersion = Number(ckpt.meta.version ?? 0);
          learnerResume = (ckpt.meta.learner ?? undefined) as LearnerState | undefined;
        }
        policy = new InProcessPolicy(lm);
        const workers = opts.workers ?? s.workers;
        if (workers > 0) {
          pool = await RunPool.start(lm, {
            workers,
            maxStaleness: opts.maxStaleness ?? s.maxStaleness,
            version: startVersion,
            backend: opts.workerBackend ?? "wasm",
            log: path.join(opts.out, "pool.jsonl"),
            ...(opts.onPhase ? { onPhase: opts.onPhase } : {}),
          });
          policy = pool.policy;
        }
        // The frozen reference (KL) and the frozen judge are the initial checkpoint.
        const needsFrozen = a.klCoef > 0 || (scenario.actors.includes("teacher") && s.judge === "frozen");
        if (needsFrozen) reference = LanguageModel.load(modelDir);
        if (!judgePolicy) judgePolicy = s.judge === "frozen" && reference ? new InProcessPolicy(reference) : policy;
      }
      return new ScenarioRun(scenario, opts, policy, lm, trainer, startStep, startVersion, ckptDir, dir, identity, reference, judgePolicy ?? policy, trainableFilter, pool, learnerResume);
    } catch (err) {
      await pool?.close().catch(() => undefined);
      trainer?.dispose();
      lm?.dispose();
      reference?.dispose();
      dir.abandon();
      throw err;
    }
  }

  get learnerRef(): AnyActorRef {
    const ref = this.root.system.get("learner") as AnyActorRef | undefined;
    if (!ref) throw new Error("actor system has no learner");
    return ref;
  }

  private role<Req, Res>(name: RoleName): { name: RoleName; in: Sink<Req>; out: Source<Res> } {
    const scenarioName = this.scenario.name;
    const get = (): RoleActor<Req, Res> => {
      const r = this.roles.get(name) as RoleActor<Req, Res> | undefined;
      if (!r) throw new ScenarioError(`scenario ${scenarioName} wires the ${name}, but its actors list does not include "${name}"`);
      return r;
    };
    return {
      name,
      get in(): Sink<Req> {
        const r = get();
        return { name: `${name}.in`, next: (x: Req) => r.in.next(x) };
      },
      get out(): Source<Res> {
        const r = get();
        return { name: `${name}.out`, stream: r.out.stream };
      },
    };
  }

  private wiring(): Wiring {
    const edges = this.edges;
    return {
      settings: this.scenario.settings,
      tasks: { name: "tasks", stream: this.tasks.asObservable() },
      student: this.role<StudentRequest, CompletionMessage>("student"),
      teacher: this.role<CompletionMessage, JudgmentMessage>("teacher"),
      reflector: this.role<VerdictMessage, CompletionMessage>("reflector"),
      verifier: this.role<CompletionMessage, VerdictMessage>("verifier"),
      learner: { name: "learner", in: { name: "learner.in", next: (x: ExperienceMessage) => this.toLearner(x) } },
      edge: (from: Source<unknown>, to: Sink<unknown>, ...ops: never[]) => {
        wireEdge(edges, from, to, ops);
      },
    } as Wiring;
  }

  /**
   * The guard rail in front of the Learner: a reward that is NaN, infinite or outside [0, 1]
   * stops the run with an error naming the actor, task and value; the Learner never sees it.
   */
  private toLearner(x: ExperienceMessage): void {
    if (this.failure) return;
    try {
      assertFiniteReward(x.reward, { actor: x.source.actor, taskId: x.trace.taskId }, { range: [0, 1] });
    } catch (err) {
      this.failure = err instanceof Error ? err : new Error(String(err));
      return;
    }
    this.learnerPort.next(x);
  }

  /**
   * The Learner's checkpoint after the current step: staged only. run() puts it in place once
   * the step's logs are on disk (a crash in between must not leave it ahead of them). A failure
   * here still reaches the Learner, which reports it, and the step's metrics carry it.
   */
  private async checkpoint(version: number): Promise<void> {
    if (!this.checkpoints) return;
    await this.checkpoints.stage(this.checkpointMeta(this.currentStep + 1, version));
    this.crashPoint("checkpoint-staged", this.currentStep);
  }

  private checkpointMeta(step: number, version: number): { scenario: string; step: number; version: number; seed: number; learner: LearnerState | Record<string, never> } {
    return { scenario: this.scenario.name, step, version, seed: this.opts.seed ?? this.scenario.settings.seed, learner: this.learnerState?.() ?? {} };
  }

  private crashPoint(point: CrashPoint, step: number): void {
    if (this.crashAt?.point === point && this.crashAt.step === step) process.kill(process.pid, "SIGKILL");
  }

  /** Resolves with the Learner's answer to FLUSH, once it is back to collecting. */
  private learnerOutcome(): Promise<Extract<LearnerEmitted, { type: "updated" | "skipped" }>> {
    const ref = this.learnerRef;
    return new Promise((resolve) => {
      let outcome: Extract<LearnerEmitted, { type: "updated" | "skipped" }> | undefined;
      const subs = [
        ref.on("updated", (e: Extract<LearnerEmitted, { type: "updated" }>) => (outcome = e)),
        ref.on("skipped", (e: Extract<LearnerEmitted, { type: "skipped" }>) => (outcome = e)),
      ];
      const poll = (): void => {
        const snap = ref.getSnapshot() as { value: unknown };
        if (outcome && snap.value === "collecting") {
          for (const s of subs) s.unsubscribe();
          resolve(outcome);
        } else setImmediate(poll);
      };
      poll();
    });
  }

  stop(): void {
    this.stopping = true;
    this.root.send({ type: "RESUME" });
  }

  /** Debugging controls: the step in flight finishes, then the run waits. */
  pause(): void {
    this.root.send({ type: "PAUSE" });
  }

  resume(): void {
    this.root.send({ type: "RESUME" });
  }

  /** While paused: run exactly one more step, then pause again. */
  stepOnce(): void {
    this.root.send({ type: "STEP" });
  }

  get paused(): boolean {
    return (this.root.getSnapshot() as { matches(v: string): boolean }).matches("paused");
  }

  /** Resolves when the run may start a step (immediately unless paused). */
  private async gate(): Promise<void> {
    while (this.paused && !this.stopping) await new Promise<void>((r) => setTimeout(r, 20));
  }

  /** Problems for a step: deterministic in (seed, step). */
  private problemsFor(step: number, failureSet: TaskProblem[] | undefined): TaskProblem[] {
    const s = this.scenario.settings;
    if (this.opts.overrides?.problems) return this.opts.overrides.problems(step, s.tasksPerStep);
    if (failureSet && failureSet.length > 0) {
      return Array.from({ length: s.tasksPerStep }, (_, i) => failureSet[(step * s.tasksPerStep + i) % failureSet.length] as TaskProblem);
    }
    const rng = new Rng(((this.opts.seed ?? s.seed) * 1_000_003 + step * 31 + 7) >>> 0);
    return Array.from({ length: s.tasksPerStep }, () => this.task.generate(rng));
  }

  private evaluate(label: string): RunEvalResult | undefined {
    if (this.opts.skipEval || !this.lm) return undefined;
    this.opts.onPhase?.(`evaluating (${label})`);
    const n = this.opts.evalN ?? this.scenario.settings.evalN;
    const opts = { seed: this.opts.seed ?? this.scenario.settings.seed, temperature: this.scenario.settings.temperature };
    const entry: TaskEntry = TASK_REGISTRY[this.scenario.task];
    return evaluateTask(this.lm, entry, entry.heldOut(n), opts);
  }

  /** Starts a step's rollout: seeds, taps, and its problems pumped into the wiring. */
  private beginStep(step: number, totalSteps: number, failureSet: TaskProblem[] | undefined, stages: ReadonlyArray<RoleActor<unknown, unknown>>): StepRollout {
    const ts = performance.now();
    this.seeds.startStep(step);
    this.opts.onPhase?.(`step ${step + 1}/${totalSteps}: rollout`);
    const collector = new StepCollector(step);
    const subs = collector.attach({
      completions: [this.roles.get("student"), this.roles.get("reflector")].filter((r) => r !== undefined).map((r) => (r as RoleActor<unknown, CompletionMessage>).out.stream),
      ...(this.roles.has("verifier") ? { verdicts: (this.roles.get("verifier") as RoleActor<unknown, VerdictMessage>).out.stream } : {}),
      ...(this.roles.has("teacher") ? { judgments: (this.roles.get("teacher") as RoleActor<unknown, JudgmentMessage>).out.stream } : {}),
    });
    subs.push(...stages.map((r) => r.failures.stream.subscribe((g) => (collector.gaveUp += g.batch.length))));
    for (const problem of this.problemsFor(step, failureSet)) {
      const id = nextId("t");
      this.tasks.next({ kind: "task", trace: { id, taskId: problem.id, attempt: 1, sample: 0, weightVersion: this.policy.version, step }, problem });
    }
    return { step, ts, collector, subs };
  }

  /**
   * Lets the next step's first generation calls reach the workers before the Learner's update
   * occupies the main thread (the calls travel through ports, machines and promises first).
   * Bounded: a wiring whose first stage is not generation simply starts nothing.
   */
  private async untilDispatched(): Promise<void> {
    const pool = this.pool?.policy;
    if (!pool) return;
    for (let i = 0; i < 50 && pool.backlog.inflight === 0; i++) await new Promise<void>((r) => setImmediate(r));
  }

  /** A pause was asked for and takes effect when the current step ends. */
  private get pauseRequested(): boolean {
    return (this.root.getSnapshot() as { context: { pauseRequested: boolean } }).context.pauseRequested;
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
      this.dir.release();
    }
  }

  private async runSteps(): Promise<RunSummary> {
    const t0 = performance.now();
    const s = this.scenario.settings;
    const out = this.opts.out;
    const totalSteps = this.opts.steps ?? s.steps;
    fs.mkdirSync(out, { recursive: true });
    // The wiring as data, so `selfimprove report` can draw it without importing any scenario file.
    writeRunTopology(out, topologyFromEdges(this.scenario.name, this.scenario.actors, this.edges));
    const metricsFile = path.join(out, "metrics.jsonl");
    const completionsFile = path.join(out, "completions.jsonl");
    if (this.opts.resume && this.checkpoints) {
      // Lines past the checkpoint are redone and rewritten; lines before it must all be there.
      const missing = missingLogSteps(metricsFile, this.startStep);
      if (missing.length > 0) this.opts.onWarning?.(`${metricsFile} lacks step(s) ${missing.join(", ")} (lost by an interrupted write); continuing from step ${this.startStep}`);
      truncateLog(metricsFile, this.startStep);
      truncateLog(completionsFile, this.startStep);
      if (!fs.existsSync(path.join(out, RUN_FILE))) writeRunFile(out, this.identity);
    } else startFresh(out, this.identity);

    const beforeFile = path.join(out, "eval-before.json");
    let before: RunEvalResult | undefined;
    if (this.startStep > 0 && fs.existsSync(beforeFile)) before = JSON.parse(fs.readFileSync(beforeFile, "utf8")) as RunEvalResult;
    else {
      before = this.evaluate("before");
      if (before) writeFileAtomic(beforeFile, JSON.stringify(before, null, 1));
    }

    let failureSet: TaskProblem[] | undefined;
    if (s.source === "failure-set" && !this.opts.overrides?.problems) {
      const file = path.join(out, "failure-set.json");
      if (fs.existsSync(file) && this.startStep > 0) failureSet = JSON.parse(fs.readFileSync(file, "utf8")) as TaskProblem[];
      else {
        this.opts.onPhase?.("collecting failures (rejection sampling)");
        failureSet = await buildFailureSet(this.task, this.policy, {
          seed: this.opts.seed ?? s.seed,
          size: Math.min(512, totalSteps * s.tasksPerStep),
          samples: s.failureSamples,
          temperature: s.temperature,
        });
        writeFileAtomic(file, JSON.stringify(failureSet));
      }
    }

    this.root.send({ type: "START" });
    const stages = [...this.roles.values()];
    const ports = stages.map((r) => r.in as InputPort<unknown>);
    // maxStaleness ≥ 1 with workers: the next step's problems go to the workers before the
    // Learner trains, so they sample (with weights one version old) while it updates; the loss
    // corrects with capped importance ratios. Without workers the main thread does both, so
    // there is nothing to overlap.
    const overlap = (this.opts.maxStaleness ?? s.maxStaleness) >= 1 && this.pool !== undefined;
    let pending: StepRollout | undefined;
    for (let step = this.startStep; step < totalSteps && !this.stopping; step++) {
      await this.gate();
      if (this.stopping) break;
      this.currentStep = step;
      const cur = pending?.step === step ? pending : this.beginStep(step, totalSteps, failureSet, stages);
      pending = undefined;
      const { collector, ts } = cur;
      await quiescence(stages, ports, this.pool ? 1 : 0);
      if (this.failure) {
        this.dispose();
        throw this.failure;
      }
      const genSeconds = (performance.now() - ts) / 1000;
      this.root.send({ type: "ROLLOUT_DONE" });
      if (overlap && step + 1 < totalSteps && !this.stopping && !this.pauseRequested) {
        pending = this.beginStep(step + 1, totalSteps, failureSet, stages);
        await this.untilDispatched();
      }
      this.opts.onPhase?.(`step ${step + 1}/${totalSteps}: learning`);
      const outcomeP = this.learnerOutcome();
      this.learnerRef.send({ type: "FLUSH", upToStep: step });
      const outcome = await outcomeP;
      // Workers get the new weights before the next rollout (maxStaleness 0: exactly on-policy).
      if (outcome.type === "updated" && this.pool && this.lm) await this.pool.afterUpdate(this.lm.model, this.policy.version);
      this.root.send({ type: "STEP_DONE" });
      for (const sub of cur.subs) sub.unsubscribe();

      const st = outcome.type === "updated" ? outcome.stats : undefined;
      const m: StepMetrics = {
        step,
        weight_version: this.policy.version,
        updated: outcome.type === "updated",
        ...(outcome.type === "skipped" ? { skip_reason: outcome.reason } : {}),
        reward_mean: st?.metrics.reward_mean ?? NaN,
        reward_std: st?.metrics.reward_std ?? NaN,
        frac_reward_zero_std: st?.metrics.frac_reward_zero_std ?? NaN,
        first_try_accuracy: collector.firstTries > 0 ? collector.firstRight / collector.firstTries : NaN,
        retry_accuracy: collector.retries > 0 ? collector.retryRight / collector.retries : NaN,
        second_try_accuracy: collector.firstTries > 0 && collector.retries > 0 ? (collector.firstRight + (collector.firstTries - collector.firstRight) * (collector.retryRight / collector.retries)) / collector.firstTries : NaN,
        judge_p_yes: collector.judgments > 0 ? collector.pYesSum / collector.judgments : NaN,
        judge_agreement: collector.judgeChecked > 0 ? collector.judgeAgreed / collector.judgeChecked : NaN,
        kl: st?.metrics.kl ?? NaN,
        entropy: st?.metrics.entropy ?? NaN,
        loss: st?.loss ?? NaN,
        grad_norm: st?.gradNorm ?? NaN,
        experiences: st?.experiences ?? 0,
        tokens_per_second: genSeconds > 0 ? collector.tokens / genSeconds : 0,
        gave_up: collector.gaveUp,
        ...(this.checkpointErrors.length > 0 ? { checkpoint_error: this.checkpointErrors.splice(0).join("; ") } : {}),
        seconds: (performance.now() - ts) / 1000,
        ...(this.pool ? { pool: this.pool.stepMetrics() } : {}),
        ...(st ? { learner: st.metrics } : {}),
      };
      // The step's lines are on disk before its checkpoint is in place (see RunCheckpoints).
      appendJsonlDurable(metricsFile, [m]);
      appendJsonlDurable(completionsFile, collector.completions);
      this.crashPoint("logs-appended", step);
      this.commitCheckpoint(step);
      this.opts.onCompletions?.(collector.completions);
      this.completedSteps = step + 1;
      this.opts.onStep?.(m);
    }

    const summary: RunSummary = {
      scenario: this.scenario.name,
      steps: totalSteps,
      completedSteps: Math.max(this.completedSteps, this.startStep),
      stopped: this.stopping,
      seed: this.opts.seed ?? s.seed,
      out,
      seconds: 0,
    };
    if (!this.stopping) {
      // A final checkpoint so `--resume` after completion is a no-op and the trained model is on disk.
      if (this.lm && this.trainer) await this.checkpointAt(totalSteps);
      const after = this.evaluate("after");
      if (before) summary.before = before;
      if (after) summary.after = after;
    } else if (this.completedSteps > this.startStep && this.checkpoints?.committedStep !== this.completedSteps) {
      // Stopped (Ctrl-C): the steps done so far are logged; checkpoint them so `--resume`
      // continues from here rather than from the Learner's last periodic checkpoint.
      await this.checkpointAt(this.completedSteps);
    }
    summary.seconds = (performance.now() - t0) / 1000;
    writeFileAtomic(path.join(out, "summary.json"), JSON.stringify(summary, null, 1));
    // Workers finish what they hold and exit before the models go away.
    await this.pool?.close();
    this.dispose();
    return summary;
  }

  private async checkpointAt(nextStep: number): Promise<void> {
    await this.checkpoints?.write(this.checkpointMeta(nextStep, this.policy.version));
  }

  /** Puts the Learner's staged checkpoint in place; a failure is reported with the next step. */
  private commitCheckpoint(step: number): void {
    if (!this.checkpoints?.hasStaged) return;
    try {
      this.checkpoints.commit();
    } catch (err) {
      const text = err instanceof Error ? err.message : String(err);
      this.checkpointErrors.push(text);
      this.opts.onPhase?.(`checkpoint failed: ${text}`);
      return;
    }
    this.crashPoint("checkpoint-committed", step);
  }

  /** Stops the actors and frees the models this run loaded (not ones passed in as overrides). */
  dispose(): void {
    // Idempotent; on an error path nobody awaits it, and workers must still exit.
    this.checkpoints?.discard();
    this.dir.release();
    if (this.disposed) return;
    this.disposed = true;
    this.pool?.close().catch(() => undefined);
    this.root.stop();
    this.trainer?.dispose();
    this.lm?.dispose();
    this.reference?.dispose();
    this.reference = undefined;
  }
}
