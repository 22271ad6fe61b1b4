// The oracle-label baseline on Countdown: what labels buy. The Student is shown each problem's
// label instead of sampling, and the Learner imitates it (supervised fine-tuning). RLC and R3
// never see labels; this scenario is the reference they are measured against.
//
//   problems ─▶ Student (writes the label: a demonstration) ─▶ Verifier (checks it) ─▶ Learner
//                                                            (REINFORCE with reward 1 on the label's
//                                                             tokens: exactly cross-entropy, i.e. SFT)
import { defineScenario, filter, map, verifierExperience } from "selfimprove";
import type { VerdictMessage } from "selfimprove";

export default defineScenario({
  name: "oracle-countdown",
  description: "Oracle-label baseline: supervised fine-tuning on the generator's own right answers",
  task: "countdown",
  model: "models/countdown-base",
  actors: ["student", "verifier", "learner"],
  // The same learning rate and problem budget as GRPO (30 steps × 16 problems); no KL.
  algorithm: { name: "reinforce", lr: 1e-4, klCoef: 0 },
  settings: { steps: 30, tasksPerStep: 16, groupSize: 1, evalN: 300, checkpointEvery: 10 },
  wire: (w) => {
    w.edge(
      w.tasks,
      w.student.in,
      map("show the label", (task) => ({ task, demonstrate: true })),
    );
    w.edge(w.student.out, w.verifier.in);
    // A label the verifier rejects would be a generator bug; it is dropped, not imitated.
    w.edge(
      w.verifier.out,
      w.learner.in,
      filter("verified labels", (v: VerdictMessage) => v.correct),
      map("imitate the label", verifierExperience),
    );
  },
});
