// A newcomer's first hour (issue 13): `pretrain` must not silently replace a model (the shipped
// one least of all) and writes into runs/ by default; `eval` and `run` refuse a model trained for
// another task. Models are only read from models/: every write goes to a temporary directory.
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, describe, expect, test } from "vitest";
import { MODELS_DIR, PROJECT_ROOT } from "../src/paths.js";
import { replaceRefusal } from "../src/cli/commands/pretrain.js";
import { modelTaskMismatch, recordedTask } from "../src/tasks/model-task.js";

const tmp = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), "selfimprove-pretrain-eval-")));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

const COUNTDOWN_BASE = path.join(MODELS_DIR, "countdown-base");
const FUNCTIONS_BASE = path.join(MODELS_DIR, "functions-base");

function cli(args: string[], cwd = tmp): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [path.join(PROJECT_ROOT, "bin", "selfimprove.js"), ...args], {
    encoding: "utf8",
    cwd,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

function sha(file: string): string {
  return createHash("sha256").update(fs.readFileSync(file)).digest("hex");
}

/** The smallest pretraining the real countdown model shape allows: one step of two sequences. */
const TINY = ["--task", "countdown", "--steps", "1", "--batch-size", "2", "--backend", "wasm", "--json"];

describe("pretrain", () => {
  test("writes runs/pretrain-<task> under the working directory by default and leaves the shipped model alone", () => {
    const shipped = sha(path.join(COUNTDOWN_BASE, "weights.bin"));
    const cwd = path.join(tmp, "fresh-clone");
    fs.mkdirSync(cwd);
    const r = cli(["pretrain", ...TINY], cwd);
    expect(r.status, r.stderr).toBe(0);
    const result = JSON.parse(r.stdout) as {
      out: string;
      sha256: string;
      defaults: boolean;
      shipped: { dir: string; sha256: string; same: boolean };
    };
    expect(result.out).toBe(path.join(cwd, "runs", "pretrain-countdown"));
    expect(fs.existsSync(path.join(result.out, "checkpoint.json"))).toBe(true);
    expect(recordedTask(result.out)).toBe("countdown");
    expect(sha(path.join(COUNTDOWN_BASE, "weights.bin"))).toBe(shipped);
    // It says how its weights compare with the shipped model's: one step is not the default.
    expect(result.sha256).toBe(sha(path.join(result.out, "weights.bin")));
    expect(result).toMatchObject({ defaults: false, shipped: { dir: COUNTDOWN_BASE, sha256: shipped, same: false } });
  }, 120_000);

  test("refuses to replace a directory that holds a model unless --force, before training", () => {
    const copy = path.join(tmp, "copy-of-countdown-base");
    fs.cpSync(COUNTDOWN_BASE, copy, { recursive: true });
    const before = sha(path.join(copy, "weights.bin"));
    const refused = cli(["pretrain", ...TINY, "--out", copy]);
    expect(refused.status).toBe(2);
    expect(refused.stderr).toContain(`selfimprove: ${copy} already holds a model; refusing to replace it`);
    expect(refused.stderr).toContain("--force");
    expect(refused.stderr).not.toMatch(/\n\s+at /); // no stack trace
    expect(sha(path.join(copy, "weights.bin"))).toBe(before);
    expect(fs.existsSync(`${copy}.work`)).toBe(false);

    const forced = cli(["pretrain", ...TINY, "--out", copy, "--force"]);
    expect(forced.status, forced.stderr).toBe(0);
    expect(sha(path.join(copy, "weights.bin"))).not.toBe(before);
  }, 120_000);

  test("a shipped model (under the package's models/) is named as such, through a symlink too", () => {
    const models = path.join(tmp, "package-models");
    fs.mkdirSync(models);
    fs.cpSync(COUNTDOWN_BASE, path.join(models, "countdown-base"), { recursive: true });
    fs.symlinkSync(path.join(models, "countdown-base"), path.join(tmp, "link-to-base"));
    for (const out of [path.join(models, "countdown-base"), path.join(tmp, "link-to-base")]) {
      expect(replaceRefusal(out, "countdown", models)).toMatch(
        /is a shipped model \(under .*package-models\), the one eval, run and the scenarios use by default; refusing to replace it\. Leave out --out to write runs\/pretrain-countdown, or pass --force/,
      );
    }
    // A new directory under models/ replaces nothing.
    expect(replaceRefusal(path.join(models, "countdown-v2"), "countdown", models)).toBeUndefined();
    // The real shipped models are recognised with the default models directory.
    expect(replaceRefusal(COUNTDOWN_BASE, "countdown")).toMatch(/is a shipped model/);
  });
});

describe("a model trained for another task", () => {
  test("the shipped checkpoints record their task", () => {
    expect(recordedTask(COUNTDOWN_BASE)).toBe("countdown");
    expect(recordedTask(FUNCTIONS_BASE)).toBe("functions");
    expect(recordedTask(path.join(tmp, "no-such-model"))).toBeUndefined();
    expect(modelTaskMismatch(FUNCTIONS_BASE, "functions")).toBeUndefined();
  });

  test("eval refuses it with a message naming both tasks; --force evaluates it anyway", () => {
    const r = cli(["eval", "--task", "countdown", "--model", FUNCTIONS_BASE, "-n", "2", "--backend", "wasm"]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(
      /^selfimprove: model .*functions-base was trained for task "functions", but --task is "countdown": .*; pass --model with a checkpoint for this task, or --force to evaluate it anyway\n$/,
    );
    expect(r.stdout).toBe("");
    // The generic evaluator refuses the same way.
    const g = cli(["eval", "--task", "functions", "--model", COUNTDOWN_BASE, "-n", "2", "--backend", "wasm"]);
    expect(g.status).toBe(2);
    expect(g.stderr).toContain('was trained for task "countdown", but --task is "functions"');

    const forced = cli([
      "eval",
      "--task",
      "countdown",
      "--model",
      FUNCTIONS_BASE,
      "-n",
      "2",
      "--backend",
      "wasm",
      "--json",
      "--force",
    ]);
    expect(forced.status, forced.stderr).toBe(0);
    const out = JSON.parse(forced.stdout) as { n: number; premise: { holds: boolean; text: string } };
    expect(out.n).toBe(2);
    // Two puzzles prove nothing, and the verdict says so.
    expect(out.premise.holds).toBe(false);
  }, 120_000);

  test("run refuses a scenario whose model was trained for another task, before writing anything", () => {
    const dir = path.join(tmp, "scenarios");
    fs.mkdirSync(dir);
    fs.writeFileSync(path.join(dir, "package.json"), JSON.stringify({ type: "module" }));
    const file = path.join(dir, "mismatch.ts");
    fs.writeFileSync(
      file,
      `import { defineScenario } from ${JSON.stringify(pathToFileURL(path.join(PROJECT_ROOT, "src", "run", "scenario.ts")).href)};
import { map } from ${JSON.stringify(pathToFileURL(path.join(PROJECT_ROOT, "src", "run", "ops.ts")).href)};
export default defineScenario({
  name: "mismatch",
  description: "countdown problems for a function-calling model",
  task: "countdown",
  model: ${JSON.stringify(FUNCTIONS_BASE)},
  actors: ["student", "verifier", "learner"],
  algorithm: { name: "grpo", lr: 1e-4, klCoef: 0 },
  settings: { steps: 1, tasksPerStep: 2, groupSize: 1, evalN: 2, checkpointEvery: 0 },
  wire: (w) => {
    w.edge(w.tasks, w.student.in, map("attempt", (task) => ({ task })));
    w.edge(w.student.out, w.verifier.in);
  },
});
`,
    );
    const out = path.join(tmp, "mismatch-run");
    const r = cli(["run", file, "--out", out, "--no-eval", "--backend", "wasm"]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(
      /^selfimprove: model .*functions-base was trained for task "functions", but scenario mismatch's task is "countdown"/,
    );
    expect(fs.existsSync(out)).toBe(false);
  }, 120_000);
});
