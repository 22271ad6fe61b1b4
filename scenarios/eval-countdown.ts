// Evaluation only: problems ─▶ Student ─▶ Verifier. No learning (steps of rollouts are
// reported; the Learner receives nothing and skips every update).
import { defineScenario, map } from "selfimprove";

export default defineScenario({
  name: "eval-countdown",
  description: "Evaluate the model: attempts checked by the verifier, nothing is trained",
  task: "countdown",
  model: "models/countdown-base",
  actors: ["student", "verifier", "learner"],
  algorithm: { name: "grpo", lr: 1e-4, klCoef: 0 },
  settings: { steps: 1, tasksPerStep: 200, groupSize: 1, evalN: 300, checkpointEvery: 0 },
  wire: (w) => {
    w.edge(
      w.tasks,
      w.student.in,
      map("attempt", (task) => ({ task })),
    );
    w.edge(w.student.out, w.verifier.in);
  },
});
