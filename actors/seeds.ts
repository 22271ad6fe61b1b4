// Sampling seeds for actors. Each call draws the next seed of the current step's sequence, so a
// run (and a resumed run) samples exactly the same tokens given the same weights.
export class StepSeeds {
  private step = 0;
  private calls = 0;

  constructor(readonly runSeed: number) {}

  startStep(step: number): void {
    this.step = step;
    this.calls = 0;
  }

  next(role: string): number {
    this.calls += 1;
    let h = (this.runSeed * 1_000_003 + this.step * 7919 + this.calls * 104_729) >>> 0;
    for (let i = 0; i < role.length; i++) h = Math.imul(h ^ role.charCodeAt(i), 0x01000193) >>> 0;
    return h;
  }
}
