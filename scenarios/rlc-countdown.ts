// RLC — Reinforcement Learning Contemplation (Pang et al., ICLR 2024) on Countdown.
//
//   problems ─▶ Student (×G) ─▶ Teacher (self-evaluation: "Is the answer to this question
//                          │              correct?") ─▶ Learner (reward = P(yes); no labels)
//                          └─▶ Verifier (reports accuracy only; never reaches the Learner)
import { defineScenario, fanOut, map, rlcExperience } from "selfimprove";

export default defineScenario({
  name: "rlc-countdown",
  description: "RLC: the model judges its own answers with the correctness prompt; that judgment is the reward",
  task: "countdown",
  model: "models/countdown-base",
  actors: ["student", "teacher", "verifier", "learner"],
  // A strong KL to the initial model (RLC's official code starts its adaptive KL at 0.1): with
  // 0.001 the policy learns to fool the frozen judge within 30 steps and accuracy falls.
  algorithm: { name: "grpo", lr: 3e-5, klCoef: 0.1 },
  settings: {
    steps: 40,
    tasksPerStep: 16,
    groupSize: 8,
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
