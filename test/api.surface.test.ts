// The package's public surface (issue 16): what `import ... from "selfimprove"` offers is a
// deliberate list, so an export that disappears (or appears without a decision and a doc comment)
// fails here. Value exports are checked at run time; type exports by the typechecker (the
// `PublicTypes` tuple below: `npm run typecheck`, part of `npm test`, fails if one is gone).
//
// The package is imported by its own name, as the shipped scenarios do: inside the checkout that
// name must mean these sources, never a dist/ that may be stale or missing.
import { execFile } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { describe, expect, test } from "vitest";
import * as api from "selfimprove";
import * as testing from "selfimprove/testing";
import type * as Api from "selfimprove";
import * as sources from "../src/index.js";
import { PROJECT_ROOT } from "../src/paths.js";

/** Every type a scenario author, reward author or library user is promised. */
export type PublicTypes = [
  Api.ScenarioDefinition,
  Api.Scenario,
  Api.Wiring,
  Api.Source<unknown>,
  Api.Sink<unknown>,
  Api.Ports<unknown, unknown>,
  Api.LabeledOp<unknown, unknown>,
  Api.RunSettings,
  Api.AlgorithmSettings,
  Api.RunOptions,
  Api.RunSummary,
  Api.StepMetrics,
  Api.RoleName,
  Api.StudentRequest,
  Api.ActorDefinition,
  Api.DefinedTask,
  Api.TaskSpec,
  Api.TaskProblem,
  Api.TaskVerdict,
  Api.TaskEvalResult,
  Api.Policy,
  Api.PolicySample,
  Api.Sample,
  Api.SampleOptions,
  Api.ModelConfig,
  Api.Checkpoint,
  Api.FailureSetOptions,
  Api.Trace,
  Api.TaskMessage,
  Api.CompletionMessage,
  Api.VerdictMessage,
  Api.JudgmentMessage,
  Api.ExperienceMessage,
  Api.countdown.CountdownPuzzle,
  Api.countdown.CountdownProblem,
  Api.countdown.CountdownVerdict,
  Api.functions.FunctionProblem,
  Api.functions.CallVerdict,
  Api.bbh.BbhProblem,
  Api.bbh.BbhVerdict,
  Api.translation.TranslationProblem,
  Api.translation.TranslationVerdict,
  Api.rl.AlgorithmConfig,
  Api.rl.AlgorithmInput,
  Api.rl.GrpoSettings,
  Api.rl.PpoSettings,
  Api.rewards.KlEstimator,
  Api.rewards.SelfEvalReward,
];

const keys = (o: object): string[] => Object.keys(o).sort();
const namespace = (name: string): object => (api as unknown as Record<string, object>)[name] ?? {};

