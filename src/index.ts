// Public API of the selfimprove package.
export { initBackend, describeBackend, BACKEND_NAMES, type BackendRequest, type BackendChoice } from "./engine/backend.js";
export { ModelConfigSchema, parseModelConfig, type ModelConfig } from "./engine/config.js";
export { GPT, parameterShapes, initialParameters, type LayerCache, type ForwardOptions, type ForwardResult } from "./engine/gpt.js";
export { Tokenizer, type TokenizerSpec } from "./engine/tokenizer.js";
export { generate, type Sample, type SampleOptions, type FinishReason } from "./engine/sample.js";
export { scoreContinuations, type ScoreItem } from "./engine/score.js";
export { Trainer, packBatch, weightedNllLoss, tokenLogProbs, type TokenBatch, type LossOutput, type StepResult } from "./engine/train.js";
export { AdamW, cosineLr, DEFAULT_ADAMW, type AdamWConfig, type OptimizerState } from "./engine/optim.js";
export { saveCheckpoint, loadCheckpoint, type Checkpoint } from "./engine/checkpoint.js";
export { LanguageModel } from "./engine/language-model.js";
export * as countdown from "./tasks/countdown/index.js";
export { Rng } from "./util/rng.js";
