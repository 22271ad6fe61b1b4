// Building a run's parts from a scenario and the run's options: the run directory (locked, and a
// resume checked against it), the models (policy, trainer, the frozen reference and judge), the
// generation pool, and the actor system the scenario names, wired as the scenario says. Each part
// comes back in one typed object; a failure part way frees what was loaded and gives the
// directory back, so nothing but the lock was ever written.
import path from "node:path";
import { Subject } from "rxjs";
import { createActor, fromPromise, type Actor, type AnyActorRef } from "xstate";
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
import { InProcessPolicy, type Policy } from "../engine/policy.js";
import { checkedExperienceReward } from "../rewards/guards.js";
import { PROJECT_ROOT } from "../paths.js";
import { taskEntry } from "../tasks/registry.js";
import type { TaskSpec } from "../tasks/task.js";
import type {
  CompletionMessage,
  ExperienceMessage,
  JudgmentMessage,
  TaskMessage,
  VerdictMessage,
} from "../messages.js";
import { RunPool } from "../pool/run-pool.js";
import {
  customActorName,
  ScenarioError,
  wireEdge,
  type EdgeInfo,
  type Scenario,
  type Sink,
  type Source,
  type Wiring,
} from "./scenario.js";
import { actorMachine, batchWork } from "./define-actor.js";
import { CHECKPOINT_DIR, checkResume, openRunDir, runIdentity, type RunDir, type RunIdentity } from "./run-dir.js";
import type { RunOptions } from "./run-types.js";

/** The models a run uses. Without `lm` (a stand-in policy) nothing is trained or checkpointed. */
export interface RunModels {
  /** What the actors sample from: the model in process, the generation pool, or a stand-in. */
  policy: Policy;
  /** What the Teacher asks: the policy, or the frozen initial model. */
  judge: Policy;
  lm?: LanguageModel;
  trainer?: Trainer;
  /** The frozen initial model (KL reference, frozen judge). */
  reference?: LanguageModel;
  pool?: RunPool;
  /** Which parameters the Learner trains (scenario `trainLayers`); all when absent. */
  trainable?: (name: string) => boolean;
}

/** Where the run starts: step 0, or a resumed checkpoint's step, weight version and Learner state. */
export interface RunStart {
  step: number;
  version: number;
  learner?: LearnerState;
}

export interface LoadedRun {
  dir: RunDir;
  identity: RunIdentity;
  checkpointDir: string;
  models: RunModels;
  start: RunStart;
}

function resolveModelDir(model: string): string {
  return path.isAbsolute(model) ? model : path.join(PROJECT_ROOT, model);
}

/** Frees the models a run loaded (not stand-ins passed in) at once; the pool's workers exit in the background. */
export function disposeModels(models: Partial<RunModels>): void {
  models.pool?.close().catch(() => undefined);
  models.trainer?.dispose();
  models.lm?.dispose();
  models.reference?.dispose();
}

/** Frees the models of a run that never started: the pool's workers are gone first. */
export async function releaseModels(models: Partial<RunModels>): Promise<void> {
  await models.pool?.close().catch(() => undefined);
  disposeModels(models);
}

/**
 * Takes the run directory (lock; a RunDirError if it cannot be written or another run holds it),
 * checks a `resume` against it (a RunDirError naming what differs or what is broken), then loads
 * the models and starts the pool. Nothing is written but the lock; a failure releases it.
 */