describe("the public API of selfimprove", () => {
  test("the package name resolves to this checkout's sources, not to dist/", () => {
    expect(api.defineScenario).toBe(sources.defineScenario);
    expect(api.countdown.verifyCountdown).toBe(sources.countdown.verifyCountdown);
  });

  test("the entry's value exports are exactly the deliberate list", () => {
    expect(keys(api)).toEqual(
      [
        // scenarios and running them
        "defineScenario",
        "parseScenario",
        "ScenarioError",
        "ROLE_NAMES",
        "filter",
        "map",
        "fanOut",
        "custom",
        "defineActor",
        "defineTask",
        "loadScenario",
        "ScenarioRun",
        // methods
        "r3Experience",
        "rlcExperience",
        "verifierExperience",
        "buildFailureSet",
        // tasks
        "countdownTask",
        "functionsTask",
        "bbhTask",
        "bbhMixedTask",
        "BBH_TASKS",
        "translationTask",
        "countdown",
        "functions",
        "bbh",
        "translation",
        // models
        "LanguageModel",
        "InProcessPolicy",
        "Tokenizer",
        "initBackend",
        "describeBackend",
        "BACKEND_NAMES",
        "GPT",
        "Trainer",
        "AdamW",
        "DEFAULT_ADAMW",
        "saveCheckpoint",
        "loadCheckpoint",
        "Rng",
        // rewards and losses
        "rewards",
        "rl",
      ].sort(),
    );
  });

  test("each task's namespace has its spec, generator, verifier, JSONL format and prompts", () => {
    const prompts = ["answerPrompt", "judgePrompt", "reflectPrompt", "retryPrompt", "MAX_TOKENS", "toJsonl"];
    expect(keys(api.countdown)).toEqual(
      [
        ...prompts,
        "countdownTask",
        "generateCountdown",
        "generateCountdownSet",
        "verifyCountdown",
        "extractAnswer",
        "countdownReward",
        "parseExpression",
        "evaluateExpression",
        "Rational",
        "DivisionByZeroError",
        "solveCountdown",
        "solveCountdownSteps",
        "countdownPuzzleSchema",
        "parseCountdownJsonl",
        "COUNTDOWN_TOKENIZER",
        "questionText",
      ].sort(),
    );
    expect(keys(api.functions)).toEqual(
      [
        ...prompts,
        "functionsTask",
        "generateFunctionProblem",
        "generateFunctionSet",
        "verifyCall",
        "extractCall",
        "parseCall",
        "formatCall",
        "parseStrictJson",
        "CATALOGUE",
        "toolByName",
        "functionProblemSchema",
        "parseFunctionJsonl",
        "verifyFunctionJsonl",
        "FUNCTIONS_TOKENIZER",
      ].sort(),
    );
    expect(keys(api.bbh)).toEqual(
      [
        ...prompts,
        "bbhTask",
        "bbhMixedTask",
        "BBH_TASKS",
        "BBH_SUBS",
        "isBbhSub",
        "generateBbhProblem",
        "generateBbhSet",
        "verifyBbh",
        "extractBbhAnswer",
        "bbhProblemSchema",
        "parseBbhJsonl",
        "verifyBbhJsonl",
        "BBH_TOKENIZER",
      ].sort(),
    );
    expect(keys(api.translation)).toEqual(
      [
        ...prompts,
        "translationTask",
        "generateTranslation",
        "generateTranslationSet",
        "verifyTranslation",
        "extractTranslation",
        "translationQuality",
        "parseQualityScore",
        "qualityTarget",
        "translationProblemSchema",
        "parseTranslationJsonl",
        "verifyTranslationJsonl",
        "TRANSLATION_TOKENIZER",
        "qualityPrompt",
      ].sort(),
    );
    // The namespaces' specs are the entry's own.
    expect(api.countdown.countdownTask).toBe(api.countdownTask);
    expect(api.bbh.bbhMixedTask).toBe(api.bbhMixedTask);
  });

  test("rewards and rl keep every function a reward author or a custom loss builds on", () => {
    const rewards = [
      "groupAdvantages",
      "groupNormalizedAdvantages",
      "rlooAdvantages",
      "reinforceAdvantages",
      "whiten",
      "gae",
      "fracRewardZeroStd",
      "hasZeroSpread",
      "k1",
      "k2",
      "k3",
      "klEstimate",
      "klPenalizedRewards",
      "pYesFromLogProbs",
      "correctnessRewardFromPYes",
      "sampledYesReward",
      "qualityReward",
      "SELF_EVAL_REWARDS",
      "reflectionMask",
      "r3TokenWeights",
      "roleMask",
      "segmentMask",
      "trainRoles",
      "R3_TRAINED_ROLES",
      "conversationSpans",
      "spanTokens",
      "assertFiniteReward",
      "checkedExperienceReward",
      "RewardError",
      "REWARD_RANGE",
    ];
    expect(keys(namespace("rewards"))).toEqual(expect.arrayContaining(rewards));
    const rl = [
      "AlgorithmConfigSchema",
      "parseAlgorithm",
      "ALGORITHM_NAMES",
      "ALGORITHM_DEFAULTS",
      "ALGORITHM_FIELDS",
      "grpoLoss",
      "grpoLossFromLogits",
      "ppoLoss",
      "reinforceLoss",
      "buildRlBatch",
      "ppoRollout",
      "scoreRows",
      "sequenceLogProbs",
      "AdaptiveKlController",
      "FixedKlController",
      "RLC_ADAPTIVE_KL",
      "aggregationWeights",
      "policyTerms",
      "resolveGrpoConfig",
    ];
    expect(keys(namespace("rl"))).toEqual(expect.arrayContaining(rl));
  });

  test("selfimprove/testing offers the property-testing arbitraries", () => {
    expect(keys(testing)).toEqual(
      [
        "countdownPuzzle",
        "countdownWithRightAnswer",
        "countdownWithWrongAnswer",
        "expressionLike",
        "hostileCompletion",
        "completion",
        "tokens",
        "r3Conversation",
        "mask",
        "rewards",
        "rewardGroups",
        "badReward",
      ].sort(),
    );
  });
});

/** The resolve hook bin/selfimprove.js registers in a checkout (plain JS, so loaded untyped). */
interface ResolveContext {
  conditions: string[];
  parentURL?: string;
}
type NextResolve = (specifier: string, context: ResolveContext) => Promise<{ url: string }>;
type ResolveHook = (specifier: string, context: ResolveContext, next: NextResolve) => Promise<{ url: string }>;

