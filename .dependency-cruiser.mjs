// The layer check (`npm run lint:layers`, part of `npm run lint`). The layers, bottom to top:
//
//   engine (tensors, the Policy seam) < rl, rewards (task-free) < tasks < machines, actors
//     < methods < run < cli, inspect, report, bench
//
// Each rule below states one way the order can be broken; together with no-circular they keep
// every import pointing down. Type-only imports count (tsPreCompilationDeps): a type is as much
// a dependency of a layer as a value.
/** @type {import("dependency-cruiser").IConfiguration} */
export default {
  forbidden: [
    {
      name: "no-circular",
      severity: "error",
      comment: "No import cycles: modules in a cycle cannot be understood, tested or moved apart.",
      from: {},
      to: { circular: true },
    },
    {
      name: "engine-imports-no-upper-layer",
      severity: "error",
      comment:
        "The engine (tensors, models, the Policy seam) is the bottom layer: it knows nothing of losses, rewards, tasks, actors, machines, runs or the CLI.",
      from: { path: "^src/engine/" },
      to: { path: "^(src/(run|tasks|rl|rewards|methods|cli|inspect|report|bench)|actors|machines)/" },
    },
    {
      name: "actors-import-no-run",
      severity: "error",
      comment: "Actors sit below the runner: what they need (the Policy, messages, task specs) lives in lower layers.",
      from: { path: "^actors/" },
      to: { path: "^src/run/" },
    },
    {
      name: "pool-imports-no-run",
      severity: "error",
      comment:
        "The generation pool implements the Policy seam (src/engine/policy.ts); the runner uses it, not the other way round.",
      from: { path: "^src/pool/" },
      to: { path: "^src/run/" },
    },
    {
      name: "machines-import-no-engine",
      severity: "error",
      comment: "Machines are pure statecharts: the work (sampling, judging, updating) is injected by the actors.",
      from: { path: "^machines/" },
      to: { path: "^src/engine/" },
    },
    {
      name: "rewards-rl-import-no-upper-layer",
      severity: "error",
      comment:
        "Rewards and losses are task-free math on numbers and tensors: a task's verifier or reward belongs to the task, which may use rewards, not the reverse; nor do they know actors, machines, methods or runs.",
      from: { path: "^src/(rewards|rl)/" },
      to: { path: "^(src/(tasks|methods|run|cli|inspect|report|bench)|actors|machines)/" },
    },
    {
      name: "tasks-import-no-upper-layer",
      severity: "error",
      comment:
        "Tasks (problems, prompts, verifiers, their own rewards) sit below the machines, actors and methods that use them.",
      from: { path: "^src/tasks/" },
      to: { path: "^(src/(methods|run|cli|inspect|report|bench)|actors|machines)/" },
    },
    {
      name: "actors-machines-import-no-methods",
      severity: "error",
      comment:
        "Machines and actors are the parts every method is wired from; a method (R3, RLC) is above them and chooses what they feed the Learner.",
      from: { path: "^(actors|machines)/" },
      to: { path: "^src/methods/" },
    },
    {
      name: "methods-import-no-run",
      severity: "error",
      comment:
        "Methods (what R3 and RLC train on: experiences, the failure set) sit below the runner and everything above it: a scenario file imports them without pulling in a run.",
      from: { path: "^src/methods/" },
      to: { path: "^src/(run|cli|inspect|report|bench)/" },
    },
  ],
  options: {
    doNotFollow: { path: "node_modules" },
    tsConfig: { fileName: "tsconfig.json" },
    tsPreCompilationDeps: true,
    // Known violations: each is one exact edge that breaks a rule today, left for the wave that
    // restructures its code. Any other edge breaking the same rule is still an error. Delete an
    // entry once its edge is gone.
    knownViolations: [],
  },
};