export async function loadRun(scenario: Scenario, opts: RunOptions): Promise<LoadedRun> {
  const s = scenario.settings;
  const dir = openRunDir(opts.out);
  for (const note of dir.notes) opts.onWarning?.(note);
  const checkpointDir = path.join(opts.out, CHECKPOINT_DIR);
  const modelDir = resolveModelDir(scenario.model);
  // The model as the scenario names it: resolved, a moved project would look like another model.
  const identity = runIdentity(scenario, {
    model: scenario.model,
    seed: opts.seed ?? s.seed,
    maxStaleness: opts.maxStaleness ?? s.maxStaleness,
  });
  const start: RunStart = { step: 0, version: 0 };
  const loaded: Partial<RunModels> = {};
  try {
    let policy = opts.overrides?.policy;
    let judge = opts.overrides?.judge;
    if (!policy) {
      // Checked before anything is loaded: a refused resume changes nothing.
      const resumeFrom = opts.resume === true;
      if (resumeFrom)
        for (const note of checkResume(opts.out, identity, opts.steps ?? s.steps).notes) opts.onWarning?.(note);
      const ckpt = loadCheckpoint(resumeFrom ? checkpointDir : modelDir, { withOptimizer: true });
      // PPO's critic: a base checkpoint gains a zero value head; a resumed PPO one already has it.
      const lm =
        scenario.algorithm.name === "ppo" ? languageModelWithValueHead(ckpt) : LanguageModel.fromCheckpoint(ckpt);
      loaded.lm = lm;
      const a = scenario.algorithm;
      const layers = lm.model.config.nLayers;
      if (a.trainLayers !== "all") {
        const top = a.trainLayers;
        loaded.trainable = (name: string) =>
          /^h(\d+)\./.test(name) && Number(/^h(\d+)\./.exec(name)?.[1]) >= layers - top;
      }
      const trainer = new Trainer(lm.model, { lr: a.lr, weightDecay: a.weightDecay, clipNorm: 1 });
      loaded.trainer = trainer;
      if (resumeFrom) {
        if (ckpt.optimizer) trainer.optimizer.load(ckpt.optimizer);
        start.step = Number(ckpt.meta.step ?? 0);
        start.version = Number(ckpt.meta.version ?? 0);
        const learner = (ckpt.meta.learner ?? undefined) as LearnerState | undefined;
        if (learner) start.learner = learner;
      }
      policy = new InProcessPolicy(lm);
      const workers = opts.workers ?? s.workers;
      if (workers > 0) {
        loaded.pool = await RunPool.start(lm, {
          workers,
          maxStaleness: opts.maxStaleness ?? s.maxStaleness,
          version: start.version,
          backend: opts.workerBackend ?? "wasm",
          log: path.join(opts.out, "pool.jsonl"),
          ...(opts.onPhase ? { onPhase: opts.onPhase } : {}),
        });
        policy = loaded.pool.policy;
      }
      // The frozen reference (KL) and the frozen judge are the initial checkpoint.
      const needsFrozen = a.klCoef > 0 || (scenario.actors.includes("teacher") && s.judge === "frozen");
      if (needsFrozen) loaded.reference = LanguageModel.load(modelDir);
      if (!judge) judge = s.judge === "frozen" && loaded.reference ? new InProcessPolicy(loaded.reference) : policy;
    }
    return { dir, identity, checkpointDir, start, models: { ...loaded, policy, judge: judge ?? policy } };
  } catch (err) {
    await releaseModels(loaded);
    dir.abandon();
    throw err;
  }
}

/** What the actor system asks of the run around it. */
export interface SystemHooks {
  /** The Learner's checkpoint after an update at `version` (the runner stages it). */
  checkpoint(version: number): Promise<void>;
  /** The Learner could not checkpoint; the run goes on and the step's metrics say so. */
  checkpointFailed(error: string): void;
}

/** The run's actors: the root machine and its role actors, joined by the scenario's wiring. */
export interface ActorSystem {
  readonly root: Actor<typeof runMachine>;
  /** The role actors other than the Learner, in the scenario's order. */
  readonly roles: ReadonlyMap<RoleName, RoleActor<unknown, unknown>>;
  /** The scenario's own actors (defineActor), by name; stopped with the root. */
  readonly custom: ReadonlyMap<string, RoleActor<unknown, unknown>>;
  readonly learner: AnyActorRef;
  /** The Learner's input, behind the reward guard rail. */
  readonly learnerPort: InputPort<ExperienceMessage>;
  /** Where the runner puts each step's problems; the wiring takes them from there. */
  readonly tasks: Subject<TaskMessage>;
  readonly edges: EdgeInfo[];
  readonly seeds: StepSeeds;
  readonly task: TaskSpec;
  /** The Learner's own state for checkpoints (PPO's β and update count). */
  readonly learnerState: (() => LearnerState) | undefined;
  /** The first reward the guard rail stopped: the run ends with it at the step boundary. */
  readonly failure: Error | undefined;
}