describe("inside the checkout, the package's name means its sources", () => {
  const checkout = pathToFileURL(PROJECT_ROOT + path.sep).href;

  async function conditionsFor(specifier: string, parentURL: string): Promise<string[]> {
    const hookUrl = pathToFileURL(path.join(PROJECT_ROOT, "scripts", "source-condition.mjs")).href;
    const { resolve } = (await import(hookUrl)) as { resolve: ResolveHook };
    let seen: string[] = [];
    await resolve(specifier, { conditions: ["node", "import"], parentURL }, async (_s, ctx) => {
      seen = ctx.conditions;
      return { url: "file:///x" };
    });
    return seen;
  }

  test("the hook adds the sources condition only to the package's own name imported from the checkout", async () => {
    const scenario = `${checkout}scenarios/grpo-countdown.ts`;
    expect(await conditionsFor("selfimprove", scenario)).toEqual(["node", "import", "selfimprove-source"]);
    expect(await conditionsFor("selfimprove/testing", scenario)).toContain("selfimprove-source");
    expect(await conditionsFor("selfimprove/scenarios/r3-countdown", scenario)).toContain("selfimprove-source");
    // Another package, a look-alike name, a dependency, or a user's file elsewhere: plain Node.
    expect(await conditionsFor("rxjs", scenario)).toEqual(["node", "import"]);
    expect(await conditionsFor("selfimprove-extras", scenario)).toEqual(["node", "import"]);
    expect(await conditionsFor("selfimprove", `${checkout}node_modules/some-dep/index.js`)).toEqual(["node", "import"]);
    expect(await conditionsFor("selfimprove", "file:///home/user/project/my-scenario.ts")).toEqual(["node", "import"]);
  });

  test("package.json's exports list the sources condition first, so it wins over types and default", () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(PROJECT_ROOT, "package.json"), "utf8")) as {
      exports: Record<string, Record<string, string> | string>;
    };
    for (const entry of [".", "./testing", "./scenarios/*"]) {
      const conditions = pkg.exports[entry];
      expect(typeof conditions === "object" && Object.keys(conditions)[0], entry).toBe("selfimprove-source");
    }
  });

  test("the CLI in a checkout runs a scenario file importing 'selfimprove' against the sources", async () => {
    // A scenario file inside the checkout (the hook's scope) that reports where the name resolves.
    const dir = fs.mkdtempSync(path.join(PROJECT_ROOT, "test", ".api-probe-"));
    try {
      const file = path.join(dir, "probe.ts");
      fs.writeFileSync(
        file,
        [
          'import grpo from "selfimprove/scenarios/grpo-countdown";',
          'process.stderr.write(`selfimprove=${import.meta.resolve("selfimprove")}\\n`);',
          "export default grpo;",
        ].join("\n"),
      );
      const r = await new Promise<{ stdout: string; stderr: string; code: number | null }>((resolve) => {
        execFile(
          process.execPath,
          [path.join(PROJECT_ROOT, "bin", "selfimprove.js"), "viz", file, "--format", "dot"],
          { cwd: PROJECT_ROOT, encoding: "utf8" },
          (err, stdout, stderr) => {
            resolve({ stdout, stderr, code: err ? (typeof err.code === "number" ? err.code : null) : 0 });
          },
        );
      });
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toContain('digraph "grpo-countdown"');
      const resolved = /selfimprove=(\S+)/.exec(r.stderr)?.[1] ?? "";
      expect(resolved.split("?")[0]).toBe(`${checkout}src/index.ts`);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);
});

describe("the API reference in docs/api", () => {
  // The committed reference is generated (npm run docs:api); regenerating it into a scratch
  // folder must give the same files, so an export or doc comment changed without regenerating
  // (or an export left undocumented: TypeDoc's validation fails) is caught here.
  test("is what `npm run docs:api` generates from the current sources, with no undocumented export", async () => {
    const out = fs.mkdtempSync(path.join(PROJECT_ROOT, "node_modules", ".cache-docs-api-"));
    try {
      const typedoc = path.join(PROJECT_ROOT, "node_modules", "typedoc", "bin", "typedoc");
      await new Promise<void>((resolve, reject) =>
        execFile(process.execPath, [typedoc, "--out", out], { cwd: PROJECT_ROOT }, (err, stdout, stderr) =>
          err ? reject(new Error(`typedoc failed:\n${stdout}${stderr}`)) : resolve(),
        ),
      );
      const list = (dir: string): string[] =>
        (fs.readdirSync(dir, { recursive: true }) as string[])
          .filter((f) => fs.statSync(path.join(dir, f)).isFile())
          .sort();
      const committed = path.join(PROJECT_ROOT, "docs", "api");
      expect(list(out)).toEqual(list(committed));
      for (const f of list(out))
        expect(fs.readFileSync(path.join(out, f), "utf8"), `docs/api/${f} is stale: run npm run docs:api`).toBe(
          fs.readFileSync(path.join(committed, f), "utf8"),
        );
    } finally {
      fs.rmSync(out, { recursive: true, force: true });
    }
  }, 120_000);
});
