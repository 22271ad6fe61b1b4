// RL with a verifiable reward (the GRPO baseline) on Countdown.
//
//   problems ─▶ Student (×G) ─▶ Verifier ─▶ Learner (reward = 1 if right)
import { defineScenario, fanOut, map, verifierExperience } from "selfimprove";

export default defineScenario({
  name: "grpo-countdown",
  description: "GRPO with the verifier's binary reward: the RL-with-verifiable-reward baseline",
  task: "countdown",
  model: "models/countdown-base",
  actors: ["student", "verifier", "learner"],
  algorithm: { name: "grpo", lr: 1e-4, klCoef: 0.001 },
  settings: { steps: 30, tasksPerStep: 16, groupSize: 8, evalN: 300, checkpointEvery: 10 },
  wire: (w) => {
    w.edge(
      w.tasks,
      w.student.in,
      fanOut("samples", w.settings.groupSize),
      map("attempt", (task) => ({ task })),
    );
    w.edge(w.student.out, w.verifier.in);
    w.edge(w.verifier.out, w.learner.in, map("verifier reward", verifierExperience));
  },
});
