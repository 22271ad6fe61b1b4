"""Reference values for selfimprove's RL advantages and losses, from TRL's and verl's formulas.

Writes test/fixtures/rl/reference.json; test/rl.reference.test.ts checks src/rewards and src/rl
against it. CI only reads the JSON: this script is needed only to change or add a case.

Regenerate (CPU torch is enough; the output is deterministic):

    python3 -m venv /tmp/rlvenv && /tmp/rlvenv/bin/pip install torch numpy
    /tmp/rlvenv/bin/python scripts/rl_reference.py            # rewrites the fixture
    /tmp/rlvenv/bin/python scripts/rl_reference.py --check    # exits 1 if the fixture differs

TRL and verl are not imported (TRL's GRPO loss lives inside GRPOTrainer._compute_loss, and verl
is not installable here); each formula below is re-implemented in float64 torch from the source
function named beside it, read at:

    TRL  trl/trainer/grpo_trainer.py     huggingface/trl  f2cd57710ae345ea6428ae95363267fcf38a3dc8
    verl verl/trainer/ppo/core_algos.py  volcengine/verl  b178a3cd56f58b2d502255daba591e92833930a7
         verl/utils/torch_functional.py  (masked_mean, masked_var, masked_whiten)

Inputs are drawn from a seeded generator and rounded to float32, so the TypeScript side (float32
tensors) sees exactly the inputs the references were computed from.

Known differences from TRL/verl, deliberate and pinned by the test as such rather than hidden:
  * whitening of PPO advantages: ours divides by the population std, verl's masked_whiten (and
    trlx) by the Bessel-corrected one; the fixture carries both, the test checks the ratio.
  * the "constant" aggregation divides by B x max_completion_length (TRL's dr_grpo); verl's
    "seq-mean-token-sum-norm" divides by max_completion_length alone (no B).
  * KL estimates clamp d = ref_logp - logp to +-20 (verl's low_var_kl clamp); verl additionally
    clamps k3 to +-10, TRL clamps nothing. The clamp cases here follow the +-20 clamp only.
  * a group of one sample: verl keeps its raw score as the advantage; ours gives 0 (no baseline).
    Only groups of two or more are cases here.
  * "sequence" aggregation leaves rows with no trained token out of the mean (as verl's
    seq-mean-token-mean); TRL's "grpo" counts them as 0. Every case row has a trained token.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np
import torch

torch.set_default_dtype(torch.float64)
FIXTURE = Path(__file__).resolve().parent.parent / "test" / "fixtures" / "rl" / "reference.json"
LOG_RATIO_LIMIT = 20.0


def f32(x: np.ndarray) -> np.ndarray:
    """Rounds to float32 values (kept as float64) so both sides start from identical inputs."""
    return np.asarray(x, dtype=np.float32).astype(np.float64)


def tolist(t: torch.Tensor | np.ndarray) -> list:
    return (t.detach().numpy() if isinstance(t, torch.Tensor) else t).tolist()


# ---------------------------------------------------------------- advantages


def grpo_advantages(rewards: torch.Tensor, eps: float, scale: bool) -> torch.Tensor:
    """One group. TRL _generate_and_score_completions (scale_rewards "group": eps 1e-4, torch.std is
    Bessel-corrected; "none" = Dr. GRPO); verl compute_grpo_outcome_advantage (eps 1e-6,
    norm_adv_by_std_in_grpo)."""
    centred = rewards - rewards.mean()
    return centred / (rewards.std() + eps) if scale else centred


def rloo_advantages(rewards: torch.Tensor) -> torch.Tensor:
    """verl compute_rloo_outcome_advantage: r*n/(n-1) - mean*n/(n-1), i.e. r minus the mean of the others."""
    n = rewards.numel()
    return rewards * n / (n - 1) - rewards.mean() * n / (n - 1)


def advantage_cases(rng: np.random.Generator) -> list[dict]:
    groups = [
        f32(rng.integers(0, 2, 8)),  # binary verifier rewards, G = 8
        f32(rng.integers(0, 2, 4)),
        f32(rng.uniform(0, 1, 5)),  # RLC's P(yes) rewards
        f32(rng.uniform(0, 1, 2)),
        f32(np.array([0.25, 0.25, 0.25])),  # no spread: every estimator gives 0
        f32(np.array([1.0, 0.0, 0.0, 0.0, 0.0, 0.0])),
    ]
    cases = []
    for g in groups:
        r = torch.tensor(g)
        cases.append(
            {
                "rewards": tolist(r),
                "grpoTrl": tolist(grpo_advantages(r, 1e-4, True)),
                "grpoVerl": tolist(grpo_advantages(r, 1e-6, True)),
                "drGrpo": tolist(grpo_advantages(r, 0.0, False)),
                "rloo": tolist(rloo_advantages(r)),
            }
        )
    return cases


# ---------------------------------------------------------------- KL estimators


def kl_estimates(logp: torch.Tensor, ref: torch.Tensor) -> dict[str, torch.Tensor]:
    """verl kl_penalty_forward: k1 ("kl") = logp - ref, k2 ("mse") = (logp - ref)^2 / 2,
    k3 ("low_var_kl") = e^d - d - 1 with d = ref - logp clamped to +-20 (TRL's _compute_loss k3 is the
    same formula without the clamp). The +-20 clamp is applied to all three here, as ours does."""
    d = torch.clamp(ref - logp, -LOG_RATIO_LIMIT, LOG_RATIO_LIMIT)
    return {"k1": -d, "k2": 0.5 * d * d, "k3": torch.exp(d) - d - 1}


def kl_cases(rng: np.random.Generator) -> dict:
    logp = f32(rng.uniform(-6, 0, 24))
    ref = f32(logp + rng.normal(0, 1.2, 24))
    # Beyond the clamp: |d| of 25, 50 and 100 nats (a broken or very stale sample).
    big = np.array([25.0, -25.0, 50.0, -50.0, 100.0, -100.0])
    logp = np.concatenate([logp, f32(np.full(6, -120.0))])
    ref = np.concatenate([ref, f32(-120.0 + big)])
    ests = kl_estimates(torch.tensor(logp), torch.tensor(ref))
    return {"logp": tolist(logp), "refLogp": tolist(ref), **{k: tolist(v) for k, v in ests.items()}}


# ---------------------------------------------------------------- clipped objectives


def per_token_logps(logits: torch.Tensor, targets: torch.Tensor, temperature: float) -> tuple[torch.Tensor, torch.Tensor]:
    """TRL _get_per_token_logps_and_entropies: logits / temperature, then selective log-softmax;
    the entropy of the same tempered distribution."""
    logsm = torch.log_softmax(logits / temperature, dim=-1)
    logp = logsm.gather(-1, targets.unsqueeze(-1)).squeeze(-1)
    entropy = -(logsm.exp() * logsm).sum(-1)
    return logp, entropy


def aggregate(x: torch.Tensor, mask: torch.Tensor, mode: str, max_completion_length: int) -> torch.Tensor:
    """token: TRL "bnpo" / verl "token-mean"; sequence: TRL "grpo" / verl "seq-mean-token-mean";
    constant: TRL "dr_grpo", sum / (B * max_completion_length)."""
    if mode == "token":
        return (x * mask).sum() / mask.sum()
    if mode == "sequence":
        return ((x * mask).sum(-1) / mask.sum(-1)).mean()
    if mode == "constant":
        return (x * mask).sum() / (x.shape[0] * max_completion_length)
    raise ValueError(mode)


def masked_mean(x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    return (x * mask).sum() / mask.sum()


def clipped_policy(ratio: torch.Tensor, adv: torch.Tensor, eps_low: float, eps_high: float, dual_clip: float | None) -> tuple[torch.Tensor, torch.Tensor]:
    """Per-token loss and clip indicator. TRL _compute_loss: -min(r*A, clip(r, 1-el, 1+eh)*A), clipped
    where (r < 1-el and A < 0) or (r > 1+eh and A > 0). verl compute_policy_loss_vanilla adds the dual
    clip: for A < 0 the loss is capped at -A*clip_ratio_c."""
    loss = -torch.min(ratio * adv, torch.clamp(ratio, 1 - eps_low, 1 + eps_high) * adv)
    if dual_clip is not None:
        loss = torch.where(adv < 0, torch.min(loss, -adv * dual_clip), loss)
    clipped = ((ratio < 1 - eps_low) & (adv < 0)) | ((ratio > 1 + eps_high) & (adv > 0))
    return loss, clipped.double()


def objective_batch(rng: np.random.Generator, B: int, L: int, V: int, per_token_adv: bool) -> dict:
    logits = f32(rng.normal(0, 1.5, (B, L, V)))
    targets = rng.integers(0, V, (B, L))
    mask = np.zeros((B, L))
    for b in range(B):
        mask[b, : rng.integers(1, L + 1)] = 1  # a completion, then padding
    mask[0, :] = 1
    if mask[1].sum() > 2:
        mask[1, 1] = 0  # a gap, as R3's reflection-only mask has
    # GRPO: one advantage per sequence, centred like a group's (so both signs occur); PPO: per token.
    row = rng.normal(0, 1, (B, 1))
    adv = rng.normal(0, 1, (B, L)) if per_token_adv else np.repeat(row - row.mean(), L, axis=1)
    return {"logits": f32(logits), "targets": targets, "mask": f32(mask), "advantages": f32(adv)}


def behaviour(rng: np.random.Generator, logp_now: torch.Tensor, noise: float, stale: int, batch: dict) -> np.ndarray:
    """Old log-probs near the current ones (ratios straddle the clip); `stale` trained tokens with a
    negative advantage sit far below (ratio e^2.5 > 12), where the dual clip takes over."""
    old = logp_now.numpy() + rng.normal(0, noise, logp_now.shape)
    flat = old.reshape(-1)
    candidates = np.nonzero((batch["mask"].reshape(-1) > 0) & (batch["advantages"].reshape(-1) < 0))[0]
    for i in rng.choice(candidates, min(stale, candidates.size), replace=False):
        flat[i] -= 2.5
    return f32(old)


GRPO_CONFIGS = [
    # name, aggregation, clipLow, clipHigh, klCoef, klEstimator, dualClip, temperature
    ("bnpo token-mean, k3", "token", 0.2, 0.2, 0.04, "k3", None, 1.0),
    ("grpo sequence-mean, clip-higher, k3, T=0.7", "sequence", 0.2, 0.28, 0.001, "k3", None, 0.7),
    ("dr_grpo constant, k3, T=0.7", "constant", 0.2, 0.2, 0.04, "k3", None, 0.7),
    ("verl vanilla dual-clip 3, token-mean, k1", "token", 0.2, 0.28, 0.1, "k1", 3.0, 1.0),
    ("verl sequence-mean, k2", "sequence", 0.1, 0.1, 0.05, "k2", None, 1.3),
    ("verl constant, dual-clip 3, k2", "constant", 0.2, 0.2, 0.02, "k2", 3.0, 1.0),
]


def grpo_cases(rng: np.random.Generator) -> list[dict]:
    B, L, V, L_MAX = 4, 6, 7, 8
    cases = []
    for name, agg, el, eh, beta, est, dual, temp in GRPO_CONFIGS:
        batch = objective_batch(rng, B, L, V, per_token_adv=False)
        logits = torch.tensor(batch["logits"])
        targets = torch.tensor(batch["targets"])
        mask = torch.tensor(batch["mask"])
        adv = torch.tensor(batch["advantages"])
        logp, entropy = per_token_logps(logits, targets, temp)
        old = torch.tensor(behaviour(rng, logp, 0.4, 3, batch))
        ref = torch.tensor(f32(logp.numpy() + rng.normal(0, 0.5, logp.shape)))
        ratio = torch.exp(torch.clamp(logp - old, -LOG_RATIO_LIMIT, LOG_RATIO_LIMIT))
        pg, clipped = clipped_policy(ratio, adv, el, eh, dual)
        kl = kl_estimates(logp, ref)[est]
        cases.append(
            {
                "name": name,
                "config": {"aggregation": agg, "clipLow": el, "clipHigh": eh, "klCoef": beta, "klEstimator": est, "temperature": temp, "maxCompletionLength": L_MAX, **({"maxImportanceRatio": dual} if dual else {})},
                "batch": {**{k: tolist(v) for k, v in batch.items()}, "oldLogp": tolist(old), "refLogp": tolist(ref)},
                "expected": {
                    "loss": aggregate(pg + beta * kl, mask, agg, L_MAX).item(),
                    "policyLoss": aggregate(pg, mask, agg, L_MAX).item(),
                    "kl": masked_mean(kl, mask).item(),
                    "clipFrac": masked_mean(clipped, mask).item(),
                    "ratioMean": masked_mean(ratio, mask).item(),
                    "entropy": masked_mean(entropy, mask).item(),
                },
            }
        )
    return cases


PPO_CONFIGS = [
    # name, aggregation, clip, valueClip, vfCoef, dualClip, temperature
    ("verl vanilla + value loss, token-mean", "token", 0.2, 0.2, 1.0, None, 1.0),
    ("verl seq-mean-token-mean, vf 0.5, dual-clip 3", "sequence", 0.2, 0.1, 0.5, 3.0, 1.0),
    ("constant (B x L_max), T=0.7", "constant", 0.15, 0.2, 1.0, None, 0.7),
]


def ppo_cases(rng: np.random.Generator) -> list[dict]:
    B, L, V, L_MAX = 3, 6, 7, 10
    cases = []
    for name, agg, clip, vclip, vf, dual, temp in PPO_CONFIGS:
        batch = objective_batch(rng, B, L, V, per_token_adv=True)
        logits = torch.tensor(batch["logits"])
        mask = torch.tensor(batch["mask"])
        adv = torch.tensor(batch["advantages"])
        logp, entropy = per_token_logps(logits, torch.tensor(batch["targets"]), temp)
        old = torch.tensor(behaviour(rng, logp, 0.3, 2, batch))
        values = torch.tensor(f32(rng.normal(0, 1, (B, L))))
        old_values = torch.tensor(f32(values.numpy() + rng.normal(0, 0.3, (B, L))))
        returns = torch.tensor(f32(rng.normal(0, 1, (B, L))))
        ratio = torch.exp(torch.clamp(logp - old, -LOG_RATIO_LIMIT, LOG_RATIO_LIMIT))
        pg, clipped = clipped_policy(ratio, adv, clip, clip, dual)
        # verl compute_value_loss: 0.5 * max((V - R)^2, (clip(V, V_old +- c) - R)^2), aggregated like the policy loss.
        v_clipped = old_values + torch.clamp(values - old_values, -vclip, vclip)
        vl = 0.5 * torch.max((values - returns) ** 2, (v_clipped - returns) ** 2)
        policy_loss = aggregate(pg, mask, agg, L_MAX)
        value_loss = aggregate(vl, mask, agg, L_MAX)
        cases.append(
            {
                "name": name,
                "config": {"aggregation": agg, "clip": clip, "valueClip": vclip, "vfCoef": vf, "temperature": temp, "maxCompletionLength": L_MAX, **({"maxImportanceRatio": dual} if dual else {})},
                "batch": {**{k: tolist(v) for k, v in batch.items()}, "oldLogp": tolist(old), "values": tolist(values), "oldValues": tolist(old_values), "returns": tolist(returns)},
                "expected": {
                    "loss": (policy_loss + vf * value_loss).item(),
                    "policyLoss": policy_loss.item(),
                    "valueLoss": value_loss.item(),
                    "clipFrac": masked_mean(clipped, mask).item(),
                    "entropy": masked_mean(entropy, mask).item(),
                    "valueMean": masked_mean(values, mask).item(),
                },
            }
        )
    return cases


# ---------------------------------------------------------------- GAE and the PPO rollout


def gae_masked(rewards: torch.Tensor, values: torch.Tensor, mask: torch.Tensor, gamma: float, lam: float) -> torch.Tensor:
    """verl compute_gae_advantage_return before its whitening: backwards over the row, positions with
    mask 0 carry the next value and the running advantage through untouched."""
    next_values = torch.zeros(rewards.shape[0])
    last = torch.zeros(rewards.shape[0])
    out = []
    for t in reversed(range(rewards.shape[1])):
        delta = rewards[:, t] + gamma * next_values - values[:, t]
        new_last = delta + gamma * lam * last
        next_values = values[:, t] * mask[:, t] + (1 - mask[:, t]) * next_values
        last = new_last * mask[:, t] + (1 - mask[:, t]) * last
        out.append(last)
    return torch.stack(out[::-1], dim=1)


def whiten(x: torch.Tensor, mask: torch.Tensor, unbiased: bool) -> torch.Tensor:
    """verl masked_whiten (unbiased=True: Bessel, as masked_var) with its 1e-8; unbiased=False is ours."""
    mean = masked_mean(x, mask)
    var = masked_mean((x - mean) ** 2, mask)
    if unbiased:
        var = var * mask.sum() / (mask.sum() - 1)
    return (x - mean) * torch.rsqrt(var + 1e-8)


def gae_cases(rng: np.random.Generator) -> list[dict]:
    cases = []
    for gamma, lam, beta, score_clip in [(0.99, 0.95, 0.1, 10.0), (1.0, 1.0, 0.05, 0.5), (0.9, 0.0, 0.0, 10.0)]:
        B, T = 3, 7
        mask = np.zeros((B, T))
        mask[0, 2:7] = 1
        mask[1, 1:4] = 1
        mask[1, 5] = 1  # a gap: trained tokens on both sides of an untrained one
        mask[2, 3:5] = 1
        mask = f32(mask)
        logp = f32(rng.uniform(-4, -0.1, (B, T)))
        ref = f32(logp + rng.normal(0, 0.4, (B, T)))
        values = f32(rng.normal(0, 0.5, (B, T)))
        scores = f32(rng.uniform(-1, 1.5, B) * (4 if score_clip < 1 else 1))
        m, lp, rf, v = (torch.tensor(a) for a in (mask, logp, ref, values))
        # verl compute_rewards: token_level_scores - kl * beta, kl the k1 estimate (logp - ref);
        # the score sits on the last trained token, clipped to +-score_clip (trlx's cliprange_reward).
        rewards = -beta * (lp - rf) * m
        for b in range(B):
            last = int(np.nonzero(mask[b])[0][-1])
            rewards[b, last] += float(np.clip(scores[b], -score_clip, score_clip))
        adv = gae_masked(rewards, v, m, gamma, lam)
        cases.append(
            {
                "gamma": gamma,
                "lambda": lam,
                "klCoef": beta,
                "scoreClip": score_clip,
                "mask": tolist(mask),
                "logp": tolist(logp),
                "refLogp": tolist(ref),
                "values": tolist(values),
                "scores": tolist(scores),
                "expected": {
                    "rewards": tolist(rewards),
                    "advantages": tolist(adv),
                    "returns": tolist(adv + v),
                    "whitenedBessel": tolist(whiten(adv, m, True)),
                    "whitenedPopulation": tolist(whiten(adv, m, False)),
                    "seqKl": tolist(((lp - rf) * m).sum(-1)),
                },
            }
        )
    return cases


def build() -> dict:
    rng = np.random.default_rng(20260914)
    return {
        "about": "Generated by scripts/rl_reference.py from TRL's and verl's formulas; see its docstring. Do not edit by hand.",
        "advantages": advantage_cases(rng),
        "kl": kl_cases(rng),
        "grpo": grpo_cases(rng),
        "ppo": ppo_cases(rng),
        "gae": gae_cases(rng),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--check", action="store_true", help="compare with the committed fixture instead of writing it")
    args = parser.parse_args()
    text = json.dumps(build(), indent=1, allow_nan=False) + "\n"
    if args.check:
        same = FIXTURE.exists() and FIXTURE.read_text() == text
        print(f"{FIXTURE}: {'up to date' if same else 'differs (rerun without --check)'}")
        return 0 if same else 1
    FIXTURE.parent.mkdir(parents=True, exist_ok=True)
    tmp = FIXTURE.with_suffix(".json.tmp")
    tmp.write_text(text)
    tmp.replace(FIXTURE)  # atomic: a half-written fixture never replaces a good one
    print(f"wrote {FIXTURE} ({len(text)} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
