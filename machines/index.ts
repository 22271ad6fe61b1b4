// Every role's machine, by name (the CLI's `viz` and the tests iterate over this).
import { studentMachine } from "./student.js";
import { teacherMachine } from "./teacher.js";
import { reflectorMachine } from "./reflector.js";
import { verifierMachine } from "./verifier.js";
import { learnerMachine } from "./learner.js";
import { runMachine } from "./run.js";

export { studentMachine, teacherMachine, reflectorMachine, verifierMachine, learnerMachine, runMachine };
export type { RoleName, RunInput, RunContext, RunEvent } from "./run.js";
export type { StudentRequest } from "./student.js";
export type { StageInput, StageContext, StageEvent, StageEmitted, WorkInput } from "./stage.js";
export type { LearnerInput, LearnerContext, LearnerEvent, LearnerEmitted, UpdateStats } from "./learner.js";

export const MACHINES = {
  student: studentMachine,
  teacher: teacherMachine,
  reflector: reflectorMachine,
  verifier: verifierMachine,
  learner: learnerMachine,
  run: runMachine,
} as const;

export type MachineName = keyof typeof MACHINES;
