// RLC with PPO, as the paper trained it (Pang et al., ICLR 2024; trlx): the same topology as
// rlc-countdown, but the Learner is PPO with a value head and GAE instead of GRPO.
//
//   problems ─▶ Student (×G) ─▶ Teacher (self-evaluation: "Is the answer to this question
//                          │              correct?") ─▶ Learner (reward = P(yes); PPO + critic)
//                          └─▶ Verifier (reports accuracy only; never reaches the Learner)
//
// Official settings kept: 4 PPO epochs, adaptive KL (init 0.1, target 6, horizon 10000),
// γ 0.99, λ 0.95, clip 0.2, value clip 0.2, vf_coef 1.0, reward clip 10, temperature 1, only
// the top 2 blocks unfrozen (plus the new value head). The policy starts from the base
// checkpoint with a zero value head; the frozen judge and KL reference are the base model.
// Embeddings, final LayerNorm and LM head stay frozen, as trainLayers means for every algorithm
// here (trlx's causal-LM path would also train its untied LM head).
// Not the official values: AdamW without the cosine schedule, and minibatches of 32 sequences of
// the 128 a step collects (trlx: 12 of 512 rollouts). lr 1e-4 as the paper: on the shipped base
// model it trains stably (approxKl ≈ 0.004, clipFrac ≈ 3%) and lifts held-out first-try accuracy
// in 30 steps on seeds 0, 1, 2 (6.3→10.7%, 6.0→10.0%, 3.7→7.7%; 300 puzzles each).
import { defineScenario, fanOut, map, rlcExperience } from "selfimprove";

export default defineScenario({
  name: "rlc-ppo-countdown",
  description: "RLC with PPO (value head, GAE, adaptive KL): the model's own P(yes) on its answers is the reward",
  task: "countdown",
  model: "models/countdown-base",
  actors: ["student", "teacher", "verifier", "learner"],
  algorithm: {
    name: "ppo",
    lr: 1e-4,
    epochs: 4,
    clipLow: 0.2,
    klCoef: 0.1,
    klTarget: 6,
    klHorizon: 10000,
    gamma: 0.99,
    lambda: 0.95,
    vfCoef: 1.0,
    valueClip: 0.2,
    rewardClip: 10,
    trainLayers: 2,
    minibatchSize: 32,
  },
  settings: {
    steps: 40,
    tasksPerStep: 16,
    groupSize: 8,
    temperature: 1,
    judge: "frozen",
    selfEvalReward: "p-yes",
    evalN: 300,
    checkpointEvery: 10,
  },
  wire: (w) => {
    w.edge(
      w.tasks,
      w.student.in,
      fanOut("samples", w.settings.groupSize),
      map("attempt", (task) => ({ task })),
    );
    w.edge(w.student.out, w.teacher.in);
    w.edge(w.student.out, w.verifier.in);
    w.edge(w.teacher.out, w.learner.in, map("self-evaluation reward", rlcExperience));
  },
});
