// The tasks actors can run (each a TaskSpec) and their building blocks, one namespace per task.
export type { TaskSpec, TaskProblem, TaskVerdict } from "./task.js";
export { SPECIAL } from "./roles.js";
export { countdownTask } from "./countdown/spec.js";
export { functionsTask } from "./functions/spec.js";
export { bbhTask, bbhMixedTask, BBH_TASKS } from "./bbh/spec.js";
export { translationTask, type TranslationTaskSpec } from "./translation/spec.js";
export * as countdown from "./countdown/index.js";
export * as functions from "./functions/index.js";
export * as bbh from "./bbh/index.js";
export * as translation from "./translation/index.js";
