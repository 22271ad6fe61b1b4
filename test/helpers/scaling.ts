// Growth of running time with input size, measured so that the machine's load cancels out:
// a unit test must not assert how fast this machine is, only how the work grows. The clock is
// this process's CPU time, not the wall clock, so other processes on busy cores do not count;
// both sizes run in alternation within the same test, each round repeats its call until it has
// used a few milliseconds of CPU (so the clock's resolution does not matter), and the cheapest
// round of each size counts.

export interface GrowthOptions {
  /** Alternating rounds per size; the fastest counts. Default 5. */
  rounds?: number;
  /** Each round repeats the call until it has used this many milliseconds of CPU. Default 10. */
  minMs?: number;
}

/** CPU milliseconds (user + system) this process has used. */
function cpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

function perCall(fn: () => unknown, minMs: number): number {
  let calls = 0;
  const start = cpuMs();
  let used = 0;
  do {
    fn();
    calls += 1;
    used = cpuMs() - start;
  } while (used < minMs);
  return used / calls;
}

/**
 * How many times longer one call of `large` takes than one of `small`. For input n versus 10n,
 * linear work gives about 10 and quadratic about 100, whatever else the machine is doing.
 */
export function timeGrowth(small: () => unknown, large: () => unknown, opts: GrowthOptions = {}): number {
  const rounds = opts.rounds ?? 5;
  const minMs = opts.minMs ?? 10;
  // One call each first, so neither side's first round pays for compiling the code.
  small();
  large();
  let bestSmall = Infinity;
  let bestLarge = Infinity;
  for (let r = 0; r < rounds; r++) {
    bestSmall = Math.min(bestSmall, perCall(small, minMs));
    bestLarge = Math.min(bestLarge, perCall(large, minMs));
  }
  return bestLarge / bestSmall;
}
