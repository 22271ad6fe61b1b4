// The run: the root of a run's actor system. It spawns the role actors a scenario uses (each
// under its systemId) and tracks the loop's phase: ready → running (rollout → learning, once per
// step) → finished. Pausing is a request honoured at the next step boundary (a step is never
// cut in half); while paused, STEP runs exactly one more step, RESUME continues.
import { assign, enqueueActions, setup } from "xstate";
import { studentMachine } from "./student.js";
import { teacherMachine } from "./teacher.js";
import { reflectorMachine } from "./reflector.js";
import { verifierMachine } from "./verifier.js";
import { learnerMachine, type LearnerInput } from "./learner.js";
import type { StageInput } from "./stage.js";

/** A built-in role: one of {@link ROLE_NAMES}. */
export type RoleName = "student" | "teacher" | "reflector" | "verifier" | "learner";

export interface RunInput {
  roles: RoleName[];
  stage: StageInput;
  learner: LearnerInput;
  /** Steps to run in total, and the step to start from (a resumed run). */
  totalSteps: number;
  step: number;
}

export interface RunContext extends RunInput {
  /** A pause was asked for during a step; it takes effect when the step ends. */
  pauseRequested: boolean;
}

export type RunEvent =
  | { type: "START" }
  | { type: "ROLLOUT_DONE" }
  | { type: "STEP_DONE" }
  | { type: "PAUSE" }
  | { type: "RESUME" }
  | { type: "STEP" };

export const runMachine = setup({
  types: { context: {} as RunContext, input: {} as RunInput, events: {} as RunEvent },
  actors: {
    student: studentMachine,
    teacher: teacherMachine,
    reflector: reflectorMachine,
    verifier: verifierMachine,
    learner: learnerMachine,
  },
  guards: {
    lastStep: ({ context }) => context.step + 1 >= context.totalSteps,
    pauseRequested: ({ context }) => context.pauseRequested,
  },
  actions: {
    spawnRoles: enqueueActions(({ context, enqueue }) => {
      // One explicit line per role keeps each child's input type checked.
      if (context.roles.includes("student"))
        enqueue.spawnChild("student", { id: "student", systemId: "student", input: context.stage });
      if (context.roles.includes("teacher"))
        enqueue.spawnChild("teacher", { id: "teacher", systemId: "teacher", input: context.stage });
      if (context.roles.includes("reflector"))
        enqueue.spawnChild("reflector", { id: "reflector", systemId: "reflector", input: context.stage });
      if (context.roles.includes("verifier"))
        enqueue.spawnChild("verifier", { id: "verifier", systemId: "verifier", input: context.stage });
      if (context.roles.includes("learner"))
        enqueue.spawnChild("learner", { id: "learner", systemId: "learner", input: context.learner });
    }),
    nextStep: assign({ step: ({ context }) => context.step + 1 }),
    requestPause: assign({ pauseRequested: true }),
    clearPause: assign({ pauseRequested: false }),
  },
}).createMachine({
  id: "run",
  context: ({ input }) => ({ ...input, pauseRequested: false }),
  entry: "spawnRoles",
  initial: "ready",
  states: {
    ready: { on: { START: "running", PAUSE: "paused" } },
    running: {
      initial: "rollout",
      on: { PAUSE: { actions: "requestPause" }, RESUME: { actions: "clearPause" } },
      states: {
        rollout: { on: { ROLLOUT_DONE: "learning" } },
        learning: {
          on: {
            STEP_DONE: [
              { guard: "lastStep", target: "#run.finished", actions: "nextStep" },
              { guard: "pauseRequested", target: "#run.paused", actions: ["nextStep", "clearPause"] },
              { target: "rollout", actions: "nextStep" },
            ],
          },
        },
      },
    },
    paused: {
      on: { RESUME: "running", STEP: "stepping" },
    },
    stepping: {
      initial: "rollout",
      on: { RESUME: { target: "running", actions: "clearPause" } },
      states: {
        rollout: { on: { ROLLOUT_DONE: "learning" } },
        learning: {
          on: {
            STEP_DONE: [
              { guard: "lastStep", target: "#run.finished", actions: "nextStep" },
              { target: "#run.paused", actions: "nextStep" },
            ],
          },
        },
      },
    },
    finished: { type: "final" },
  },
});
