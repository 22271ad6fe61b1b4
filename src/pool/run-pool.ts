// The generation pool as a scenario run uses it: started from the Learner's live model, fed
// each new weight version after an update, and summarised per step for metrics.jsonl. Kept out
// of runner.ts so the runner only gains a few lines; everything pool-specific lives here.
import type { BackendRequest } from "../engine/backend.js";
import type { GPT } from "../engine/gpt.js";
import type { LanguageModel } from "../engine/language-model.js";
import { appendJsonl } from "../util/log.js";
import { PoolPolicy, stalenessSummary, statsDelta, type PoolEvent, type PoolStats } from "./pool-policy.js";

/** One step of pool activity, as it appears under `pool` in metrics.jsonl. */
export interface PoolStepMetrics {
  workers: number;
  tasks: number;
  calls: number;
  /** Calls that shared a forward pass with another call. */
  merged_calls: number;
  retries: number;
  faults_exit: number;
  faults_timeout: number;
  faults_garbage: number;
  faults_error: number;
  /** Calls given up on after every retry failed (the run then fails loudly). */
  failed_calls: number;
  worker_restarts: number;
  /** Weight versions between the Learner and the samples actually used (0 = on-policy). */
  staleness_max: number;
  staleness_mean: number;
  /** Time generation waited for the Learner to publish. */
  gate_wait_ms: number;
  publish_ms: number;
  /** Model compute inside the workers, and their weight installs. */
  worker_compute_ms: number;
  worker_sync_ms: number;
  /** Dispatch-to-answer time of the tasks, seen from the main thread. */
  task_ms: number;
}

export interface RunPoolOptions {
  workers: number;
  maxStaleness: number;
  /** The weight version the model holds now (non-zero on --resume). */
  version: number;
  backend: BackendRequest;
  /** JSONL file that receives every fault, retry, give-up and worker start/exit. */
  log?: string;
  onPhase?: (message: string) => void;
}

/** Chunk size for split calls in runs: GRPO's 16 tasks × 8 samples make two chunks. */
export const SPLIT_ROWS = 64;

export class RunPool {
  private last: PoolStats;

  private constructor(
    readonly policy: PoolPolicy,
    private readonly initialWorkers: number,
  ) {
    this.last = policy.stats();
  }

  static async start(lm: LanguageModel, opts: RunPoolOptions): Promise<RunPool> {
    // Workers starting during start() are expected; only later starts are replacements.
    let holder: { pool?: PoolPolicy } = {};
    const onEvent = (e: PoolEvent): void => {
      // Publishes happen every step and starts at launch: only what went wrong is news.
      if (e.type === "published") return;
      if (opts.log) appendJsonl(opts.log, { time: new Date().toISOString(), ...e });
      if (e.type === "fault")
        opts.onPhase?.(`pool: task ${e.task} failed (${e.kind}: ${e.detail}); retrying its ${e.calls.length} call(s)`);
      else if (e.type === "gave-up")
        opts.onPhase?.(`pool: call ${e.call} gave up after ${e.attempts} attempts: ${e.detail}`);
      else if (e.type === "worker-started" && holder.pool)
        opts.onPhase?.(`pool: replacement worker ${e.threadId} is up`);
    };
    opts.onPhase?.(`starting ${opts.workers} generation worker(s)`);
    const policy = await PoolPolicy.fromModel(lm.model, lm.tokenizer.spec, {
      workers: opts.workers,
      // One actor call per stage is common (GRPO's student gets the whole step in one batch), so
      // with several workers big calls are split to use them all. --workers 0 and 1 sample
      // identically; any N >= 2 sample identically to each other (PoolOptions.splitRows).
      ...(opts.workers >= 2 ? { splitRows: SPLIT_ROWS } : {}),
      maxStaleness: opts.maxStaleness,
      version: opts.version,
      backend: opts.backend,
      onEvent,
    });
    holder = { pool: policy };
    if (opts.log)
      appendJsonl(opts.log, {
        time: new Date().toISOString(),
        type: "pool-started",
        workers: opts.workers,
        version: policy.publishedVersion,
        maxStaleness: policy.maxStaleness,
      });
    return new RunPool(policy, opts.workers);
  }

  /**
   * After the Learner's update: the new weights go to the board. The runner awaits this before
   * the next step, so with maxStaleness 0 the next rollout is exactly on-policy; the version
   * itself was already raised (Policy.version), which holds any early call at the gate.
   */
  async afterUpdate(model: GPT, version: number): Promise<void> {
    await this.policy.publishFrom(model, version);
  }

  /** Pool activity since the previous call. */
  stepMetrics(): PoolStepMetrics {
    const now = this.policy.stats();
    const d = statsDelta(now, this.last);
    this.last = now;
    const st = stalenessSummary(d);
    return {
      workers: this.initialWorkers,
      tasks: d.tasks,
      calls: d.calls,
      merged_calls: d.mergedCalls,
      retries: d.retries,
      faults_exit: d.faults.exit,
      faults_timeout: d.faults.timeout,
      faults_garbage: d.faults.garbage,
      faults_error: d.faults.error,
      failed_calls: d.failedCalls,
      worker_restarts: d.workerStarts,
      staleness_max: st.max,
      staleness_mean: st.mean,
      gate_wait_ms: d.gateWaitMs,
      publish_ms: d.publishMs,
      worker_compute_ms: d.computeMs,
      worker_sync_ms: d.syncMs,
      task_ms: d.taskMs,
    };
  }

  close(): Promise<void> {
    return this.policy.close();
  }
}
