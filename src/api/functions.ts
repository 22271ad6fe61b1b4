/**
 * The function-calling task: turn a request into a JSON call of a catalogue tool. Its
 * {@link functionsTask} spec, problem generator, verifier, the strict JSON and call parsers it
 * uses on untrusted output, the tool catalogue, the JSONL format `selfimprove verify` reads, and
 * the prompts of each role.
 *
 * @module
 */
// The package's `functions` namespace (src/index.ts) is this deliberate subset of the task; the
// full barrel (src/tasks/functions/index.ts) also holds the pretraining corpus's building blocks
// (request templates, typical mistakes, reflections).
export { functionsTask } from "../tasks/functions/spec.js";
export { generateFunctionProblem, generateFunctionSet, type FunctionProblem } from "../tasks/functions/generate.js";
export { verifyCall, extractCall, type CallReason, type CallVerdict } from "../tasks/functions/verify.js";
export {
  parseCall,
  formatCall,
  type FunctionCall,
  type ParsedCall,
  type ParseCallResult,
} from "../tasks/functions/call.js";
export {
  parseStrictJson,
  type JsonValue,
  type JsonObject,
  type StrictJsonLimits,
  type StrictJsonResult,
} from "../tasks/functions/strict-json.js";
export {
  CATALOGUE,
  toolByName,
  type ToolSchema,
  type ParamSpec,
  type ArgValue,
  type StringParam,
  type EnumParam,
  type IntegerParam,
  type NumberParam,
  type BooleanParam,
} from "../tasks/functions/catalogue.js";
export {
  functionProblemSchema,
  parseFunctionJsonl,
  verifyFunctionJsonl,
  toJsonl,
  type FunctionJsonlRecord,
  type FunctionVerifyLine,
} from "../tasks/functions/jsonl.js";
export {
  FUNCTIONS_TOKENIZER,
  MAX_TOKENS,
  answerPrompt,
  judgePrompt,
  reflectPrompt,
  retryPrompt,
} from "../tasks/functions/prompts.js";
