// What a PoolPolicy is started with, what it reports, and its error: the pool's public types,
// apart from the dispatcher and the policy that use them.
import type { BackendRequest } from "../engine/backend.js";
import type { ModelConfig } from "../engine/config.js";
import type { PolicySample } from "../engine/policy.js";
import type { TokenizerSpec } from "../engine/tokenizer.js";
import type { WorkerFault, WorkerTask } from "./protocol.js";

/** A sample from the pool always names its weight version. */
export type PoolSample = PolicySample & { weightVersion: number };

export type FaultKind = "exit" | "timeout" | "garbage" | "error";

export type PoolEvent =
  | { type: "fault"; kind: FaultKind; task: number; calls: number[]; attempt: number; detail: string }
  | { type: "retry"; call: number; attempt: number }
  | { type: "gave-up"; call: number; attempts: number; detail: string }
  | { type: "worker-started"; threadId: number }
  | { type: "worker-exited"; threadId: number }
  | { type: "published"; version: number; ms: number };

export interface PoolOptions {
  /** Worker threads (>= 1). */
  workers: number;
  /** Each worker's backend; "auto" prefers the native GPU backend where installed. Default wasm. */
  backend?: BackendRequest;
  /** Published weights may lag `version` by this many updates (0 = exactly on-policy). */
  maxStaleness?: number;
  /** A task running longer than this (from when a worker picked it up) is a hang: the worker is terminated and the task retried. */
  taskTimeoutMs?: number;
  /** How long start() waits for the workers to load, and a task may wait for a worker to pick it up. */
  startTimeoutMs?: number;
  /** Attempts after the first before a call is rejected. */
  maxRetries?: number;
  /** Queued (not yet dispatched) calls beyond this make complete()/logProb() wait: back-pressure. */
  maxQueuedCalls?: number;
  /** Rows (prompts or pairs) one merged task may hold; a single larger call still goes alone. */
  maxTaskRows?: number;
  /**
   * Merging queued calls into one forward pass: "exact" (default) only where it changes no
   * token (same longest-prompt length), "any" wherever kind and maxTokens agree (more merging,
   * last-bit differences in log-probs), "off" never.
   */
  coalesce?: "exact" | "any" | "off";
  /**
   * Split a sampling call of more than this many prompts into chunks of this size that run on
   * different workers (off by default). engine/sample.ts draws one Rng across a whole call, so a
   * split call cannot reproduce it: chunk 0 keeps the call's seed and chunk i > 0 gets
   * chunkSeed(seed, i), every chunk keeps the whole call's padding, and the result depends on
   * neither the worker count nor merging. A call no larger than one chunk is unchanged, so it
   * still equals in-process sampling exactly.
   */
  splitRows?: number;
  onEvent?: (e: PoolEvent) => void;
  /** Test seam: the fault a worker should inject into this task, if any. */
  faults?: (info: {
    task: number;
    kind: WorkerTask["kind"];
    calls: number[];
    attempt: number;
  }) => WorkerFault | undefined;
}

/** PoolOptions with every default filled in; one object, shared (and updated) by the policy and its dispatcher. */
export type ResolvedPoolOptions = Required<Omit<PoolOptions, "onEvent" | "faults">> &
  Pick<PoolOptions, "onEvent" | "faults">;

export function resolvePoolOptions(opts: PoolOptions): ResolvedPoolOptions {
  if (!Number.isInteger(opts.workers) || opts.workers < 1)
    throw new PoolError(`pool: workers must be a positive integer, got ${opts.workers}`);
  return {
    workers: opts.workers,
    backend: opts.backend ?? "wasm",
    maxStaleness: opts.maxStaleness ?? 0,
    taskTimeoutMs: opts.taskTimeoutMs ?? 120_000,
    startTimeoutMs: opts.startTimeoutMs ?? 120_000,
    maxRetries: opts.maxRetries ?? 3,
    maxQueuedCalls: opts.maxQueuedCalls ?? 256,
    maxTaskRows: opts.maxTaskRows ?? 512,
    coalesce: opts.coalesce ?? "exact",
    splitRows: opts.splitRows ?? 0,
    onEvent: opts.onEvent,
    faults: opts.faults,
  };
}

export interface PoolModel {
  config: ModelConfig;
  tokenizer: TokenizerSpec;
  weights: Map<string, Float32Array>;
}

export class PoolError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "PoolError";
  }
}
