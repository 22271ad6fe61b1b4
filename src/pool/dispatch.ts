// The pool's dispatcher: the queue of pending calls, their packing into worker tasks, and what
// happens when a task fails.
//
// Requests: every complete()/logProb() call becomes a Pending with an id. The dispatcher keeps at
// most one task in flight per worker and packs queued calls into tasks: calls of the same kind
// (and, for sampling, the same maxTokens, so no row waits on a longer batchmate) share one
// forward pass when there are more queued calls than free workers. Each call keeps its own
// seed and options inside the merged batch (generateGroups in src/engine/sample.ts). With coalesce "exact" (the
// default) sampling calls merge only when their longest prompts have the same token count:
// then every row has the padding and cache length it would have alone, and the tokens are
// bit-identical to an unmerged call. A different padding shifts where real keys fall in the
// wasm kernels' SIMD lanes, which changes the last bits of a logit ("any" accepts that).
//
// Faults: every task runs under a timeout; a worker that throws, exits, hangs or answers
// malformed data fails the task, Piscina replaces a dead or terminated worker (from the board,
// so on current weights), and the task's calls go back to the head of the queue, up to
// maxRetries times each. A call is settled exactly once (a settled flag guards every path), and
// what happened is counted in the stats and reported through onEvent.
import type { Piscina } from "piscina";
import { resultProblem, type CompleteCall, type LogProbCall, type WorkerResult, type WorkerTask } from "./protocol.js";
import { PoolError, type FaultKind, type PoolEvent, type PoolSample, type ResolvedPoolOptions } from "./options.js";
import { healthOf, type PoolStats } from "./stats.js";

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

/** What the dispatcher needs from the PoolPolicy that owns it. */
export interface DispatchContext {
  piscina: Piscina<WorkerTask, WorkerResult>;
  /** The policy's options object itself: maxStaleness and splitRows may change while it runs. */
  opts: ResolvedPoolOptions;
  /** The policy's counters, updated in place. */
  counters: PoolStats;
  /** Token ids at or above this in an answer make it malformed. */
  vocabSize: number;
  /** True when the published weights are within maxStaleness of the current version. */
  gateOpen(): boolean;
  /** The version the runner says is current: a delivered sample's staleness is measured from it. */
  currentVersion(): number;
  emit(e: PoolEvent): void;
}

export class Dispatcher {
  private readonly queue: Pending[] = [];
  private readonly admission: Array<() => void> = [];
  private inflight = 0;
  private readonly inflightTasks = new Set<Promise<void>>();
  private nextCall = 1;
  private nextTask = 1;
  private closed = false;
  private pumpScheduled = false;
  private gateSince: number | undefined;
  /** Task id → arms its hang timer; called when the worker says it has started the task. */
  private readonly onStarted = new Map<number, () => void>();

  constructor(private readonly ctx: DispatchContext) {}

  /** True once close() has begun: no new calls are taken. */
  get isClosed(): boolean {
    return this.closed;
  }

  /** Calls waiting for a worker, tasks in flight, and tasks awaiting their start: all 0 when idle. */
  get backlog(): { queued: number; inflight: number; timers: number } {
    return { queued: this.queue.length, inflight: this.inflight, timers: this.onStarted.size };
  }

  /** A fresh task id (pings sent outside the queue take them too, so ids never repeat). */
  newTaskId(): number {
    return this.nextTask++;
  }

  /** A worker said it picked up task `task`: its hang timeout starts now. */
  taskStarted(task: number): void {
    this.onStarted.get(task)?.();
  }

  /** Rejects every queued call and lets waiting producers go; with `drain`, waits for the tasks in flight. */
  async close(drain: boolean): Promise<void> {
    this.closed = true;
    for (const p of this.queue.splice(0))
      this.settle(p, undefined, new PoolError(`pool closed before call ${p.id} ran`));
    for (const a of this.admission.splice(0)) a();
    if (drain) await Promise.allSettled([...this.inflightTasks]);
  }

