// GRPO on this project's own task, with a reward of its own: the Verifier says right or wrong,
// and the project's reward shaper (an actor of the scenario's own) turns that into
// shapedReward (src/reward.ts) before the Learner sees it.
//
//   problems ─▶ Student (×G) ─▶ Verifier ─▶ shaper ─▶ Learner
//
// No `model`: the task's base model (the shipped Countdown model). Run it with
// `npx selfimprove run ./scenario.ts --steps 2`.
import { defineActor, defineScenario, fanOut, map, verifierExperience } from "selfimprove";
import type { ExperienceMessage, VerdictMessage } from "selfimprove";
import smallCountdown from "./src/task.js";
import { shapedReward } from "./src/reward.js";

const shaper = defineActor<VerdictMessage, ExperienceMessage>({
  name: "shaper",
  machine: { workState: "shaping" },
  work: (v) => ({ ...verifierExperience(v), reward: shapedReward(v.correct, v.completion.text) }),
});

export default defineScenario({
  name: "small-countdown-grpo",
  description: "GRPO on small Countdown puzzles, rewarding short right answers more",
  task: smallCountdown,
  actors: ["student", "verifier", shaper, "learner"],
  algorithm: { name: "grpo", lr: 1e-4, klCoef: 0.001 },
  settings: { steps: 20, tasksPerStep: 8, groupSize: 4, evalN: 100 },
  wire: (w) => {
    const s = w.actor(shaper);
    w.edge(
      w.tasks,
      w.student.in,
      fanOut("samples", w.settings.groupSize),
      map("attempt", (task) => ({ task })),
    );
    w.edge(w.student.out, w.verifier.in);
    w.edge(w.verifier.out, s.in);
    w.edge(s.out, w.learner.in);
  },
});
