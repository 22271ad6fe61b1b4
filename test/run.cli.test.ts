// `selfimprove run`'s own flags and messages: the summary names the steps done (and a stop), a
// bad `--set` names the flag as typed, `--workers` is capped at the cores available unless
// forced, and an --out that cannot be written fails before any work with exit code 2.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, test } from "vitest";
import { formatSummary } from "../src/cli/commands/run.js";
import { loadScenario } from "../src/run/load.js";
import type { RunSummary } from "../src/run/runner.js";
import { ScenarioError, withSettings } from "../src/run/scenario.js";
import { capWorkers } from "../src/run/worker-cap.js";
import { cli } from "./helpers/run-cli.js";

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "selfimprove-runcli-"));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

describe("the summary line", () => {
  const base: RunSummary = {
    scenario: "r3-countdown",
    steps: 30,
    completedSteps: 30,
    stopped: false,
    seed: 0,
    out: "/runs/x",
    seconds: 12,
  };

  test("a finished run: the steps it did", () => {
    expect(formatSummary(base).split("\n")[0]).toBe("scenario r3-countdown: 30 steps, seed 0, 12 s → /runs/x");
  });

  test("a run stopped after 3 of 30 steps says so, and not '30 steps'", () => {
    const line = formatSummary({ ...base, completedSteps: 3, stopped: true }).split("\n")[0] as string;
    expect(line).toContain("stopped after 3 of 30 steps");
    expect(line).not.toMatch(/: 30 steps/);
  });
});

describe("--set errors name the flag as typed", () => {
  test("a value of the wrong type, out of range, unknown keys", async () => {
    const { scenario } = await loadScenario("r3-countdown");
    const message = (settings: Record<string, unknown>): string => {
      try {
        withSettings(scenario, settings, "file with --set", { flag: "--set" });
      } catch (err) {
        expect(err).toBeInstanceOf(ScenarioError);
        return (err as Error).message;
      }
      throw new Error("accepted");
    };
    expect(message({ tasksPerStep: "abc" })).toBe("--set tasksPerStep=abc: expected a number");
    expect(message({ tasksPerStep: 1.5 })).toBe("--set tasksPerStep=1.5: expected an integer");
    expect(message({ groupSize: 0 })).toBe("--set groupSize=0: must be at least 1");
    expect(message({ judge: "oracle" })).toBe("--set judge=oracle: expected one of frozen, policy");
    expect(message({ tasksPerStpe: 3 })).toMatch(
      /^--set tasksPerStpe=3: unknown setting \(known: steps, seed, tasksPerStep, /,
    );
    expect(message({ tasksPerStep: "abc", bogus: 1 }).split("\n")).toHaveLength(2);
    expect(message({ tasksPerStep: "abc" })).not.toContain("(settings)");
  });

  test("through the CLI: exit 2 and the flag named", async () => {
    const r = await cli(["run", "r3-countdown", "--set", "tasksPerStep=abc", "--out", path.join(tmp, "never")]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("selfimprove: --set tasksPerStep=abc: expected a number");
    expect(fs.existsSync(path.join(tmp, "never"))).toBe(false);
  }, 240_000);
});

describe("--workers is capped at the cores available", () => {
  test("more than the cores: capped with a warning naming both, unless forced", () => {
    expect(capWorkers(99, { cores: 2, force: false, source: "--workers" })).toEqual({
      workers: 2,
      warning: "--workers 99 is more than the 2 core(s) available: using 2 (add --force to run 99)",
    });
    const forced = capWorkers(99, { cores: 2, force: true, source: "--workers" });
    expect(forced.workers).toBe(99);
    expect(forced.warning).toContain("--force");
  });

  test("up to the cores: as asked, no warning", () => {
    expect(capWorkers(0, { cores: 2, force: false, source: "--workers" })).toEqual({ workers: 0 });
    expect(capWorkers(2, { cores: 2, force: false, source: "--workers" })).toEqual({ workers: 2 });
    expect(capWorkers(3, { cores: 0, force: false, source: "settings.workers" }).workers).toBe(1);
  });
});

describe("an --out that cannot be written fails first", () => {
  test("an existing file as --out: 'cannot write <path>: <reason>', exit 2, before any evaluation; --workers 99 was capped", async () => {
    const file = path.join(tmp, "a-file");
    fs.writeFileSync(file, "not a directory");
    const r = await cli([
      "run",
      "grpo-countdown",
      "--out",
      file,
      "--workers",
      "99",
      "--steps",
      "1",
      "--backend",
      "wasm",
    ]);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toContain(`selfimprove: cannot write ${file}: it is a file, not a directory`);
    const cores = os.availableParallelism();
    if (cores < 99)
      expect(r.stderr).toContain(`--workers 99 is more than the ${cores} core(s) available: using ${cores}`);
    // Nothing ran: no evaluation, no rejection sampling, no stack trace.
    expect(r.stderr).not.toMatch(/evaluating|rejection sampling|\n\s+at /);
    expect(r.stderr.length).toBeLessThan(2000);
    expect(fs.readFileSync(file, "utf8")).toBe("not a directory");
  }, 240_000);

  test("an --out below a file: the reason names it", async () => {
    const file = path.join(tmp, "another-file");
    fs.writeFileSync(file, "x");
    const r = await cli([
      "run",
      "grpo-countdown",
      "--out",
      path.join(file, "run"),
      "--steps",
      "1",
      "--backend",
      "wasm",
    ]);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toContain(
      `selfimprove: cannot write ${path.join(file, "run")}: a parent path is a file, not a directory`,
    );
  }, 240_000);
});
