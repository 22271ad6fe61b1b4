// `selfimprove experiments`: the plan, the summary over seeds, the report (tables, verdicts
// against the papers, SVG figures), and one real pass through the CLI at the smallest scale.
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, test } from "vitest";
import { PROJECT_ROOT } from "../src/paths.js";
import { METHOD_NAMES, planExperiments, QUICK_SCALE, runArgs, type PlannedRun } from "../src/experiments/plan.js";
import { summarise } from "../src/experiments/summarise.js";
import { writeReport } from "../src/experiments/report.js";
import { experimentDirs } from "../src/cli/commands/experiments.js";

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "selfimprove-experiments-"));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

function evalOf(firstTry: number, secondTry: number, judging = 0.8): Record<string, unknown> {
  return {
    n: 100,
    temperature: 1,
    firstTry,
    secondTry,
    retryFixRate: 0.1,
    judge: { accuracy: judging, n: 200, onRight: judging, onWrong: judging, yesRate: 0.5 },
    judgeGap: judging - firstTry,
  };
}

/** A finished run directory as the runner leaves it (summary and per-step metrics). */
function fakeRun(r: PlannedRun, before: [number, number], after: [number, number], judging?: number): void {
  fs.mkdirSync(r.out, { recursive: true });
  fs.writeFileSync(
    path.join(r.out, "summary.json"),
    JSON.stringify({
      scenario: r.scenario,
      steps: 2,
      completedSteps: 2,
      stopped: false,
      seed: r.seed,
      out: r.out,
      seconds: 5,
      before: evalOf(...before, judging),
      after: evalOf(...after, judging),
    }),
  );
  const line = (step: number): string =>
    JSON.stringify({
      step,
      weight_version: step + 1,
      updated: true,
      reward_mean: 0.1 * (step + 1),
      reward_std: 0.1,
      first_try_accuracy: 0.2,
      second_try_accuracy: null,
      retry_accuracy: null,
      judge_p_yes: null,
      kl: 0,
      entropy: 1,
      loss: 0,
      grad_norm: 1,
      experiences: 4,
      tokens_per_second: 10,
      gave_up: 0,
      seconds: 1,
    });
  fs.writeFileSync(path.join(r.out, "metrics.jsonl"), `${line(0)}\n${line(1)}\n`);
}

describe("plan", () => {
  test("every task × method × seed once, each a CLI run of the method's shipped scenario on that task", () => {
    const plan = planExperiments({
      tasks: ["countdown", "bbh"],
      methods: METHOD_NAMES,
      seeds: [0, 1, 2],
      runsDir: "/r",
      scale: QUICK_SCALE,
    });
    expect(plan).toHaveLength(2 * 4 * 3);
    expect(new Set(plan.map((r) => r.id)).size).toBe(plan.length);
    const r3 = plan.find((r) => r.id === "bbh/r3/seed-2") as PlannedRun;
    // RLC judges translation with the quality prompt; every other arm keeps its scenario's reward.
    const plan2 = planExperiments({
      tasks: ["translation", "bbh"],
      methods: ["rlc"],
      seeds: [0],
      runsDir: "/r",
      scale: QUICK_SCALE,
    });
    expect(plan2.map((r) => runArgs(r).includes("selfEvalReward=quality"))).toEqual([true, false]);
    expect(runArgs(r3)).toEqual([
      "run",
      "r3-countdown",
      "--task",
      "bbh",
      "--seed",
      "2",
      "--out",
      path.join("/r", "bbh", "r3", "seed-2"),
      "--json",
      "--backend",
      "wasm",
      "--steps",
      "3",
      "--eval-n",
      "32",
      "--set",
      "tasksPerStep=4",
      "--set",
      "groupSize=4",
      "--set",
      "failureSamples=2",
      "--set",
      "checkpointEvery=0",
    ]);
  });
});

