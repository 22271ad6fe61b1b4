// The adaptive KL coefficient of Ziegler et al. 2019, as trlx implements it and RLC uses it
// (init 0.1, target 6, horizon 10000): β moves proportionally toward keeping the observed KL near
// the target, the error clipped to ±20% so one noisy batch cannot swing it.
//   e = clip(KL / target − 1, −0.2, 0.2),   β ← β·(1 + e·n_steps / horizon)

/** The KL coefficient β, and how it follows the measured KL from batch to batch. */
export interface KlController {
  readonly value: number;
  /** currentKl: the batch's mean per-sequence KL; nSteps: rollouts in the batch. */
  update(currentKl: number, nSteps: number): void;
}

/** An adaptive KL controller's starting β, target KL and horizon (Ziegler et al.). */
export interface AdaptiveKlSettings {
  init: number;
  target: number;
  horizon: number;
}

/** The adaptive KL settings of RLC's configuration (trlx). */
export const RLC_ADAPTIVE_KL: AdaptiveKlSettings = { init: 0.1, target: 6, horizon: 10000 };

/** Adapts β towards a target KL (Ziegler et al.; trlx's AdaptiveKLController). */
export class AdaptiveKlController implements KlController {
  private coef: number;
  readonly settings: AdaptiveKlSettings;

  constructor(settings: Partial<AdaptiveKlSettings> = {}, value?: number) {
    const merged = { ...RLC_ADAPTIVE_KL, ...settings };
    this.settings = { init: merged.init, target: merged.target, horizon: merged.horizon };
    const { init, target, horizon } = this.settings;
    if (!(init >= 0) || !(target > 0) || !(horizon > 0))
      throw new Error(`adaptive KL: need init ≥ 0, target > 0, horizon > 0 (got ${init}, ${target}, ${horizon})`);
    if (value !== undefined && !(value >= 0 && Number.isFinite(value)))
      throw new Error(`adaptive KL: resumed value must be finite and ≥ 0, got ${value}`);
    this.coef = value ?? init;
  }

  get value(): number {
    return this.coef;
  }

  update(currentKl: number, nSteps: number): void {
    // A NaN here would silently make every later reward NaN; fail where the cause is visible.
    if (!Number.isFinite(currentKl)) throw new Error(`adaptive KL: observed KL is ${currentKl}`);
    if (!(nSteps >= 0)) throw new Error(`adaptive KL: nSteps must be ≥ 0, got ${nSteps}`);
    const error = Math.min(0.2, Math.max(-0.2, currentKl / this.settings.target - 1));
    this.coef *= 1 + (error * nSteps) / this.settings.horizon;
  }

  /** What a checkpoint stores to resume with the same β. */
  state(): AdaptiveKlSettings & { value: number } {
    return { ...this.settings, value: this.coef };
  }

  /** A controller restored from its settings and current β (a resumed run). */
  static fromState(s: AdaptiveKlSettings & { value: number }): AdaptiveKlController {
    return new AdaptiveKlController({ init: s.init, target: s.target, horizon: s.horizon }, s.value);
  }
}

/** A constant β. */
export class FixedKlController implements KlController {
  constructor(readonly value: number) {}

  update(): void {}
}
