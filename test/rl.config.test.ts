// Algorithm settings have one home (src/rl/config.ts): parsing a bare block gives the documented
// defaults; each algorithm's parsed settings hold its own fields only, and are what the Learner is
// given; a field of another algorithm is an error naming the field and its owner; the loss-level
// defaults are the config's; and a run recorded before (every algorithm's defaults in its run.json)
// still resumes.
import { describe, expect, test } from "vitest";
import { learnerAlgorithm } from "../actors/learner.js";
import { klPenalizedRewards } from "../src/rewards/token-rewards.js";
import {
  ALGORITHM_FIELDS,
  ALGORITHM_NAMES,
  GRPO_DEFAULTS,
  parseAlgorithm,
  PPO_DEFAULTS,
  PPO_ROLLOUT_DEFAULTS,
  REINFORCE_DEFAULTS,
  type AlgorithmName,
} from "../src/rl/index.js";
import { identityDifferences, runIdentity } from "../src/run/run-dir.js";
import { parseScenario } from "../src/run/scenario.js";
import { TASK_REGISTRY } from "../src/tasks/registry.js";

const LR = 1e-4;

/** The documented defaults, written out: RLC's trlx values for ppo, TRL's for GRPO. */
const DOCUMENTED: Record<AlgorithmName, Record<string, unknown>> = {
  grpo: {
    name: "grpo",
    lr: LR,
    epochs: 1,
    klCoef: 0.001,
    aggregation: "token",
    trainLayers: "all",
    weightDecay: 0,
    clipLow: 0.2,
    clipHigh: 0.2,
    klEstimator: "k3",
    scaleByStd: true,
    importanceRatioCap: 3,
  },
  rloo: {
    name: "rloo",
    lr: LR,
    epochs: 1,
    klCoef: 0.001,
    aggregation: "token",
    trainLayers: "all",
    weightDecay: 0,
    klEstimator: "k3",
  },
  reinforce: {
    name: "reinforce",
    lr: LR,
    epochs: 1,
    klCoef: 0.001,
    aggregation: "token",
    trainLayers: "all",
    weightDecay: 0,
    klEstimator: "k3",
  },
  ppo: {
    name: "ppo",
    lr: LR,
    epochs: 4,
    klCoef: 0.1,
    aggregation: "token",
    trainLayers: "all",
    weightDecay: 0,
    clipLow: 0.2,
    clipHigh: 0.2,
    gamma: 0.99,
    lambda: 0.95,
    vfCoef: 1,
    valueClip: 0.2,
    klTarget: 6,
    klHorizon: 10000,
    rewardClip: 10,
  },
};

/** A scenario around an algorithm block. */
function scenarioWith(algorithm: Record<string, unknown>): unknown {
  return {
    name: "config-test",
    description: "d",
    task: "countdown",
    model: "models/countdown-base",
    actors: ["student", "learner"],
    algorithm,
    settings: { steps: 1, tasksPerStep: 1, groupSize: 1 },
    wire: () => {},
  };
}

/** The error lines parseScenario reports for an algorithm block ("" if it parses). */
function problems(algorithm: Record<string, unknown>): string {
  try {
    parseScenario(scenarioWith(algorithm), "x.ts");
    return "";
  } catch (err) {
    return (err as Error).message;
  }
}