describe("summary and report", () => {
  const runsDir = path.join(tmp, "fake-runs");
  const plan = planExperiments({
    tasks: ["countdown", "functions", "bbh"],
    methods: ["r3", "rlc"],
    seeds: [0, 1],
    runsDir,
    scale: {},
  });
  // R3 on Countdown: second try 0.10 → 0.15 and 0.20 → 0.26 (+50%, +30%); RLC on BBH: 0.30 → 0.40,
  // 0.30 → 0.33, with a BBH judge at chance (51%).
  for (const r of plan) {
    if (r.task === "functions" && r.seed === 1) continue; // a run that never finished
    const gain =
      r.task === "countdown" && r.method === "r3"
        ? r.seed === 0
          ? 0.05
          : 0.06
        : r.task === "bbh" && r.method === "rlc"
          ? r.seed === 0
            ? 0.1
            : 0.03
          : 0;
    const base = r.task === "countdown" && r.seed === 1 ? 0.2 : r.task === "bbh" ? 0.3 : 0.1;
    fakeRun(r, [base, base], [base + (r.method === "rlc" ? gain : 0), base + gain], r.task === "bbh" ? 0.51 : 0.8);
  }

  test("before → after per arm over the seeds that finished; what did not finish is named", () => {
    const res = summarise(plan);
    const r3 = res.arms.find((a) => a.task === "countdown" && a.method === "r3");
    expect(r3?.secondTry?.seeds).toBe(2);
    expect(r3?.secondTry?.relative?.mean).toBeCloseTo((0.5 + 0.3) / 2, 6);
    expect(r3?.secondTry?.delta.min).toBeCloseTo(0.05, 6);
    expect(res.arms.find((a) => a.task === "functions" && a.method === "r3")?.firstTry?.seeds).toBe(1);
    expect(res.failed.map((f) => f.split(":")[0])).toEqual(["functions/r3/seed-1", "functions/rlc/seed-1"]);
    expect(res.gaps.find((g) => g.task === "bbh")?.gap.mean).toBeCloseTo(0.21, 6);
    expect(res.curves.filter((c) => c.task === "countdown" && c.method === "r3")).toHaveLength(4);
  });

  test("the report states each headline's verdict honestly and writes its figures", async () => {
    const dir = path.join(tmp, "report");
    const file = await writeReport(dir, summarise(plan), {
      quick: false,
      seeds: [0, 1],
      methods: ["r3", "rlc"],
      command: "selfimprove experiments",
      machine: "test",
      jobs: 2,
      scaleNote: "fake runs.",
      date: new Date(0),
    });
    const md = fs.readFileSync(file, "utf8");
    // R3 Countdown: +50% and +30% against +34.7%: met on average, not on every seed.
    expect(md).toMatch(
      /\| R3, equation writing \(Countdown\) \| \+34\.7% relative \(best model\) \|.*\| met on average \(\+30\.0% on the worst seed\) \|/,
    );
    // R3 functions: no gain.
    expect(md).toMatch(/\| R3, function calling \|.*\| not met \(no gain\) \|/);
    // RLC BBH: +33.3% and +10% against +18.8%.
    expect(md).toMatch(/\| RLC, reasoning \(BBH average\) \|.*\| met on average \(\+10\.0% on the worst seed\) \|/);
    expect(md).toContain("functions/rlc/seed-1");
    // A judge at chance is called out where the gains are compared; judges that work are not.
    expect(md).toContain("**No judging signal on bbh (51.0%):**");
    expect(md).not.toMatch(/No judging signal on [^\n]*countdown/);
    for (const svg of ["first-try.svg", "second-try-r3.svg", "reward-curves.svg", "first-try-curves.svg"]) {
      expect(md).toContain(`](${svg})`);
      expect(fs.readFileSync(path.join(dir, svg), "utf8")).toMatch(/^<svg[\s\S]*<\/svg>$/);
    }
    expect(JSON.parse(fs.readFileSync(path.join(dir, "results.json"), "utf8")).arms).toHaveLength(6);
  });
});

function cli(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [path.join(PROJECT_ROOT, "bin", "selfimprove.js"), "experiments", ...args], {
    encoding: "utf8",
    cwd: tmp,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe("CLI", () => {
  test("bad names are errors that list the known ones", () => {
    expect(cli(["--tasks", "nope"])).toMatchObject({
      status: 2,
      stderr: expect.stringContaining('unknown task "nope" (known tasks: countdown'),
    });
    expect(cli(["--methods", "r3,dpo"])).toMatchObject({
      status: 2,
      stderr: expect.stringContaining('unknown method "dpo" (known: r3, rlc, grpo, oracle)'),
    });
    expect(cli(["--tasks", "countdown", "--seeds", "0,x"])).toMatchObject({
      status: 2,
      stderr: expect.stringContaining("--seeds"),
    });
  });

  test("--quick writes its report beside its runs, never into the committed docs/, unless --out says so", () => {
    expect(experimentDirs(true, {}, "/p")).toEqual({
      runsDir: "/p/runs/experiments-quick",
      outDir: "/p/runs/experiments-quick",
    });
    expect(experimentDirs(true, { runs: "/r" }, "/p")).toEqual({ runsDir: "/r", outDir: "/r" });
    expect(experimentDirs(true, { out: "/p/docs/experiments-quick" }, "/p").outDir).toBe("/p/docs/experiments-quick");
    // The full matrix's report is the committed one.
    expect(experimentDirs(false, {}, "/p")).toEqual({ runsDir: "/p/runs/experiments", outDir: "/p/docs/experiments" });
    const committed = path.join(PROJECT_ROOT, "docs", "experiments-quick", "README.md");
    const before = fs.existsSync(committed) ? fs.readFileSync(committed, "utf8") : undefined;
    const runs = path.join(tmp, "quick-runs");
    const r = cli([
      "--quick",
      "--report-only",
      "--tasks",
      "countdown",
      "--methods",
      "grpo",
      "--seeds",
      "0",
      "--runs",
      runs,
    ]);
    expect(r.status, r.stderr).toBe(0);
    expect(path.resolve(tmp, r.stdout.replace(/^report: /, "").trim())).toBe(path.join(runs, "README.md"));
    expect(fs.readFileSync(path.join(runs, "README.md"), "utf8")).toMatch(/^# Experiments \(quick\)/);
    expect(fs.existsSync(committed) ? fs.readFileSync(committed, "utf8") : undefined).toBe(before);
  }, 60_000);

  test("a real pass at the smallest scale: runs, then a second call skips them and rewrites the report", () => {
    const args = [
      "--quick",
      "--tasks",
      "countdown",
      "--methods",
      "grpo,oracle",
      "--seeds",
      "0",
      "--steps",
      "1",
      "--eval-n",
      "4",
      "--runs",
      path.join(tmp, "runs"),
      "--out",
      path.join(tmp, "docs"),
    ];
    const first = cli(args);
    expect(first.status, first.stderr).toBe(0);
    expect(first.stderr).toMatch(/countdown\/grpo\/seed-0: done/);
    expect(first.stderr).toMatch(/countdown\/oracle\/seed-0: done/);
    const second = cli(args);
    expect(second.stderr).toMatch(/countdown\/grpo\/seed-0: skipped/);
    const md = fs.readFileSync(path.join(tmp, "docs", "README.md"), "utf8");
    expect(md).toMatch(/\| countdown \| GRPO with the verifier's reward \|/);
    expect(md).toMatch(/\| countdown \| oracle labels \(SFT\) \|/);
  }, 120_000);
});
