// R3 with a length penalty: a scenario with an actor of its own (defineActor) between the
// Verifier and the Learner. Everything else is r3-countdown.
//
//   failure set ─▶ Student ─▶ Verifier ─┬─ right first try: done
//                                       └─ wrong ─▶ Reflector (×G) ─▶ Student (retry) ─▶ Verifier
//                                          ─▶ length-penalty (reward × (1 − penalty share)) ─▶ Learner
//
// A successful retry's reward is cut by 0.05 per reflection token beyond the first 4, at most by
// half: of two reflections that both fix the attempt, the shorter one is preferred.
import { defineActor, defineScenario, fanOut, filter, map, r3Experience } from "selfimprove";
import type { CompletionMessage, ExperienceMessage, VerdictMessage } from "selfimprove";

/** Reflection tokens that cost nothing, the cost of each one after them, and the largest cut. */
export const FREE_TOKENS = 4;
export const PER_TOKEN = 0.05;
export const MAX_CUT = 0.5;

/** The shaped reward: in [0, 1] whenever `reward` is, and never above it. */
export function lengthPenalised(reward: number, reflectionTokens: number): number {
  const cut = Math.min(MAX_CUT, PER_TOKEN * Math.max(0, reflectionTokens - FREE_TOKENS));
  return reward * (1 - cut);
}

/** The trained (reflection) tokens of an experience. */
function trainedTokens(e: ExperienceMessage): number {
  return e.segments.filter((s) => s.train).reduce((n, s) => n + s.tokens.length, 0);
}

const lengthPenalty = defineActor<ExperienceMessage, ExperienceMessage>({
  name: "length-penalty",
  machine: { workState: "shaping" },
  work: (e, ctx) => ({ ...e, trace: ctx.trace(e.trace), reward: lengthPenalised(e.reward, trainedTokens(e)) }),
});

export default defineScenario({
  name: "r3-length-penalty-countdown",
  description:
    "R3 whose reflection reward is cut for long reflections by an actor of the scenario's own, between the Verifier and the Learner",
  task: "countdown",
  actors: ["student", "verifier", "reflector", lengthPenalty, "learner"],
  algorithm: { name: "grpo", lr: 3e-5, klCoef: 0.001, clipLow: 0.2, clipHigh: 0.28 },
  settings: {
    steps: 60,
    tasksPerStep: 12,
    groupSize: 8,
    source: "failure-set",
    failureSamples: 4,
    evalN: 300,
    checkpointEvery: 10,
  },
  wire: (w) => {
    const shaper = w.actor(lengthPenalty);
    w.edge(
      w.tasks,
      w.student.in,
      map("attempt", (task) => ({ task })),
    );
    w.edge(w.student.out, w.verifier.in);
    w.edge(
      w.verifier.out,
      w.reflector.in,
      filter("first try wrong", (v: VerdictMessage) => v.completion.role === "attempt" && !v.correct),
      fanOut("reflections", w.settings.groupSize),
    );
    w.edge(
      w.reflector.out,
      w.student.in,
      map("retry with reflection", (r: CompletionMessage) => ({
        task: { kind: "task" as const, trace: r.trace, problem: r.problem },
        attempt: r.history.attempt as CompletionMessage,
        reflection: r,
      })),
    );
    w.edge(
      w.verifier.out,
      shaper.in,
      filter("retries", (v: VerdictMessage) => v.completion.role === "retry"),
      map("reward the reflection", r3Experience),
    );
    w.edge(shaper.out, w.learner.in);
  },
});
