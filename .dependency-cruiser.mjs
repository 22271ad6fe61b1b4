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
      comment: "The engine (tensors, models, the Policy seam) is the bottom layer: it knows nothing of losses, rewards, tasks, actors, machines, runs or the CLI.",
      from: { path: "^src/engine/" },
      to: { path: "^(src/(run|tasks|rl|rewards|cli)|actors|machines)/" },
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
      comment: "The generation pool implements the Policy seam (src/engine/policy.ts); the runner uses it, not the other way round.",
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
      name: "rewards-import-no-tasks",
      severity: "error",
      comment: "Rewards are task-free math; a task's verifier belongs to the task, which may use rewards, not the reverse.",
      from: { path: "^src/rewards/" },
      to: { path: "^src/tasks/" },
    },
  ],
  options: {
    doNotFollow: { path: "node_modules" },
    tsConfig: { fileName: "tsconfig.json" },
    tsPreCompilationDeps: true,
    // Known violations: each is one exact edge that breaks a rule today, left for the wave that
    // restructures its code. Any other edge breaking the same rule is still an error. Delete an
    // entry once its edge is gone.
    knownViolations: [
      {
        type: "dependency",
        from: "src/rewards/shaping.ts",
        to: "src/tasks/countdown/verify.ts",
        rule: { severity: "error", name: "rewards-import-no-tasks" },
        comment: "countdownReward (Countdown's TinyZero-shaped reward) takes a CountdownVerdict: it belongs with the Countdown task, not in task-free rewards.",
      },
      {
        type: "dependency",
        from: "src/rewards/index.ts",
        to: "src/tasks/countdown/verify.ts",
        rule: { severity: "error", name: "rewards-import-no-tasks" },
        comment: "rewards/index.ts re-exports Countdown's verifier 'so every reward lives behind one import'; callers should import it from src/tasks/countdown.",
      },
      {
        type: "dependency",
        from: "actors/learner.ts",
        to: "src/run/scenario.ts",
        rule: { severity: "error", name: "actors-import-no-run" },
        comment: "ppoLearnerSettings maps the scenario's AlgorithmSettings (src/run/scenario.ts) to the Learner's own PpoLearnerSettings; that mapping belongs with its caller above the actors (src/run/runner.ts, or the methods layer), so the actor needs only its own type.",
      },
    ],
  },
};
