// The Policy backed by a pool of Piscina worker threads, each holding a model replica.
//
// Requests: every complete()/logProb() call becomes a Pending with an id. A dispatcher keeps at
// most one task in flight per worker and packs queued calls into tasks: calls of the same kind
// (and, for sampling, the same maxTokens, so no row waits on a longer batchmate) share one
// forward pass when there are more queued calls than free workers. Each call keeps its own
// seed and options inside the merged batch (generateGroups in src/engine/sample.ts). With coalesce "exact" (the
// default) sampling calls merge only when their longest prompts have the same token count:
// then every row has the padding and cache length it would have alone, and the tokens are
// bit-identical to an unmerged call. A different padding shifts where real keys fall in the
// wasm kernels' SIMD lanes, which changes the last bits of a logit ("any" accepts that).
//
// Weights: publish() writes a version to the shared WeightBoard; workers install it before
// their next task. A call is only dispatched when the published version is within maxStaleness
// of `version` (what the runner says is current), so with maxStaleness 0 every sample is
// exactly on-policy, and a Learner that has not published yet holds generation back.
//
// Faults: every task runs under a timeout; a worker that throws, exits, hangs or answers
// malformed data fails the task, Piscina replaces a dead or terminated worker (from the board,
// so on current weights), and the task's calls go back to the head of the queue, up to
// maxRetries times each. A call is settled exactly once (a settled flag guards every path), and
// what happened is counted in stats() and reported through onEvent.
import path from "node:path";
import { fileURLToPath } from "node:url";
import { Piscina } from "piscina";
import type { BackendRequest } from "../engine/backend.js";
import type { ModelConfig } from "../engine/config.js";
import type { GPT } from "../engine/gpt.js";
import type { SampleOptions } from "../engine/sample.js";
import { Tokenizer, type TokenizerSpec } from "../engine/tokenizer.js";
import type { Policy, PolicySample } from "../engine/policy.js";
import { isTaskStarted, resultProblem, type CompleteCall, type LogProbCall, type WorkerFault, type WorkerHealth, type WorkerInit, type WorkerResult, type WorkerTask } from "./protocol.js";
import { WeightBoard } from "./weights.js";

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
  faults?: (info: { task: number; kind: WorkerTask["kind"]; calls: number[]; attempt: number }) => WorkerFault | undefined;
}

export interface PoolModel {
  config: ModelConfig;
  tokenizer: TokenizerSpec;
  weights: Map<string, Float32Array>;
}

export interface PoolStats {
  workers: number;
  tasks: number;
  /** Calls enqueued; a split call counts once per chunk. */
  calls: number;
  /** Calls that shared their task with at least one other call. */
  mergedCalls: number;
  rows: number;
  retries: number;
  faults: Record<FaultKind, number>;
  /** Calls rejected after exhausting their retries (or with an input error). */
  failedCalls: number;
  /** Results that arrived for an already-settled call and were dropped (should stay 0). */
  duplicatesDropped: number;
  workerStarts: number;
  workerExits: number;
  publishes: number;
  publishMs: number;
  /** Delivered samples by staleness (version − the sample's weight version): "0" → count. */
  staleness: Record<string, number>;
  /** Time calls waited for the staleness gate (a Learner that has not published). */
  gateWaitMs: number;
  /** Model compute inside workers, and weight installs, as the workers measured them. */
  computeMs: number;
  syncMs: number;
  /** Dispatch-to-answer wall time of successful tasks, main-thread view. */
  taskMs: number;
  /** Latest health of each worker thread seen. */
  health: Record<number, WorkerHealth>;
}

type CallKind = "complete" | "logProb";

interface Pending {
  id: number;
  kind: CallKind;
  complete?: CompleteCall;
  logProb?: LogProbCall;
  rows: number;
  /** Longest prompt in tokens (sampling calls): what decides a merged batch's padding. */
  promptLength: number;
  attempts: number;
  failures: string[];
  settled: boolean;
  enqueuedAt: number;
  resolve: (v: PoolSample[] | number[]) => void;
  reject: (e: Error) => void;
}

export class PoolError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "PoolError";
  }
}

