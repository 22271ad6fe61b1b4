// The Policy backed by a pool of Piscina worker threads, each holding a model replica: starting
// and stopping the workers, the weight versions, and the calls' entry (splitting big sampling
// calls). Queueing, merging, timeouts and retries are the dispatcher's (dispatch.ts); the
// options, events and counters are in options.ts and stats.ts, re-exported here so that callers
// import the pool from one module.
//
// Weights: publish() writes a version to the shared WeightBoard; workers install it before
// their next task. A call is only dispatched when the published version is within maxStaleness
// of `version` (what the runner says is current), so with maxStaleness 0 every sample is
// exactly on-policy, and a Learner that has not published yet holds generation back.
import path from "node:path";
import { fileURLToPath } from "node:url";
import { Piscina } from "piscina";
import type { GPT } from "../engine/gpt.js";
import type { Policy } from "../engine/policy.js";
import type { SampleOptions } from "../engine/sample.js";
import { Tokenizer, type TokenizerSpec } from "../engine/tokenizer.js";
import { Dispatcher } from "./dispatch.js";
import {
  PoolError,
  resolvePoolOptions,
  type PoolModel,
  type PoolOptions,
  type PoolSample,
  type ResolvedPoolOptions,
} from "./options.js";
import { isTaskStarted, type WorkerHealth, type WorkerInit, type WorkerResult, type WorkerTask } from "./protocol.js";
import { emptyStats, healthOf, type PoolStats } from "./stats.js";
import { WeightBoard } from "./weights.js";

export {
  PoolError,
  type FaultKind,
  type PoolEvent,
  type PoolModel,
  type PoolOptions,
  type PoolSample,
} from "./options.js";
export { stalenessSummary, statsDelta, type PoolStats } from "./stats.js";

const WORKER_ENTRY = path.join(path.dirname(fileURLToPath(import.meta.url)), "worker-entry.js");

/** The seed of chunk i > 0 of a split call (see PoolOptions.splitRows): a fixed mix of the call's seed and i. */
export function chunkSeed(seed: number, i: number): number {
  let h = (Math.imul(seed >>> 0, 0x9e3779b1) ^ Math.imul(i, 0x85ebca6b)) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x7feb352d) >>> 0;
  return (h ^ (h >>> 15)) >>> 0;
}

export class PoolPolicy implements Policy {
  readonly tokenizer: Tokenizer;
  private readonly piscina: Piscina<WorkerTask, WorkerResult>;
  private readonly board: WeightBoard;
  private readonly opts: ResolvedPoolOptions;
  private target: number;
  private readonly counters: PoolStats;
  private readonly dispatcher: Dispatcher;