describe("defaults: one schema, the documented values", () => {
  test.each(ALGORITHM_NAMES)(
    "{ name: %s } parses to exactly its documented defaults, through a scenario as on its own",
    (name) => {
      expect(parseAlgorithm({ name, lr: LR })).toEqual(DOCUMENTED[name]);
      expect(parseScenario(scenarioWith({ name, lr: LR }), "x.ts").algorithm).toEqual(DOCUMENTED[name]);
    },
  );

  test("the losses' own defaults are the config's (no second copy of a number)", () => {
    const ppo = DOCUMENTED.ppo;
    expect(PPO_DEFAULTS).toEqual({
      clip: ppo.clipLow,
      valueClip: ppo.valueClip,
      vfCoef: ppo.vfCoef,
      aggregation: ppo.aggregation,
    });
    expect(PPO_ROLLOUT_DEFAULTS).toEqual({ gamma: ppo.gamma, lambda: ppo.lambda, rewardClip: ppo.rewardClip });
    const grpo = DOCUMENTED.grpo;
    expect(GRPO_DEFAULTS).toEqual({
      clipLow: grpo.clipLow,
      clipHigh: grpo.clipHigh,
      klCoef: grpo.klCoef,
      klEstimator: grpo.klEstimator,
      aggregation: grpo.aggregation,
    });
    // The loss alone charges no KL unless asked; a scenario's REINFORCE does (klCoef 0.001).
    expect(REINFORCE_DEFAULTS).toEqual({
      aggregation: "token",
      klCoef: 0,
      klEstimator: DOCUMENTED.reinforce.klEstimator,
    });
    // klPenalizedRewards without a clip clips the score at ppo's rewardClip.
    expect(klPenalizedRewards(25, [-1], [-1], 0).rewards).toEqual([ppo.rewardClip]);
  });

  test("ppo's clip is symmetric: clipHigh alone sets both, unequal ones are refused", () => {
    expect(parseAlgorithm({ name: "ppo", lr: LR, clipHigh: 0.3 })).toMatchObject({ clipLow: 0.3, clipHigh: 0.3 });
    expect(problems({ name: "ppo", lr: LR, clipLow: 0.2, clipHigh: 0.28 })).toMatch(
      /^ {2}algorithm\.clipHigh: ppo clips the ratio symmetrically/m,
    );
  });
});

