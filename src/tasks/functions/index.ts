export {
  CATALOGUE,
  toolByName,
  paramOf,
  type ArgValue,
  type ParamSpec,
  type ToolSchema,
  type StringParam,
  type EnumParam,
  type IntegerParam,
  type NumberParam,
  type BooleanParam,
} from "./catalogue.js";
export {
  parseStrictJson,
  isJsonObject,
  DEFAULT_JSON_LIMITS,
  FORBIDDEN_KEYS,
  type JsonValue,
  type JsonObject,
  type StrictJsonLimits,
  type StrictJsonResult,
} from "./strict-json.js";
export {
  parseCall,
  formatCall,
  toFunctionCall,
  CALL_LIMITS,
  type FunctionCall,
  type ParsedCall,
  type ParseCallResult,
} from "./call.js";
export { normaliseText, sameArg, validArg } from "./normalise.js";
export { verifyCall, extractCall, type CallReason, type CallVerdict } from "./verify.js";
export {
  REQUESTS,
  fillTemplate,
  slotsOf,
  type RequestTemplate,
  type ToolRequests,
  type ValuePool,
  type Said,
} from "./requests.js";
export {
  generateFunctionProblem,
  generateFunctionSet,
  functionProblem,
  MAX_REQUEST_LENGTH,
  type FunctionProblem,
} from "./generate.js";
export {
  functionProblemSchema,
  parseFunctionJsonl,
  verifyFunctionJsonl,
  toJsonl,
  type FunctionJsonlRecord,
  type FunctionVerifyLine,
} from "./jsonl.js";
export {
  FUNCTIONS_TOKENIZER,
  answerPrompt,
  judgePrompt,
  reflectPrompt,
  retryPrompt,
  MAX_TOKENS,
  SPECIAL,
} from "./prompts.js";
export {
  applyReflection,
  formatReflection,
  goodReflection,
  parseReflection,
  reflectionFixes,
  type ReflectionEdit,
} from "./reflection.js";
export { mistake, wrongCall, otherValue, MISTAKE_KINDS, type MistakeKind } from "./mistakes.js";
export {
  functionCorpusExample,
  DEFAULT_FUNCTION_MIX,
  type FunctionCorpusExample,
  type FunctionCorpusMix,
  type FunctionExampleKind,
} from "./corpus.js";
export { contentId } from "../content-id.js";
export { functionsTask } from "./spec.js";