  private constructor(model: PoolModel, version: number, opts: PoolOptions) {
    this.opts = resolvePoolOptions(opts);
    this.tokenizer = new Tokenizer(model.tokenizer);
    this.board = WeightBoard.create(model.config, model.weights, version);
    this.target = version;
    this.counters = emptyStats(this.opts.workers);
    const init: WorkerInit = {
      config: model.config,
      tokenizer: model.tokenizer,
      board: this.board.buffer,
      backend: this.opts.backend,
    };
    this.piscina = new Piscina<WorkerTask, WorkerResult>({
      filename: WORKER_ENTRY,
      minThreads: this.opts.workers,
      maxThreads: this.opts.workers,
      idleTimeout: Number.MAX_SAFE_INTEGER,
      concurrentTasksPerWorker: 1,
      workerData: init,
      // Workers must not inherit flags such as --inspect-brk or a test runner's loader.
      execArgv: [],
    });
    this.dispatcher = new Dispatcher({
      piscina: this.piscina,
      opts: this.opts,
      counters: this.counters,
      vocabSize: this.tokenizer.vocabSize,
      gateOpen: () => this.board.version >= this.target - this.opts.maxStaleness,
      currentVersion: () => this.target,
      emit: (e) => this.opts.onEvent?.(e),
    });
    this.piscina.on("workerCreate", (w: { id: number }) => {
      this.counters.workerStarts += 1;
      this.opts.onEvent?.({ type: "worker-started", threadId: w.id });
    });
    this.piscina.on("workerDestroy", (w: { id: number }) => {
      // Exits during close() are the shutdown, not something to report.
      if (this.dispatcher.isClosed) return;
      this.counters.workerExits += 1;
      this.opts.onEvent?.({ type: "worker-exited", threadId: w.id });
    });
    this.piscina.on("message", (m: unknown) => {
      if (isTaskStarted(m)) this.dispatcher.taskStarted(m.task);
    });
    // Piscina emits 'error' for a worker that dies with no task; unhandled, it would crash the
    // process. Tasks' own failures arrive through run()'s rejection and are handled there.
    this.piscina.on("error", (err: unknown) =>
      this.opts.onEvent?.({
        type: "fault",
        kind: "error",
        task: 0,
        calls: [],
        attempt: 0,
        detail: err instanceof Error ? err.message : String(err),
      }),
    );
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
  static async fromModel(
    model: GPT,
    tokenizer: TokenizerSpec,
    opts: PoolOptions & { version?: number },
  ): Promise<PoolPolicy> {
    return PoolPolicy.start({ config: model.config, tokenizer, weights: await model.weights() }, opts);
  }

  private async warmUp(): Promise<void> {
    const deadline = AbortSignal.timeout(this.opts.startTimeoutMs);
    // One ping per worker makes each load tfjs, its backend and the replica before real work.
    const pings = Array.from({ length: this.opts.workers }, () =>
      this.piscina.run({ kind: "ping", task: this.dispatcher.newTaskId() }, { signal: deadline }),
    );
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
    this.dispatcher.schedulePump();
  }

  /** The version workers will install next. */
  get publishedVersion(): number {
    return this.board.version;
  }

  get maxStaleness(): number {
    return this.opts.maxStaleness;
  }

  set maxStaleness(n: number) {
    if (!Number.isInteger(n) || n < 0)
      throw new PoolError(`pool: maxStaleness must be a non-negative integer, got ${n}`);
    this.opts.maxStaleness = n;
    this.dispatcher.schedulePump();
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
    return this.dispatcher.isClosed;
  }

  /** Calls waiting for a worker, tasks in flight, and tasks awaiting their start: all 0 when idle. */
  get backlog(): { queued: number; inflight: number; timers: number } {
    return this.dispatcher.backlog;
  }

  /** Makes `weights` the current version for every worker's next task. Versions never go back. */
  publish(weights: Map<string, Float32Array>, version: number): void {
    if (version < this.board.version)
      throw new PoolError(`pool: version ${version} is older than the published ${this.board.version}`);
    const t0 = performance.now();
    this.board.publish(weights, version);
    if (version > this.target) this.target = version;
    const ms = performance.now() - t0;
    this.counters.publishes += 1;
    this.counters.publishMs += ms;
    this.opts.onEvent?.({ type: "published", version, ms });
    this.dispatcher.schedulePump();
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
          this.dispatcher.enqueue<PoolSample[]>("complete", part.length, promptLength, (id) => ({
            complete: {
              id,
              prompts: part,
              opts: { ...opts, ...(seed !== undefined ? { seed } : {}) },
              padTo: promptLength,
            },
          })),
        );
      }
      return (await Promise.all(chunks)).flat();
    }
    return this.dispatcher.enqueue<PoolSample[]>("complete", prompts.length, promptLength, (id) => ({
      complete: { id, prompts: [...prompts], opts: { ...opts } },
    }));
  }

  logProb(pairs: ReadonlyArray<{ prompt: string; continuation: string }>): Promise<number[]> {
    // Scoring right-pads, which leaves every real key where it was: any logProb calls merge exactly.
    return this.dispatcher.enqueue<number[]>("logProb", pairs.length, 0, (id) => ({
      logProb: { id, pairs: pairs.map((p) => ({ prompt: p.prompt, continuation: p.continuation })) },
    }));
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
    const answers = await Promise.all(
      Array.from({ length: this.opts.workers }, () =>
        this.piscina.run({ kind: "ping", task: this.dispatcher.newTaskId(), gc: true }, { signal }),
      ),
    );
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
    if (this.dispatcher.isClosed) return;
    await this.dispatcher.close(opts.drain !== false);
    await this.piscina.destroy();
  }
}
