// How many generation workers a run may start. Each worker holds a model replica and wants a
// core; more workers than cores only adds copies of the model and contention (99 workers on 2
// cores never finished a step), so the count is capped at the cores available unless forced.

export interface WorkerCount {
  workers: number;
  /** Set when the request was capped (or forced past the cap): say so to the user. */
  warning?: string;
}

/**
 * `requested` workers on a machine with `cores` cores. `source` names where the number came
 * from ("--workers", "settings.workers") for the warning.
 */
export function capWorkers(requested: number, opts: { cores: number; force: boolean; source: string }): WorkerCount {
  const cores = Math.max(1, Math.floor(opts.cores));
  if (requested <= cores) return { workers: requested };
  if (opts.force)
    return {
      workers: requested,
      warning: `${opts.source} ${requested} is more than the ${cores} core(s) available; running ${requested} anyway (--force)`,
    };
  return {
    workers: cores,
    warning: `${opts.source} ${requested} is more than the ${cores} core(s) available: using ${cores} (add --force to run ${requested})`,
  };
}
