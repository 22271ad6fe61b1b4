// PPO needs a critic, but the shipped base checkpoints were pretrained without one. These helpers
// give a base checkpoint a value head ("value", [D, 1]) so PPO can start from it; a checkpoint
// that already has one (a resumed PPO run) passes through unchanged, so resume is exact.
//
// The new head starts at zeros, as initialParameters does for it: V ≡ 0 at step 0 means the first
// GAE returns are the plain discounted rewards, the policy's logits are untouched, and no seed is
// involved. Its gradient (hᵀ·∂L/∂V) is nonzero, so it learns from the first update.
import type { Checkpoint } from "./checkpoint.js";
import type { OptimizerState } from "./optim.js";
import { parameterShapes } from "./gpt.js";
import { LanguageModel } from "./language-model.js";

export const VALUE_PARAM = "value";

function valueSize(ckpt: Checkpoint): number {
  const shape = parameterShapes({ ...ckpt.config, valueHead: true }).find(([n]) => n === VALUE_PARAM)?.[1];
  if (!shape) throw new Error("value head: the parameter layout has no value head");
  return shape.reduce((a, b) => a * b, 1);
}

/**
 * The checkpoint with `valueHead: true`. A missing "value" tensor is added as zeros, and so are
 * its AdamW moments when the checkpoint carries optimizer state (AdamW.load needs every
 * parameter's). A present one is checked and kept. The input is not modified.
 */
export function withValueHead(ckpt: Checkpoint): Checkpoint {
  const size = valueSize(ckpt);
  const existing = ckpt.weights.get(VALUE_PARAM);
  if (ckpt.config.valueHead) {
    if (!existing || existing.length !== size)
      throw new Error(
        `value head: the config has one but tensor "${VALUE_PARAM}" is ${existing ? `of ${existing.length} values, expected ${size}` : "missing"}`,
      );
    return ckpt;
  }
  // A value tensor without the config flag would be silently replaced: refuse instead.
  if (existing) throw new Error(`value head: tensor "${VALUE_PARAM}" present but the config says valueHead: false`);
  const weights = new Map(ckpt.weights);
  weights.set(VALUE_PARAM, new Float32Array(size));
  const out: Checkpoint = { ...ckpt, config: { ...ckpt.config, valueHead: true }, weights };
  if (ckpt.optimizer) {
    const opt: OptimizerState = {
      step: ckpt.optimizer.step,
      m: new Map(ckpt.optimizer.m),
      v: new Map(ckpt.optimizer.v),
    };
    opt.m.set(VALUE_PARAM, new Float32Array(size));
    opt.v.set(VALUE_PARAM, new Float32Array(size));
    out.optimizer = opt;
  }
  return out;
}

/** A LanguageModel with a value head, from any checkpoint (see withValueHead). */
export function languageModelWithValueHead(ckpt: Checkpoint): LanguageModel {
  return LanguageModel.fromCheckpoint(withValueHead(ckpt));
}