const WORKER_ENTRY = path.join(path.dirname(fileURLToPath(import.meta.url)), "worker-entry.js");

function healthOf(r: WorkerHealth): WorkerHealth {
  return { threadId: r.threadId, weightVersion: r.weightVersion, numTensors: r.numTensors, heapUsed: r.heapUsed, computeMs: r.computeMs, syncMs: r.syncMs };
}

function emptyStats(workers: number): PoolStats {
  return {
    workers,
    tasks: 0,
    calls: 0,
    mergedCalls: 0,
    rows: 0,
    retries: 0,
    faults: { exit: 0, timeout: 0, garbage: 0, error: 0 },
    failedCalls: 0,
    duplicatesDropped: 0,
    workerStarts: 0,
    workerExits: 0,
    publishes: 0,
    publishMs: 0,
    staleness: {},
    gateWaitMs: 0,
    computeMs: 0,
    syncMs: 0,
    taskMs: 0,
    health: {},
  };
}

/** The seed of chunk i > 0 of a split call (see PoolOptions.splitRows): a fixed mix of the call's seed and i. */
export function chunkSeed(seed: number, i: number): number {
  let h = (Math.imul(seed >>> 0, 0x9e3779b1) ^ Math.imul(i, 0x85ebca6b)) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x7feb352d) >>> 0;
  return (h ^ (h >>> 15)) >>> 0;
}

/** What happened between two stats() snapshots (per step, for metrics). */
export function statsDelta(after: PoolStats, before: PoolStats): PoolStats {
  const faults = { ...after.faults };
  for (const k of Object.keys(faults) as FaultKind[]) faults[k] -= before.faults[k];
  const staleness: Record<string, number> = {};
  for (const [k, n] of Object.entries(after.staleness)) {
    const d = n - (before.staleness[k] ?? 0);
    if (d > 0) staleness[k] = d;
  }
  return {
    workers: after.workers,
    tasks: after.tasks - before.tasks,
    calls: after.calls - before.calls,
    mergedCalls: after.mergedCalls - before.mergedCalls,
    rows: after.rows - before.rows,
    retries: after.retries - before.retries,
    faults,
    failedCalls: after.failedCalls - before.failedCalls,
    duplicatesDropped: after.duplicatesDropped - before.duplicatesDropped,
    workerStarts: after.workerStarts - before.workerStarts,
    workerExits: after.workerExits - before.workerExits,
    publishes: after.publishes - before.publishes,
    publishMs: after.publishMs - before.publishMs,
    staleness,
    gateWaitMs: after.gateWaitMs - before.gateWaitMs,
    computeMs: after.computeMs - before.computeMs,
    syncMs: after.syncMs - before.syncMs,
    taskMs: after.taskMs - before.taskMs,
    health: after.health,
  };
}

/** Largest and mean staleness in a stats snapshot or delta (0 when nothing was sampled). */
export function stalenessSummary(s: PoolStats): { max: number; mean: number; samples: number } {
  let max = 0;
  let sum = 0;
  let n = 0;
  for (const [k, c] of Object.entries(s.staleness)) {
    const v = Number(k);
    max = Math.max(max, v);
    sum += v * c;
    n += c;
  }
  return { max, mean: n > 0 ? sum / n : 0, samples: n };
}

export class PoolPolicy implements Policy {
  readonly tokenizer: Tokenizer;
  private readonly piscina: Piscina<WorkerTask, WorkerResult>;
  private readonly board: WeightBoard;
  private readonly opts: Required<Omit<PoolOptions, "onEvent" | "faults">> & Pick<PoolOptions, "onEvent" | "faults">;
  private target: number;
  private readonly queue: Pending[] = [];
  private readonly admission: Array<() => void> = [];
  private inflight = 0;
  private readonly inflightTasks = new Set<Promise<void>>();
  private nextCall = 1;
  private nextTask = 1;
  private closed = false;
  private pumpScheduled = false;
  private readonly counters: PoolStats;
  private gateSince: number | undefined;
  /** Task id → arms its hang timer; called when the worker says it has started the task. */
  private readonly onStarted = new Map<number, () => void>();

