// Message rates on the topology's edges: counts are sampled at each tick and the rate is the
// growth over a sliding window, so a burst shows up quickly and an idle edge decays to zero.
export class RateMeter {
  private readonly samples: Array<{ t: number; count: number }> = [];

  constructor(readonly windowMs = 5000) {}

  /** Records the count at time `t` (ms) and returns messages per second over the window. */
  sample(t: number, count: number): number {
    this.samples.push({ t, count });
    // Keep one sample at or before the window's start, so the window is always fully covered.
    while (this.samples.length > 2 && (this.samples[1] as { t: number }).t <= t - this.windowMs) this.samples.shift();
    const first = this.samples[0] as { t: number; count: number };
    const dt = (t - first.t) / 1000;
    return dt > 0 ? Math.max(0, count - first.count) / dt : 0;
  }
}
