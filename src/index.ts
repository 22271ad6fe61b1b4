/**
 * The public API of the `selfimprove` package: everything a scenario author, a reward author and
 * a library user needs, and nothing of the CLI, the inspector or the report. Each export says what
 * it is and when to use it; the reference generated from these comments is in docs/api/
 * (`npm run docs:api`).
 *
 * - **Scenarios**: {@link defineScenario} and the edge operators {@link filter}, {@link map},
 *   {@link fanOut} and {@link custom}; {@link loadScenario} and {@link ScenarioRun} run one from
 *   code.
 * - **Methods**: the experience builders that decide what the Learner trains on
 *   ({@link r3Experience}, {@link rlcExperience}, {@link verifierExperience}) and R3's
 *   {@link buildFailureSet}.
 * - **Tasks**: the {@link TaskSpec} of every task ({@link countdownTask}, {@link functionsTask},
 *   {@link bbhMixedTask}, {@link translationTask}) and each task's building blocks, its verifier
 *   above all, as a namespace: {@link countdown}, {@link functions}, {@link bbh},
 *   {@link translation}.
 * - **Models**: {@link LanguageModel}, and the {@link Policy} interface actors sample through.
 * - **Rewards and losses**: {@link rewards} (task-free reward and advantage math) and {@link rl}
 *   (policy-gradient losses and the algorithm settings, {@link rl.AlgorithmConfigSchema}).
 * - **Messages**: the typed messages that flow along a scenario's edges ({@link VerdictMessage},
 *   {@link CompletionMessage}, ...).
 *
 * Property-testing helpers for reward code are a separate entry, `selfimprove/testing`.
 *
 * @example A scenario file, as the shipped ones are written
 * ```ts
 * import { defineScenario, fanOut, map, verifierExperience } from "selfimprove";
 *
 * export default defineScenario({
 *   name: "my-grpo",
 *   description: "GRPO with the verifier's binary reward",
 *   task: "countdown",
 *   actors: ["student", "verifier", "learner"],
 *   algorithm: { name: "grpo", lr: 1e-4, klCoef: 0.001 },
 *   settings: { steps: 20, tasksPerStep: 8, groupSize: 4 },
 *   wire: (w) => {
 *     w.edge(w.tasks, w.student.in, fanOut("samples", w.settings.groupSize), map("attempt", (task) => ({ task })));
 *     w.edge(w.student.out, w.verifier.in);
 *     w.edge(w.verifier.out, w.learner.in, map("verifier reward", verifierExperience));
 *   },
 * });
 * ```
 *
 * @module selfimprove
 */

// Scenarios: declaring a topology, and running it.
export {
  defineScenario,
  parseScenario,
  ScenarioError,
  ROLE_NAMES,
  type ScenarioDefinition,
  type Scenario,
  type Wiring,
  type Source,
  type Sink,
  type Ports,
  type EdgeInfo,
  type RunSettings,
  type AlgorithmSettings,
} from "./run/scenario.js";
export { filter, map, fanOut, custom, type LabeledOp } from "./run/ops.js";
/** An actor of a scenario's own beside the five roles (a reward shaper, a critic, a filter): list it in `actors`, wire it with `w.actor(it)`. */
export {
  defineActor,
  type ActorDefinition,
  type ActorDefinitionInput,
  type ActorContext,
  type ActorWork,
  type AnyActorDefinition,
} from "./run/define-actor.js";
/** A task of your own (generator, verifier, prompts, JSONL) on a shipped base model: a scenario's `task:`, or `selfimprove run --task ./my-task.ts`. */
export { defineTask, type DefinedTask, type TaskDefinitionInput, type TaskPrompts } from "./tasks/define-task.js";
export { loadScenario } from "./run/load.js";
export { ScenarioRun, type RunOptions, type RunSummary, type StepMetrics, type RunEvalResult } from "./run/runner.js";
export type { CompletionRecord } from "./run/taps.js";
export type { PoolStepMetrics } from "./pool/run-pool.js";
export type { RoleName } from "../machines/run.js";
export type { StudentRequest } from "../machines/student.js";

// Methods: what each method trains on.
export { r3Experience, rlcExperience, verifierExperience } from "./methods/experience.js";
export { buildFailureSet, type FailureSetOptions } from "./methods/failure-set.js";

// Tasks: one TaskSpec per task, and each task's verifier, generator, prompts and JSONL format.
export type { TaskSpec, TaskProblem, TaskVerdict, QualityEvaluation, ReflectionQuality } from "./tasks/task.js";
export type { TaskEvalResult } from "./tasks/evaluate.js";
export type { JudgeScore } from "./tasks/judging.js";
export { countdownTask } from "./tasks/countdown/spec.js";
export { functionsTask } from "./tasks/functions/spec.js";
export { bbhTask, bbhMixedTask, BBH_TASKS } from "./tasks/bbh/spec.js";
export { translationTask, type TranslationTaskSpec } from "./tasks/translation/spec.js";
export * as countdown from "./api/countdown.js";
export * as functions from "./api/functions.js";
export * as bbh from "./api/bbh.js";
export * as translation from "./api/translation.js";

// Models: the language model, the Policy seam actors sample through, and what training one takes.
export { LanguageModel } from "./engine/language-model.js";
export { InProcessPolicy, type Policy, type PolicySample } from "./engine/policy.js";
export { Tokenizer, type TokenizerSpec } from "./engine/tokenizer.js";
export type { Sample, SampleOptions, FinishReason } from "./engine/sample.js";
export {
  initBackend,
  describeBackend,
  BACKEND_NAMES,
  type BackendRequest,
  type BackendChoice,
} from "./engine/backend.js";
export type { ModelConfig } from "./engine/config.js";
export { GPT, type LayerCache, type ForwardOptions, type ForwardResult } from "./engine/gpt.js";
export { Trainer, type TokenBatch, type LossOutput, type StepResult } from "./engine/train.js";
export { AdamW, DEFAULT_ADAMW, type AdamWConfig, type OptimizerState } from "./engine/optim.js";
export { saveCheckpoint, loadCheckpoint, type Checkpoint } from "./engine/checkpoint.js";

// Rewards and losses: task-free libraries.
export * as rewards from "./rewards/index.js";
export * as rl from "./rl/index.js";

// Messages: what flows along the edges (types only).
export type * from "./messages.js";
export { Rng } from "./util/rng.js";