/** The Learner's update: the scenario's algorithm on the run's model, or a stand-in. */
function makeUpdate(scenario: Scenario, opts: RunOptions, loaded: LoadedRun, task: TaskSpec): LearnerUpdate {
  if (opts.overrides?.update) return opts.overrides.update;
  const { lm, trainer, reference, pool, trainable } = loaded.models;
  const s = scenario.settings;
  const a = scenario.algorithm;
  return learnerUpdate(lm as LanguageModel, trainer as Trainer, reference, {
    algorithm: learnerAlgorithm(a, task),
    ...(loaded.start.learner ? { resume: loaded.start.learner } : {}),
    ...((opts.maxStaleness ?? s.maxStaleness) >= 1 && pool !== undefined ? { offPolicy: true } : {}),
    temperature: s.temperature,
    ...(trainable ? { trainable } : {}),
  });
}

/**
 * Starts the run's actor system: the role machines bound to the models, the Learner bound to its
 * update and to `hooks.checkpoint`, every role joined to RxJS ports, and the scenario's wiring
 * run against those ports (a wiring that uses an undeclared actor throws a ScenarioError).
 */
export function buildActorSystem(
  scenario: Scenario,
  opts: RunOptions,
  loaded: LoadedRun,
  hooks: SystemHooks,
): ActorSystem {
  const s = scenario.settings;
  const { policy, judge } = loaded.models;
  const task = taskEntry(scenario.task).spec as unknown as TaskSpec;
  const seeds = new StepSeeds(opts.seed ?? s.seed);
  const sampling = { temperature: s.temperature };
  const update = makeUpdate(scenario, opts, loaded, task);
  const work = <Req, Res>(f: (batch: Req[]) => Promise<Res[]>) => ({
    actors: { work: fromPromise<Res[], WorkInput<Req>>(({ input }) => f(input.batch)) },
  });
  const provided = runMachine.provide({
    actors: {
      student: studentMachine.provide(work(studentWork(task, policy, seeds, sampling, s.reflectionPrompt))),
      verifier: verifierMachine.provide(work(verifierWork(task))),
      reflector: reflectorMachine.provide(work(reflectorWork(task, policy, seeds, sampling, s.reflectionPrompt))),
      teacher: teacherMachine.provide(work(teacherWork(task, judge, seeds, s.selfEvalReward))),
      learner: learnerMachine.provide({
        actors: {
          update: fromPromise<UpdateStats, { batch: ExperienceMessage[]; version: number }>(({ input }) =>
            update(input.batch),
          ),
          checkpoint: fromPromise<void, { version: number }>(({ input }) => hooks.checkpoint(input.version)),
        },
      }),
    },
  });
  const root = createActor(provided, {
    systemId: "run",
    input: {
      roles: scenario.actors,
      stage: { maxBatch: s.maxBatch, maxRetries: s.maxRetries },
      learner: { checkpointEvery: s.checkpointEvery, version: loaded.start.version },
      totalSteps: opts.steps ?? s.steps,
      step: loaded.start.step,
    },
    ...(opts.inspect ? { inspect: opts.inspect } : {}),
  });
  root.start();
  const roles = new Map<RoleName, RoleActor<unknown, unknown>>();
  for (const role of scenario.actors) {
    if (role === "learner") continue;
    const ref = root.system.get(role) as AnyActorRef | undefined;
    if (!ref) throw new Error(`actor system has no ${role}`);
    roles.set(role, new RoleActor(role, ref));
  }
  const learner = root.system.get("learner") as AnyActorRef | undefined;
  if (!learner) throw new Error("actor system has no learner");
  const learnerPort = new InputPort<ExperienceMessage>("learner.in");
  learnerPort.batches$.subscribe((items) => learner.send({ type: "EXPERIENCE", items }));
  const custom = startCustomActors(scenario, opts, root);
  learner.on("updated", (e: Extract<LearnerEmitted, { type: "updated" }>) => {
    policy.version = e.version;
    for (const r of [...roles.values(), ...custom.values()]) r.ref.send({ type: "WEIGHTS", version: e.version });
  });
  learner.on("checkpointFailed", (e: Extract<LearnerEmitted, { type: "checkpointFailed" }>) =>
    hooks.checkpointFailed(e.error),
  );
  policy.version = loaded.start.version;

  const system = {
    root,
    roles,
    custom,
    learner,
    learnerPort,
    tasks: new Subject<TaskMessage>(),
    edges: [] as EdgeInfo[],
    seeds,
    task,
    learnerState: update.state,
    failure: undefined as Error | undefined,
  };
  /**
   * The guard rail in front of the Learner: a reward that is NaN, infinite or outside [0, 1]
   * stops the run with an error naming the actor, task and value; the Learner never sees it.
   */
  const toLearner = (x: ExperienceMessage): void => {
    if (system.failure) return;
    try {
      checkedExperienceReward(x);
    } catch (err) {
      system.failure = err instanceof Error ? err : new Error(String(err));
      return;
    }
    learnerPort.next(x);
  };
  scenario.wire(wiringOf(scenario, system, toLearner));
  return system;
}