  async enqueue<T extends PoolSample[] | number[]>(
    kind: CallKind,
    rows: number,
    promptLength: number,
    payload: (id: number) => Pick<Pending, "complete" | "logProb">,
  ): Promise<T> {
    if (this.closed) throw new PoolError("pool is closed");
    // Back-pressure: a full queue makes the caller wait here, so producers slow to the pool's pace.
    while (this.queue.length >= this.ctx.opts.maxQueuedCalls && !this.closed)
      await new Promise<void>((r) => this.admission.push(r));
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
      this.ctx.counters.calls += 1;
      this.schedulePump();
    });
  }

  schedulePump(): void {
    if (this.pumpScheduled) return;
    this.pumpScheduled = true;
    // A microtask lets calls made in the same turn (several actors at once) be merged.
    queueMicrotask(() => {
      this.pumpScheduled = false;
      this.pump();
    });
  }

  private pump(): void {
    if (this.closed) return;
    const { opts, counters } = this.ctx;
    if (this.queue.length > 0 && !this.ctx.gateOpen()) {
      this.gateSince ??= performance.now();
      return;
    }
    if (this.gateSince !== undefined) {
      counters.gateWaitMs += performance.now() - this.gateSince;
      this.gateSince = undefined;
    }
    while (this.inflight < opts.workers && this.queue.length > 0) {
      const free = opts.workers - this.inflight;
      const head = this.queue.shift() as Pending;
      const calls = [head];
      let rows = head.rows;
      if (opts.coalesce !== "off") {
        // Merge only when there are more queued calls than free workers: otherwise spreading
        // the calls over idle workers finishes sooner than one bigger batch.
        for (let i = 0; i < this.queue.length && this.queue.length > free - 1;) {
          const c = this.queue[i] as Pending;
          if (c.kind === head.kind && rows + c.rows <= opts.maxTaskRows && this.mergeable(head, c)) {
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
    return this.ctx.opts.coalesce === "any" || a.promptLength === b.promptLength;
  }

  private async runTask(calls: Pending[]): Promise<void> {
    const { opts, counters } = this.ctx;
    const taskId = this.newTaskId();
    const kind = (calls[0] as Pending).kind;
    const attempt = Math.max(...calls.map((c) => c.attempts)) + 1;
    for (const c of calls) c.attempts += 1;
    const fault = opts.faults?.({ task: taskId, kind, calls: calls.map((c) => c.id), attempt });
    const task: WorkerTask =
      kind === "complete"
        ? { kind, task: taskId, calls: calls.map((c) => c.complete as CompleteCall), ...(fault ? { fault } : {}) }
        : { kind, task: taskId, calls: calls.map((c) => c.logProb as LogProbCall), ...(fault ? { fault } : {}) };
    counters.tasks += 1;
    if (calls.length > 1) counters.mergedCalls += calls.length;
    counters.rows += calls.reduce((n, c) => n + c.rows, 0);
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
    let timer = abortAfter(opts.startTimeoutMs, `no worker picked it up within ${opts.startTimeoutMs} ms`);
    this.onStarted.set(taskId, () => {
      clearTimeout(timer);
      timer = abortAfter(opts.taskTimeoutMs, `no answer ${opts.taskTimeoutMs} ms after the worker started it`);
    });
    const t0 = performance.now();
    try {
      let result: WorkerResult;
      try {
        result = await this.ctx.piscina.run(task, { signal: controller.signal });
      } catch (err) {
        const msg = err instanceof Error ? err.message : String(err);
        const faultKind: FaultKind = controller.signal.aborted
          ? "timeout"
          : /worker exited/i.test(msg)
            ? "exit"
            : "error";
        this.fail(calls, taskId, faultKind, controller.signal.aborted ? timeout : msg);
        return;
      }
      const problem = resultProblem(task, result, this.ctx.vocabSize);
      if (problem !== undefined) {
        this.fail(calls, taskId, "garbage", `malformed result: ${problem}`);
        return;
      }
      counters.taskMs += performance.now() - t0;
      counters.computeMs += result.computeMs;
      counters.syncMs += result.syncMs;
      counters.health[result.threadId] = healthOf(result);
      this.deliver(calls, result);
    } finally {
      clearTimeout(timer);
      this.onStarted.delete(taskId);
    }
  }

  private deliver(calls: Pending[], result: WorkerResult): void {
    if (result.kind === "ping") return;
    const { counters } = this.ctx;
    const byId = new Map<number, Pending>(calls.map((c) => [c.id, c]));
    for (const r of result.results) {
      const call = byId.get(r.id) as Pending;
      if ("error" in r) {
        // The input itself is bad (too long for the context): every worker would say the same.
        counters.failedCalls += 1;
        this.settle(call, undefined, new PoolError(`pool: call ${call.id}: ${r.error}`));
      } else if ("samples" in r) {
        const key = String(this.ctx.currentVersion() - result.weightVersion);
        counters.staleness[key] = (counters.staleness[key] ?? 0) + r.samples.length;
        this.settle(
          call,
          r.samples.map((s) => ({ ...s, weightVersion: result.weightVersion })),
        );
      } else this.settle(call, r.logProbs);
    }
  }

  private fail(calls: Pending[], taskId: number, kind: FaultKind, detail: string): void {
    const { opts, counters } = this.ctx;
    counters.faults[kind] += 1;
    const attempt = Math.max(...calls.map((c) => c.attempts));
    this.ctx.emit({ type: "fault", kind, task: taskId, calls: calls.map((c) => c.id), attempt, detail });
    const retry: Pending[] = [];
    for (const c of calls) {
      if (c.settled) continue;
      c.failures.push(`${kind}: ${detail}`);
      if (c.attempts > opts.maxRetries || this.closed) {
        counters.failedCalls += 1;
        this.ctx.emit({ type: "gave-up", call: c.id, attempts: c.attempts, detail });
        this.settle(
          c,
          undefined,
          new PoolError(`pool: call ${c.id} failed after ${c.attempts} attempt(s): ${c.failures.join("; ")}`),
        );
      } else {
        counters.retries += 1;
        this.ctx.emit({ type: "retry", call: c.id, attempt: c.attempts + 1 });
        retry.push(c);
      }
    }
    // Retries go first, in their original order: they were the oldest work.
    this.queue.unshift(...retry);
  }

  private settle(call: Pending, value: PoolSample[] | number[] | undefined, error?: Error): void {
    if (call.settled) {
      this.ctx.counters.duplicatesDropped += 1;
      return;
    }
    call.settled = true;
    if (error) call.reject(error);
    else call.resolve(value as PoolSample[] | number[]);
  }
}