describe("each algorithm's settings are its own, and the Learner is given exactly them", () => {
  const countdown = TASK_REGISTRY.countdown.spec;

  test.each(ALGORITHM_NAMES)(
    "%s: parsed fields are its own; the Learner's settings are the parsed block as it is",
    (name) => {
      const parsed = parseAlgorithm({ name, lr: LR });
      const others = new Set(
        ALGORITHM_NAMES.filter((n) => n !== name)
          .flatMap((n) => ALGORITHM_FIELDS[n])
          .filter((k) => !ALGORITHM_FIELDS[name].includes(k)),
      );
      expect(others.size).toBeGreaterThan(0);
      for (const key of Object.keys(parsed)) {
        expect(ALGORITHM_FIELDS[name], `${name} has ${key}`).toContain(key);
        expect(others.has(key), `${name} carries ${key}, another algorithm's field`).toBe(false);
      }
      // What the runner hands the Learner for this task: the same object, nothing added.
      expect(learnerAlgorithm(parsed, countdown)).toBe(parsed);
    },
  );

  test.each(ALGORITHM_NAMES)(
    '%s with aggregation "constant": the Learner gets the task\'s maxCompletionLength and nothing else new',
    (name) => {
      const parsed = parseAlgorithm({ name, lr: LR, aggregation: "constant" });
      const given = learnerAlgorithm(parsed, countdown);
      expect(given).toEqual({
        ...parsed,
        maxCompletionLength: Math.max(countdown.maxTokens.answer, countdown.maxTokens.reflection),
      });
      // A scenario's own value is kept.
      expect(
        learnerAlgorithm(parseAlgorithm({ name, lr: LR, aggregation: "constant", maxCompletionLength: 7 }), countdown)
          .maxCompletionLength,
      ).toBe(7);
    },
  );

  test.each(ALGORITHM_NAMES)(
    "%s: every other algorithm's field is an error naming the field and whose it is",
    (name) => {
      const foreign = [...new Set(ALGORITHM_NAMES.flatMap((n) => ALGORITHM_FIELDS[n]))].filter(
        (k) => !ALGORITHM_FIELDS[name].includes(k),
      );
      for (const key of foreign) {
        const owners = ALGORITHM_NAMES.filter((n) => ALGORITHM_FIELDS[n].includes(key)).join("/");
        const message = problems({ name, lr: LR, [key]: 0.5 });
        expect(message, key).toContain(
          `\n  algorithm.${key}: ${key} is a ${owners} setting; algorithm ${name} does not use it`,
        );
      }
    },
  );

  test("fields the old schema let every algorithm carry: REINFORCE has no clip, PPO no klEstimator", () => {
    expect(problems({ name: "reinforce", lr: LR, clipHigh: 0.28 })).toContain(
      "algorithm.clipHigh: clipHigh is a grpo/ppo setting; algorithm reinforce does not use it",
    );
    expect(problems({ name: "ppo", lr: LR, klEstimator: "k1" })).toContain(
      "algorithm.klEstimator: klEstimator is a grpo/rloo/reinforce setting; algorithm ppo does not use it",
    );
    expect(problems({ name: "rloo", lr: LR, scaleByStd: false })).toContain(
      "algorithm.scaleByStd: scaleByStd is a grpo setting; algorithm rloo does not use it",
    );
  });

  test("an unknown field, an unknown algorithm, and every problem at once", () => {
    expect(problems({ name: "ppo", lr: LR, clip: 0.2 })).toMatch(
      /^ {2}algorithm\.clip: unknown setting of algorithm ppo \(its settings: name, lr, .*minibatchSize\)$/m,
    );
    expect(problems({ name: "dpo", lr: LR })).toMatch(
      /^ {2}algorithm\.name: "dpo" is not an algorithm \(known: grpo, rloo, reinforce, ppo\)$/m,
    );
    expect(problems({ lr: LR })).toMatch(/^ {2}algorithm\.name: a missing name is not an algorithm/m);
    const many = problems({ name: "grpo", lr: "fast", gamma: 0.9 }).split("\n");
    expect(many[0]).toBe("x.ts: invalid scenario");
    expect(many.slice(1).sort()).toEqual([
      "  algorithm.gamma: gamma is a ppo setting; algorithm grpo does not use it",
      "  algorithm.lr: Expected number, received string",
    ]);
  });
});

describe("a run recorded before each algorithm had its own fields", () => {
  /** run.json's algorithm block as the old schema wrote it: every algorithm's defaults on every algorithm. */
  const legacy = (name: AlgorithmName, own: Record<string, unknown>): Record<string, unknown> => ({
    ...{
      klEstimator: "k3",
      aggregation: "token",
      scaleByStd: true,
      trainLayers: "all",
      importanceRatioCap: 3,
      weightDecay: 0,
      clipLow: 0.2,
      clipHigh: 0.2,
    },
    ...{ gamma: 0.99, lambda: 0.95, vfCoef: 1, valueClip: 0.2, klTarget: 6, klHorizon: 10000, rewardClip: 10 },
    ...own,
    name,
  });

  test.each([
    ["grpo", { lr: LR, epochs: 1, klCoef: 0.001 }],
    ["reinforce", { lr: LR, epochs: 1, klCoef: 0.001 }],
    ["ppo", { lr: LR, epochs: 4, klCoef: 0.1 }],
  ] as const)("%s: the fields it never read do not block --resume; a real difference still does", (name, own) => {
    const scenario = parseScenario(scenarioWith({ name, lr: LR }), "x.ts");
    const current = runIdentity(scenario, { model: "m", seed: 0, maxStaleness: 0 });
    const recorded = { ...current, algorithm: legacy(name, own) };
    expect(identityDifferences(recorded, current)).toEqual([]);
    const other = { ...current, algorithm: legacy(name, { ...own, lr: 2 * LR }) };
    expect(identityDifferences(other, current)).toEqual([`algorithm.lr: ${2 * LR} in the run directory, ${LR} now`]);
  });
});
