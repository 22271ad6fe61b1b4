// The run: the root of a run's actor system. It spawns the role actors a scenario uses (each
// under its systemId) and tracks the loop's phase: ready → running (rollout → learning, once per
// step) → finished, with pause and single-step for debugging from an inspector.
import { assign, enqueueActions, setup } from "xstate";
import { studentMachine } from "./student.js";
import { teacherMachine } from "./teacher.js";
import { reflectorMachine } from "./reflector.js";
import { verifierMachine } from "./verifier.js";
import { learnerMachine, type LearnerInput } from "./learner.js";
import type { StageInput } from "./stage.js";

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
  /** Steps still allowed while paused (single-stepping). */
  stepsGranted: number;
}

export type RunEvent =
  | { type: "START" }
  | { type: "ROLLOUT_DONE" }
  | { type: "STEP_DONE" }
  | { type: "PAUSE" }
  | { type: "RESUME" }
  | { type: "STEP" }
  | { type: "ABORT" };

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
    mayStep: ({ context }) => context.stepsGranted > 0,
  },
  actions: {
    spawnRoles: enqueueActions(({ context, enqueue }) => {
      // One explicit line per role keeps each child's input type checked.
      if (context.roles.includes("student")) enqueue.spawnChild("student", { id: "student", systemId: "student", input: context.stage });
      if (context.roles.includes("teacher")) enqueue.spawnChild("teacher", { id: "teacher", systemId: "teacher", input: context.stage });
      if (context.roles.includes("reflector")) enqueue.spawnChild("reflector", { id: "reflector", systemId: "reflector", input: context.stage });
      if (context.roles.includes("verifier")) enqueue.spawnChild("verifier", { id: "verifier", systemId: "verifier", input: context.stage });
      if (context.roles.includes("learner")) enqueue.spawnChild("learner", { id: "learner", systemId: "learner", input: context.learner });
    }),
    nextStep: assign({ step: ({ context }) => context.step + 1 }),
    grantStep: assign({ stepsGranted: ({ context }) => context.stepsGranted + 1 }),
    useGrant: assign({ stepsGranted: ({ context }) => Math.max(0, context.stepsGranted - 1) }),
  },
}).createMachine({
  id: "run",
  context: ({ input }) => ({ ...input, stepsGranted: 0 }),
  entry: "spawnRoles",
  initial: "ready",
  on: { ABORT: ".finished" },
  states: {
    ready: { on: { START: "running" } },
    running: {
      initial: "rollout",
      on: { PAUSE: "paused" },
      states: {
        rollout: { on: { ROLLOUT_DONE: "learning" } },
        learning: {
          on: {
            STEP_DONE: [
              { guard: "lastStep", target: "#run.finished", actions: "nextStep" },
              { target: "rollout", actions: "nextStep" },
            ],
          },
        },
      },
    },
    paused: {
      // The step in flight finishes; a new one starts only when granted (STEP) or resumed.
      on: {
        RESUME: "running",
        STEP: { target: "stepping", actions: "grantStep" },
        ROLLOUT_DONE: {},
        STEP_DONE: [{ guard: "lastStep", target: "finished", actions: "nextStep" }, { actions: "nextStep" }],
      },
    },
    stepping: {
      entry: "useGrant",
      initial: "rollout",
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
      on: { RESUME: "running", PAUSE: "paused" },
    },
    finished: { type: "final" },
  },
});