/**
 * The scenario's own actors: each its stage machine bound to its work, under its name as
 * systemId (how the inspector names actors), inspected like the roles, and stopped when the
 * run's root stops (however the run ends).
 */
function startCustomActors(
  scenario: Scenario,
  opts: RunOptions,
  root: Actor<typeof runMachine>,
): Map<string, RoleActor<unknown, unknown>> {
  const s = scenario.settings;
  const custom = new Map<string, RoleActor<unknown, unknown>>();
  for (const def of scenario.custom ?? []) {
    const run = batchWork(def, s);
    const machine = actorMachine(def).provide({
      actors: { work: fromPromise<unknown[], WorkInput<unknown>>(({ input }) => run(input.batch)) },
    });
    const ref = createActor(machine, {
      systemId: def.name,
      input: { maxBatch: s.maxBatch, maxRetries: s.maxRetries },
      ...(opts.inspect ? { inspect: opts.inspect } : {}),
    });
    ref.start();
    custom.set(def.name, new RoleActor(def.name, ref));
  }
  if (custom.size > 0) {
    const stopAll = (): void => {
      for (const a of custom.values()) a.ref.stop();
    };
    root.subscribe({ complete: stopAll, error: stopAll });
  }
  return custom;
}

/** The ports a scenario's `wire` sees; a role the scenario did not declare fails when touched. */
function wiringOf(
  scenario: Scenario,
  system: Pick<ActorSystem, "roles" | "custom" | "tasks" | "edges">,
  toLearner: (x: ExperienceMessage) => void,
): Wiring {
  const role = <Req, Res>(name: RoleName): { name: RoleName; in: Sink<Req>; out: Source<Res> } => {
    const get = (): RoleActor<Req, Res> => {
      const r = system.roles.get(name) as RoleActor<Req, Res> | undefined;
      if (!r)
        throw new ScenarioError(
          `scenario ${scenario.name} wires the ${name}, but its actors list does not include "${name}"`,
        );
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
  };
  return {
    settings: scenario.settings,
    tasks: { name: "tasks", stream: system.tasks.asObservable() },
    student: role<StudentRequest, CompletionMessage>("student"),
    teacher: role<CompletionMessage, JudgmentMessage>("teacher"),
    reflector: role<VerdictMessage, CompletionMessage>("reflector"),
    verifier: role<CompletionMessage, VerdictMessage>("verifier"),
    learner: { name: "learner", in: { name: "learner.in", next: toLearner } },
    actor: (def: unknown) => {
      const name = customActorName(scenario, def, `scenario ${scenario.name}`);
      const a = system.custom.get(name) as RoleActor<unknown, unknown>;
      return {
        name,
        in: { name: `${name}.in`, next: (x: unknown) => a.in.next(x) },
        out: { name: `${name}.out`, stream: a.out.stream },
      };
    },
    edge: (from: Source<unknown>, to: Sink<unknown>, ...ops: never[]) => {
      wireEdge(system.edges, from, to, ops);
    },
  } as Wiring;
}