  private constructor(model: PoolModel, version: number, opts: PoolOptions) {
    if (!Number.isInteger(opts.workers) || opts.workers < 1) throw new PoolError(`pool: workers must be a positive integer, got ${opts.workers}`);
    this.opts = {
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
    this.tokenizer = new Tokenizer(model.tokenizer);
    this.board = WeightBoard.create(model.config, model.weights, version);
    this.target = version;
    this.counters = emptyStats(opts.workers);
    const init: WorkerInit = { config: model.config, tokenizer: model.tokenizer, board: this.board.buffer, backend: this.opts.backend };
    this.piscina = new Piscina<WorkerTask, WorkerResult>({
      filename: WORKER_ENTRY,
      minThreads: opts.workers,
      maxThreads: opts.workers,
      idleTimeout: Number.MAX_SAFE_INTEGER,
      concurrentTasksPerWorker: 1,
      workerData: init,
      // Workers must not inherit flags such as --inspect-brk or a test runner's loader.
      execArgv: [],
    });
    this.piscina.on("workerCreate", (w: { id: number }) => {
      this.counters.workerStarts += 1;
      this.emit({ type: "worker-started", threadId: w.id });
    });
    this.piscina.on("workerDestroy", (w: { id: number }) => {
      // Exits during close() are the shutdown, not something to report.
      if (this.closed) return;
      this.counters.workerExits += 1;
      this.emit({ type: "worker-exited", threadId: w.id });
    });
    this.piscina.on("message", (m: unknown) => {
      if (isTaskStarted(m)) this.onStarted.get(m.task)?.();
    });
    // Piscina emits 'error' for a worker that dies with no task; unhandled, it would crash the
    // process. Tasks' own failures arrive through run()'s rejection and are handled there.
    this.piscina.on("error", (err: unknown) => this.emit({ type: "fault", kind: "error", task: 0, calls: [], attempt: 0, detail: err instanceof Error ? err.message : String(err) }));
  }

  /** Starts the workers and waits until each has loaded the model. */
  static async start(model: PoolModel, opts: PoolOptions & { version?: number }): Promise<PoolPolicy> {
    const pool = new PoolPolicy(model, opts.version ?? 0, opts);
    try {
      await pool.warmUp();
    } catch (err) {
      await pool.close();
      throw err;
    }
    return pool;
  }

  /** From a live model (the Learner's), at `version`. */
  static async fromModel(model: GPT, tokenizer: TokenizerSpec, opts: PoolOptions & { version?: number }): Promise<PoolPolicy> {
    return PoolPolicy.start({ config: model.config, tokenizer, weights: await model.weights() }, opts);
  }

  private async warmUp(): Promise<void> {
    const deadline = AbortSignal.timeout(this.opts.startTimeoutMs);
    // One ping per worker makes each load tfjs, its backend and the replica before real work.
    const pings = Array.from({ length: this.opts.workers }, () => this.piscina.run({ kind: "ping", task: this.nextTask++ }, { signal: deadline }));
    const results = await Promise.all(pings).catch((err: unknown) => {
      throw new PoolError(`pool: workers failed to start (${err instanceof Error ? err.message : String(err)})`);
    });
    for (const r of results) this.counters.health[r.threadId] = healthOf(r);
  }

  /** The version the runner says is current; calls wait until the board is close enough to it. */
  get version(): number {
    return this.target;
  }

  set version(v: number) {
    this.target = v;
    this.schedulePump();
  }

  /** The version workers will install next. */
  get publishedVersion(): number {
    return this.board.version;
  }

  get maxStaleness(): number {
    return this.opts.maxStaleness;
  }

  set maxStaleness(n: number) {
    if (!Number.isInteger(n) || n < 0) throw new PoolError(`pool: maxStaleness must be a non-negative integer, got ${n}`);
    this.opts.maxStaleness = n;
    this.schedulePump();
  }

  get splitRows(): number {
    return this.opts.splitRows;
  }

  /** 0 turns splitting off; see PoolOptions.splitRows. Applies to calls made from now on. */
  set splitRows(n: number) {
    if (!Number.isInteger(n) || n < 0) throw new PoolError(`pool: splitRows must be a non-negative integer, got ${n}`);
    this.opts.splitRows = n;
  }

  /** True once close() has begun: no new calls are taken and the workers are going away. */
  get isClosed(): boolean {
    return this.closed;
  }

  /** Calls waiting for a worker, tasks in flight, and tasks awaiting their start: all 0 when idle. */
  get backlog(): { queued: number; inflight: number; timers: number } {
    return { queued: this.queue.length, inflight: this.inflight, timers: this.onStarted.size };
  }

  /** Makes `weights` the current version for every worker's next task. Versions never go back. */
  publish(weights: Map<string, Float32Array>, version: number): void {
    if (version < this.board.version) throw new PoolError(`pool: version ${version} is older than the published ${this.board.version}`);
    const t0 = performance.now();
    this.board.publish(weights, version);
    if (version > this.target) this.target = version;
    const ms = performance.now() - t0;
    this.counters.publishes += 1;
    this.counters.publishMs += ms;
    this.emit({ type: "published", version, ms });
    this.schedulePump();
  }

  /** Publishes a live model's weights (copied off its backend first). */
  async publishFrom(model: GPT, version: number): Promise<void> {
    this.publish(await model.weights(), version);
  }

  async complete(prompts: readonly string[], opts: SampleOptions): Promise<PoolSample[]> {
    const promptLength = prompts.reduce((m, p) => Math.max(m, this.tokenizer.encode(p).length), 0);
    const R = this.opts.splitRows;
    if (R > 0 && prompts.length > R) {
      const chunks: Array<Promise<PoolSample[]>> = [];
      for (let i = 0; i * R < prompts.length; i++) {
        const part = prompts.slice(i * R, (i + 1) * R);
        const seed = i === 0 ? opts.seed : chunkSeed(opts.seed ?? 0, i);
        chunks.push(
          this.enqueue<PoolSample[]>("complete", part.length, promptLength, (id) => ({
            complete: { id, prompts: part, opts: { ...opts, ...(seed !== undefined ? { seed } : {}) }, padTo: promptLength },
          })),
        );
      }
      return (await Promise.all(chunks)).flat();
    }
    return this.enqueue<PoolSample[]>("complete", prompts.length, promptLength, (id) => ({ complete: { id, prompts: [...prompts], opts: { ...opts } } }));
  }

  logProb(pairs: ReadonlyArray<{ prompt: string; continuation: string }>): Promise<number[]> {
    // Scoring right-pads, which leaves every real key where it was: any logProb calls merge exactly.
    return this.enqueue<number[]>("logProb", pairs.length, 0, (id) => ({ logProb: { id, pairs: pairs.map((p) => ({ prompt: p.prompt, continuation: p.continuation })) } }));
  }

  /** A copy of the counters since start. */
  stats(): PoolStats {
    return structuredClone(this.counters);
  }

  /**
   * Each worker's health (tensor counts, heap), for soak checks. The pings go out together so
   * Piscina's balancer hands one to each idle worker; one answer per thread is kept.
   */
  async health(): Promise<WorkerHealth[]> {
    const signal = AbortSignal.timeout(this.opts.startTimeoutMs);
    const answers = await Promise.all(Array.from({ length: this.opts.workers }, () => this.piscina.run({ kind: "ping", task: this.nextTask++, gc: true }, { signal })));
    const byThread = new Map<number, WorkerHealth>();
    for (const r of answers) byThread.set(r.threadId, healthOf(r));
    for (const [id, h] of byThread) this.counters.health[id] = h;
    return [...byThread.values()];
  }

  /**
   * Shuts the pool down. With `drain` (default) the tasks in flight finish first; calls still
   * queued are rejected either way, so no caller waits forever. Idempotent.
   */
  async close(opts: { drain?: boolean } = {}): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const p of this.queue.splice(0)) this.settle(p, undefined, new PoolError(`pool closed before call ${p.id} ran`));
    for (const a of this.admission.splice(0)) a();
    if (opts.drain !== false) await Promise.allSettled([...this.inflightTasks]);
    await this.piscina.destroy();
  }

  private emit(e: PoolEvent): void {
    this.opts.onEvent?.(e);
  }

  private async enqueue<T extends PoolSample[] | number[]>(kind: CallKind, rows: number, promptLength: number, payload: (id: number) => Pick<Pending, "complete" | "logProb">): Promise<T> {
    if (this.closed) throw new PoolError("pool is closed");
    // Back-pressure: a full queue makes the caller wait here, so producers slow to the pool's pace.
    while (this.queue.length >= this.opts.maxQueuedCalls && !this.closed) await new Promise<void>((r) => this.admission.push(r));
    if (this.closed) throw new PoolError("pool is closed");
    const id = this.nextCall++;
    if (rows === 0) return [] as unknown as T;
    return new Promise<T>((resolve, reject) => {
      this.queue.push({
        id,
        kind,
        ...payload(id),
        rows,
        promptLength,
        attempts: 0,
        failures: [],
        settled: false,
        enqueuedAt: performance.now(),
        resolve: resolve as (v: PoolSample[] | number[]) => void,
        reject,
      });
      this.counters.calls += 1;
      this.schedulePump();
    });
  }

  private schedulePump(): void {
    if (this.pumpScheduled) return;
    this.pumpScheduled = true;
    // A microtask lets calls made in the same turn (several actors at once) be merged.
    queueMicrotask(() => {
      this.pumpScheduled = false;
      this.pump();
    });
  }

  private gateOpen(): boolean {
    return this.board.version >= this.target - this.opts.maxStaleness;
  }

  private pump(): void {
    if (this.closed) return;
    if (this.queue.length > 0 && !this.gateOpen()) {
      this.gateSince ??= performance.now();
      return;
    }
    if (this.gateSince !== undefined) {
      this.counters.gateWaitMs += performance.now() - this.gateSince;
      this.gateSince = undefined;
    }
    while (this.inflight < this.opts.workers && this.queue.length > 0) {
      const free = this.opts.workers - this.inflight;
      const head = this.queue.shift() as Pending;
      const calls = [head];
      let rows = head.rows;
      if (this.opts.coalesce !== "off") {
        // Merge only when there are more queued calls than free workers: otherwise spreading
        // the calls over idle workers finishes sooner than one bigger batch.
        for (let i = 0; i < this.queue.length && this.queue.length > free - 1; ) {
          const c = this.queue[i] as Pending;
          if (c.kind === head.kind && rows + c.rows <= this.opts.maxTaskRows && this.mergeable(head, c)) {
            calls.push(c);
            rows += c.rows;
            this.queue.splice(i, 1);
          } else i++;
        }
      }
      for (let i = 0; i < calls.length && this.admission.length > 0; i++) this.admission.shift()?.();
      this.inflight += 1;
      const p = this.runTask(calls)
        .catch((err: unknown) => {
          // A bug on this side (a throwing fault hook, say) must still answer every call once.
          const e = err instanceof Error ? err : new Error(String(err));
          for (const c of calls) this.settle(c, undefined, e);
        })
        .finally(() => {
          this.inflight -= 1;
          this.inflightTasks.delete(p);
          this.schedulePump();
        });
      this.inflightTasks.add(p);
    }
  }

  private mergeable(a: Pending, b: Pending): boolean {
    if (a.kind === "logProb") return true;
    if (a.complete?.opts.maxTokens !== b.complete?.opts.maxTokens) return false;
    return this.opts.coalesce === "any" || a.promptLength === b.promptLength;
  }

  private async runTask(calls: Pending[]): Promise<void> {
    const taskId = this.nextTask++;
    const kind = (calls[0] as Pending).kind;
    const attempt = Math.max(...calls.map((c) => c.attempts)) + 1;
    for (const c of calls) c.attempts += 1;
    const fault = this.opts.faults?.({ task: taskId, kind, calls: calls.map((c) => c.id), attempt });
    const task: WorkerTask =
      kind === "complete"
        ? { kind, task: taskId, calls: calls.map((c) => c.complete as CompleteCall), ...(fault ? { fault } : {}) }
        : { kind, task: taskId, calls: calls.map((c) => c.logProb as LogProbCall), ...(fault ? { fault } : {}) };
    this.counters.tasks += 1;
    if (calls.length > 1) this.counters.mergedCalls += calls.length;
    this.counters.rows += calls.reduce((n, c) => n + c.rows, 0);
    // Two deadlines: one for a worker to pick the task up (a pool whose workers cannot start),
    // then, from the worker's "started" message, the hang timeout proper. Aborting a running
    // task makes Piscina terminate its thread and start a replacement.
    const controller = new AbortController();
    let timeout = "";
    const abortAfter = (ms: number, why: string): NodeJS.Timeout =>
      setTimeout(() => {
        timeout = why;
        controller.abort(new PoolError(`task ${taskId}: ${why}`));
      }, ms);
    let timer = abortAfter(this.opts.startTimeoutMs, `no worker picked it up within ${this.opts.startTimeoutMs} ms`);
    this.onStarted.set(taskId, () => {
      clearTimeout(timer);
      timer = abortAfter(this.opts.taskTimeoutMs, `no answer ${this.opts.taskTimeoutMs} ms after the worker started it`);
    });
    const t0 = performance.now();
    try {
      let result: WorkerResult;
      try {
        result = await this.piscina.run(task, { signal: controller.signal });
      } catch (err) {
        const msg = err instanceof Error ? err.message : String(err);
        const faultKind: FaultKind = controller.signal.aborted ? "timeout" : /worker exited/i.test(msg) ? "exit" : "error";
        this.fail(calls, taskId, faultKind, controller.signal.aborted ? timeout : msg);
        return;
      }
      const problem = resultProblem(task, result, this.tokenizer.vocabSize);
      if (problem !== undefined) {
        this.fail(calls, taskId, "garbage", `malformed result: ${problem}`);
        return;
      }
      this.counters.taskMs += performance.now() - t0;
      this.counters.computeMs += result.computeMs;
      this.counters.syncMs += result.syncMs;
      this.counters.health[result.threadId] = healthOf(result);
      this.deliver(calls, result);
    } finally {
      clearTimeout(timer);
      this.onStarted.delete(taskId);
    }
  }

  private deliver(calls: Pending[], result: WorkerResult): void {
    if (result.kind === "ping") return;
    const byId = new Map<number, Pending>(calls.map((c) => [c.id, c]));
    for (const r of result.results) {
      const call = byId.get(r.id) as Pending;
      if ("error" in r) {
        // The input itself is bad (too long for the context): every worker would say the same.
        this.counters.failedCalls += 1;
        this.settle(call, undefined, new PoolError(`pool: call ${call.id}: ${r.error}`));
      } else if ("samples" in r) {
        const key = String(this.target - result.weightVersion);
        this.counters.staleness[key] = (this.counters.staleness[key] ?? 0) + r.samples.length;
        this.settle(call, r.samples.map((s) => ({ ...s, weightVersion: result.weightVersion })));
      } else this.settle(call, r.logProbs);
    }
  }

  private fail(calls: Pending[], taskId: number, kind: FaultKind, detail: string): void {
    this.counters.faults[kind] += 1;
    const attempt = Math.max(...calls.map((c) => c.attempts));
    this.emit({ type: "fault", kind, task: taskId, calls: calls.map((c) => c.id), attempt, detail });
    const retry: Pending[] = [];
    for (const c of calls) {
      if (c.settled) continue;
      c.failures.push(`${kind}: ${detail}`);
      if (c.attempts > this.opts.maxRetries || this.closed) {
        this.counters.failedCalls += 1;
        this.emit({ type: "gave-up", call: c.id, attempts: c.attempts, detail });
        this.settle(c, undefined, new PoolError(`pool: call ${c.id} failed after ${c.attempts} attempt(s): ${c.failures.join("; ")}`));
      } else {
        this.counters.retries += 1;
        this.emit({ type: "retry", call: c.id, attempt: c.attempts + 1 });
        retry.push(c);
      }
    }
    // Retries go first, in their original order: they were the oldest work.
    this.queue.unshift(...retry);
  }

  private settle(call: Pending, value: PoolSample[] | number[] | undefined, error?: Error): void {
    if (call.settled) {
      this.counters.duplicatesDropped += 1;
      return;
    }
    call.settled = true;
    if (error) call.reject(error);
    else call.resolve(value as PoolSample[] | number[]);
  }
}
