// The pool's counters: what stats() returns, the per-step difference of two snapshots the
// runner logs, and the staleness summary of one.
import type { WorkerHealth } from "./protocol.js";
import type { FaultKind } from "./options.js";

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

/** The health fields of a worker's answer (which carries more than them). */
export function healthOf(r: WorkerHealth): WorkerHealth {
  return {
    threadId: r.threadId,
    weightVersion: r.weightVersion,
    numTensors: r.numTensors,
    heapUsed: r.heapUsed,
    computeMs: r.computeMs,
    syncMs: r.syncMs,
  };
}

export function emptyStats(workers: number): PoolStats {
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
