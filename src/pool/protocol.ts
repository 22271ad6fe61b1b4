// What crosses the thread boundary between PoolPolicy and its workers, and the checks the main
// thread applies to every answer. Nothing a worker returns is trusted: a result of the wrong
// shape is treated like a crash (the task is retried), so a faulty worker can delay a request
// but never answer it wrongly.
import type { BackendRequest } from "../engine/backend.js";
import type { ModelConfig } from "../engine/config.js";
import type { Sample, SampleOptions } from "../engine/sample.js";
import type { TokenizerSpec } from "../engine/tokenizer.js";

/** Handed to every worker at start (Piscina's workerData); a replacement worker gets it too. */
export interface WorkerInit {
  config: ModelConfig;
  tokenizer: TokenizerSpec;
  /** The WeightBoard's buffer: workers read weights from it, never from files. */
  board: SharedArrayBuffer;
  backend: BackendRequest;
}

/**
 * Injected faults, for tests and drills: the worker misbehaves in this way on this task.
 * "exit" stops the thread partway through the batch, "hang" spins forever (only a timeout gets
 * the thread back), "garbage" answers with a malformed result, "throw" raises.
 */
export type WorkerFault = "exit" | "hang" | "garbage" | "throw";

export interface CompleteCall {
  id: number;
  prompts: string[];
  opts: SampleOptions;
  /** Left-pad every prompt to at least this many tokens: a chunk of a split call keeps the whole call's padding. */
  padTo?: number;
}

export interface LogProbCall {
  id: number;
  pairs: Array<{ prompt: string; continuation: string }>;
}

/** `task` numbers the task so the worker can say when it starts (see TaskStarted). */
export type WorkerTask =
  | {
      kind: "ping";
      task: number;
      fault?: WorkerFault;
      /** Collect garbage first, so heapUsed means live data. */ gc?: boolean;
    }
  | { kind: "complete"; task: number; calls: CompleteCall[]; fault?: WorkerFault }
  | { kind: "logProb"; task: number; calls: LogProbCall[]; fault?: WorkerFault };

/**
 * Posted by a worker when it picks a task up. The hang timeout runs from here, not from
 * submission: a task queued behind a replacement worker that is still loading is not hung.
 */
export interface TaskStarted {
  type: "selfimprove-pool-task-started";
  task: number;
}

export function isTaskStarted(x: unknown): x is TaskStarted {
  return isRecord(x) && x.type === "selfimprove-pool-task-started" && Number.isInteger(x.task);
}

/** A call that cannot be served whatever the worker (a prompt too long for the context): not retried. */
export interface CallError {
  id: number;
  error: string;
}

export interface WorkerHealth {
  threadId: number;
  /** Weight version the worker's replica holds after this task. */
  weightVersion: number;
  /** tf.memory().numTensors in the worker: must stay flat over a long run. */
  numTensors: number;
  /** This worker isolate's used heap, bytes. */
  heapUsed: number;
  /** Milliseconds spent in model compute (forward passes and sampling) for this task. */
  computeMs: number;
  /** Milliseconds spent installing new weights before this task. */
  syncMs: number;
}

export type WorkerResult =
  | ({ kind: "ping" } & WorkerHealth)
  | ({ kind: "complete"; results: Array<{ id: number; samples: Sample[] } | CallError> } & WorkerHealth)
  | ({ kind: "logProb"; results: Array<{ id: number; logProbs: number[] } | CallError> } & WorkerHealth);

const FINISH = new Set(["eos", "stop", "length", "context"]);

function isRecord(x: unknown): x is Record<string, unknown> {
  return typeof x === "object" && x !== null;
}

function isHealth(x: Record<string, unknown>): boolean {
  return (
    Number.isInteger(x.threadId) &&
    Number.isInteger(x.weightVersion) &&
    (x.weightVersion as number) >= 0 &&
    Number.isFinite(x.numTensors) &&
    Number.isFinite(x.heapUsed) &&
    Number.isFinite(x.computeMs) &&
    Number.isFinite(x.syncMs)
  );
}

function isSample(x: unknown, vocab: number, maxTokens: number): boolean {
  if (!isRecord(x)) return false;
  const { tokens, logprobs, text, finishReason } = x;
  if (
    !Array.isArray(tokens) ||
    !Array.isArray(logprobs) ||
    typeof text !== "string" ||
    typeof finishReason !== "string"
  )
    return false;
  if (!FINISH.has(finishReason) || tokens.length !== logprobs.length || tokens.length > maxTokens) return false;
  for (const t of tokens) if (!Number.isInteger(t) || (t as number) < 0 || (t as number) >= vocab) return false;
  // A log-probability is never positive; NaN means the worker's arithmetic went wrong.
  for (const l of logprobs) if (typeof l !== "number" || Number.isNaN(l) || l > 1e-6) return false;
  return true;
}

/**
 * Why a worker's answer to `task` is unusable, or undefined when it is well formed: the right
 * kind, one entry per call in order, each with the right count of well-formed values.
 */
export function resultProblem(task: WorkerTask, result: unknown, vocab: number): string | undefined {
  if (!isRecord(result)) return "not an object";
  if (result.kind !== task.kind) return `kind ${String(result.kind)}, expected ${task.kind}`;
  if (!isHealth(result)) return "missing or malformed worker health fields";
  if (task.kind === "ping") return undefined;
  const results = result.results;
  if (!Array.isArray(results)) return "no results array";
  if (results.length !== task.calls.length) return `${results.length} results for ${task.calls.length} calls`;
  for (let i = 0; i < results.length; i++) {
    const r: unknown = results[i];
    const call = task.calls[i] as CompleteCall | LogProbCall;
    if (!isRecord(r) || r.id !== call.id) return `result ${i} is not for call ${call.id}`;
    if (typeof r.error === "string") continue;
    if (task.kind === "complete") {
      const c = call as CompleteCall;
      if (!Array.isArray(r.samples) || r.samples.length !== c.prompts.length)
        return `call ${c.id}: ${Array.isArray(r.samples) ? r.samples.length : "no"} samples for ${c.prompts.length} prompts`;
      for (const s of r.samples) if (!isSample(s, vocab, c.opts.maxTokens)) return `call ${c.id}: a malformed sample`;
    } else {
      const c = call as LogProbCall;
      if (!Array.isArray(r.logProbs) || r.logProbs.length !== c.pairs.length)
        return `call ${c.id}: ${Array.isArray(r.logProbs) ? r.logProbs.length : "no"} log-probs for ${c.pairs.length} pairs`;
      for (const l of r.logProbs)
        if (typeof l !== "number" || Number.isNaN(l) || l > 1e-6) return `call ${c.id}: log-prob ${String(l)}`;
    }
  }
  return undefined;
}
