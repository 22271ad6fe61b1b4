// A malformed scenario fails before anything runs, with an error that names the file and the
// offending field, and writes nothing: through loadScenario, and through the CLI (exit code 2,
// "selfimprove: ..." on stderr, no run directory).
import { execFile } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { initBackend } from "../src/engine/backend.js";
import { PROJECT_ROOT } from "../src/paths.js";
import { loadScenario, resolveScenarioPath } from "../src/run/load.js";
import { ScenarioRun } from "../src/run/runner.js";
import { ScenarioError, parseScenario, type Wiring } from "../src/run/scenario.js";
import { StandInPolicy, fixedProblems } from "./helpers/standin.js";
import { saveTinyModel } from "./helpers/tiny-run.js";

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "selfimprove-scenario-"));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** A valid scenario as source text; `patch` edits the object literal's fields. */
function scenarioSource(patch: Record<string, string> = {}, extra = ""): string {
  const fields: Record<string, string> = {
    name: '"bad-one"',
    description: '"a test scenario"',
    task: '"countdown"',
    model: '"models/countdown-base"',
    actors: '["student", "verifier", "learner"]',
    algorithm: '{ name: "grpo", lr: 0.001 }',
    settings: "{ steps: 1, tasksPerStep: 2, groupSize: 2 }",
    wire: "(w) => { w.edge(w.student.out, w.verifier.in); }",
    ...patch,
  };
  const body = Object.entries(fields)
    .filter(([, v]) => v !== "")
    .map(([k, v]) => `  ${k}: ${v},`)
    .join("\n");
  return `export default {\n${body}\n${extra}};\n`;
}

function write(name: string, source: string): string {
  const file = path.join(tmp, `${name}.ts`);
  fs.writeFileSync(file, source);
  return file;
}

interface Case {
  name: string;
  source: string;
  /** Field path the message must name, and what it must say about it. */
  field: string;
  says: RegExp;
}

const CASES: Case[] = [
  {
    name: "group-size-zero",
    source: scenarioSource({ settings: "{ steps: 1, tasksPerStep: 2, groupSize: 0 }" }),
    field: "settings.groupSize",
    says: /greater than or equal to 1/,
  },
  {
    name: "unknown-actor",
    source: scenarioSource({ actors: '["student", "critic", "learner"]' }),
    field: "actors.1",
    says: /critic/,
  },
  {
    name: "missing-learner",
    source: scenarioSource({ actors: '["student", "verifier"]' }),
    field: "actors",
    says: /needs a learner/,
  },
  {
    name: "missing-student",
    source: scenarioSource({ actors: '["verifier", "learner"]' }),
    field: "actors",
    says: /needs a student/,
  },
  {
    name: "repeated-actor",
    source: scenarioSource({ actors: '["student", "student", "learner"]' }),
    field: "actors",
    says: /must not repeat/,
  },
  {
    name: "lr-string",
    source: scenarioSource({ algorithm: '{ name: "grpo", lr: "fast" }' }),
    field: "algorithm.lr",
    says: /Expected number, received string/,
  },
  {
    name: "lr-too-big",
    source: scenarioSource({ algorithm: '{ name: "grpo", lr: 3 }' }),
    field: "algorithm.lr",
    says: /less than or equal to 1/,
  },
  {
    name: "unknown-algorithm",
    source: scenarioSource({ algorithm: '{ name: "dpo", lr: 0.001 }' }),
    field: "algorithm.name",
    says: /dpo/,
  },
  {
    name: "ppo-field-on-grpo",
    source: scenarioSource({ algorithm: '{ name: "grpo", lr: 0.001, gamma: 0.9 }' }),
    field: "algorithm.gamma",
    says: /gamma is a ppo setting; algorithm grpo does not use it/,
  },
  {
    name: "ppo-asymmetric-clip",
    source: scenarioSource({ algorithm: '{ name: "ppo", lr: 0.001, clipLow: 0.2, clipHigh: 0.28 }' }),
    field: "algorithm.clipHigh",
    says: /symmetrically/,
  },
  {
    name: "unknown-top-level-key",
    source: scenarioSource({}, '  critic: "yes",\n'),
    field: "(scenario)",
    says: /Unrecognized key\(s\) in object: 'critic'/,
  },
  {
    name: "unknown-settings-key",
    source: scenarioSource({ settings: "{ steps: 1, tasksPerStep: 2, groupSize: 2, groupsize: 3 }" }),
    field: "settings",
    says: /Unrecognized key\(s\) in object: 'groupsize'/,
  },
  { name: "missing-wire", source: scenarioSource({ wire: "" }), field: "wire", says: /Required/ },
  {
    name: "bad-name",
    source: scenarioSource({ name: '"Bad Name"' }),
    field: "name",
    says: /lower-case letters, digits and dashes/,
  },
  { name: "unknown-task", source: scenarioSource({ task: '"chess"' }), field: "task", says: /chess/ },
  {
    name: "fractional-steps",
    source: scenarioSource({ settings: "{ steps: 1.5, tasksPerStep: 2, groupSize: 2 }" }),
    field: "settings.steps",
    says: /integer/,
  },
];

async function loadError(file: string): Promise<ScenarioError> {
  try {
    await loadScenario(file);
  } catch (err) {
    expect(err).toBeInstanceOf(ScenarioError);
    return err as ScenarioError;
  }
  throw new Error(`${file} loaded without an error`);
}

describe("loadScenario", () => {
  test.each(CASES)("$name: ScenarioError naming the file and $field", async (c) => {
    const file = write(c.name, c.source);
    const err = await loadError(file);
    expect(err.message.startsWith(`${file}: invalid scenario`)).toBe(true);
    const line = err.message.split("\n").find((l) => l.trimStart().startsWith(`${c.field}:`));
    expect(line, `a line for ${c.field} in:\n${err.message}`).toBeDefined();
    expect(line).toMatch(c.says);
  });

  test("every problem is reported, not just the first", async () => {
    const file = write(
      "many",
      scenarioSource({
        algorithm: '{ name: "grpo", lr: "fast" }',
        settings: "{ steps: 0, tasksPerStep: 2, groupSize: 0 }",
      }),
    );
    const err = await loadError(file);
    for (const field of ["algorithm.lr", "settings.steps", "settings.groupSize"])
      expect(err.message).toContain(`  ${field}: `);
  });

  test("no default export", async () => {
    const file = write("no-default", `export const scenario = { name: "x" };\n`);
    const err = await loadError(file);
    expect(err.message).toBe(`${file}: no default export (export default defineScenario({...}))`);
  });

  test("syntax error: the file and the loader's message", async () => {
    const file = write("syntax", `export default { name: "x", \n  actors: [ ;\n`);
    const err = await loadError(file);
    expect(err.message.startsWith(`${file}: failed to load (`)).toBe(true);
  });

  test("a module that throws while loading", async () => {
    const file = write("throws", `throw new Error("boom at import");\nexport default {};\n`);
    const err = await loadError(file);
    expect(err.message).toContain(file);
    expect(err.message).toContain("boom at import");
  });

  test("an unknown scenario name lists the shipped ones", async () => {
    expect(() => resolveScenarioPath("no-such-scenario")).toThrow(ScenarioError);
    expect(() => resolveScenarioPath("no-such-scenario")).toThrow(/no scenario "no-such-scenario".*r3-countdown/);
  });

  test("a default export that is not an object", () => {
    expect(() => parseScenario(42, "x.ts")).toThrow(
      /^x\.ts: invalid scenario\n {2}\(scenario\): Expected object, received number/,
    );
  });

  test("every shipped scenario is valid", async () => {
    for (const name of ["eval-countdown", "grpo-countdown", "r3-countdown", "rlc-countdown", "rlc-ppo-countdown"]) {
      const { scenario, file } = await loadScenario(name);
      expect(scenario.name).toBe(name);
      expect(file).toBe(path.join(PROJECT_ROOT, "scenarios", `${name}.ts`));
    }
  });
});

describe("wiring an actor the scenario did not declare", () => {
  test("loading fails naming the file and the actor, before anything runs", async () => {
    const file = write("undeclared", scenarioSource({ wire: "(w) => { w.edge(w.student.out, w.teacher.in); }" }));
    const err = await loadError(file);
    expect(err.message).toBe(`${file}: the wiring uses the teacher, but "actors" does not include "teacher"`);
  });

  test("ScenarioRun.create (a scenario built in code, never loaded) fails naming the actor, and writes nothing", async () => {
    const file = write("undeclared-ok", scenarioSource({}));
    const { scenario } = await loadScenario(file);
    const bad = { ...scenario, wire: (w: Wiring) => w.edge(w.student.out, w.teacher.in) };
    const problems = fixedProblems(2);
    const out = path.join(tmp, "undeclared-run");
    await expect(
      ScenarioRun.create(bad, {
        out,
        steps: 1,
        skipEval: true,
        overrides: { policy: new StandInPolicy(problems, new Set()) },
      }),
    ).rejects.toThrow(/scenario bad-one wires the teacher, but its actors list does not include "teacher"/);
    expect(fs.existsSync(out)).toBe(false);
  });
});

interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

function cli(args: string[]): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [path.join(PROJECT_ROOT, "bin", "selfimprove.js"), ...args],
      { cwd: PROJECT_ROOT, timeout: 60_000, encoding: "utf8" },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === "number" ? err.code : null) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

describe("CLI: selfimprove run <bad scenario>", () => {
  // Scenario files live in an ESM package (as in this project, or a user's "type": "module"
  // project); the CLI processes all start at once and the tests await their results. They are
  // untyped object literals (`(w) => ...` is an implicit any), so --no-typecheck: what is tested
  // here is the validation that runs whether or not a file typechecks.
  const esmDir = path.join(tmp, "esm-project");
  const plainDir = path.join(tmp, "plain-dir");
  const bad = [
    {
      name: "cli-group-size",
      source: scenarioSource({ settings: "{ steps: 1, tasksPerStep: 2, groupSize: 0 }" }),
      expect: /^ {2}settings\.groupSize: Number must be greater than or equal to 1$/m,
    },
    {
      name: "cli-unknown-actor",
      source: scenarioSource({ actors: '["student", "critic", "learner"]' }),
      expect: /^ {2}actors\.1: .*'critic'$/m,
    },
  ];
  let runs: Array<{ file: string; out: string; expect: RegExp; result: Promise<CliResult> }> = [];
  let undeclared: { out: string; result: Promise<CliResult> };
  let plain: { file: string; out: string; result: Promise<CliResult> };

  beforeAll(async () => {
    fs.mkdirSync(esmDir);
    fs.mkdirSync(plainDir);
    fs.writeFileSync(path.join(esmDir, "package.json"), JSON.stringify({ type: "module" }));
    await initBackend("wasm");
    const model = await saveTinyModel(path.join(tmp, "model"), 1);
    runs = bad.map((b, i) => {
      const file = path.join(esmDir, `${b.name}.ts`);
      fs.writeFileSync(file, b.source);
      const out = path.join(tmp, `cli-out-${i}`, "run");
      return { file, out, expect: b.expect, result: cli(["run", file, "--out", out, "--no-eval", "--no-typecheck"]) };
    });
    const undeclaredFile = path.join(esmDir, "cli-undeclared.ts");
    fs.writeFileSync(
      undeclaredFile,
      scenarioSource({ model: JSON.stringify(model), wire: "(w) => { w.edge(w.student.out, w.teacher.in); }" }),
    );
    const undeclaredOut = path.join(tmp, "cli-undeclared-out");
    undeclared = {
      out: undeclaredOut,
      result: cli(["run", undeclaredFile, "--out", undeclaredOut, "--no-eval", "--backend", "wasm", "--no-typecheck"]),
    };
    const plainFile = path.join(plainDir, "plain.ts");
    fs.writeFileSync(plainFile, scenarioSource({ settings: "{ steps: 1, tasksPerStep: 2, groupSize: 0 }" }));
    const plainOut = path.join(tmp, "plain-out");
    plain = {
      file: plainFile,
      out: plainOut,
      result: cli(["run", plainFile, "--out", plainOut, "--no-eval", "--no-typecheck"]),
    };
  });

  test("exits 2 with `selfimprove: <file>: ...` naming the field, and leaves no run directory", async () => {
    for (const r of runs) {
      const res = await r.result;
      expect(res.code, res.stderr).toBe(2);
      expect(res.stderr.startsWith(`selfimprove: ${r.file}: `), res.stderr).toBe(true);
      expect(res.stderr).toMatch(r.expect);
      expect(res.stderr).not.toMatch(/\n\s+at /); // no stack trace
      expect(res.stdout).toBe("");
      expect(fs.existsSync(path.dirname(r.out))).toBe(false);
    }
  });

  // Finding: an undeclared actor in `wire` is only discovered inside ScenarioRun's constructor
  // (src/run/runner.ts, `role()` → get()), which throws a plain Error; src/cli/commands/run.ts
  // converts only ScenarioErrors into CliError(…, 2), so the CLI dies with a stack trace and
  // exit code 1 instead of "selfimprove: …" and exit code 2. (Nothing is written, at least.)
  test("a wire that uses an undeclared actor: the error names it and nothing is written", async () => {
    const res = await undeclared.result;
    expect(res.code).not.toBe(0);
    expect(res.stderr).toContain('the wiring uses the teacher, but "actors" does not include "teacher"');
    expect(fs.existsSync(undeclared.out)).toBe(false);
  });
  test("a wire that uses an undeclared actor exits 2 with a one-line `selfimprove:` message", async () => {
    const res = await undeclared.result;
    expect(res.stderr).not.toMatch(/\n\s+at /);
    expect(res.code).toBe(2);
    expect(res.stderr.startsWith("selfimprove: ")).toBe(true);
  });

  // Finding: bin/selfimprove.js registers only tsx's ESM loader, and src/run/load.ts imports the
  // scenario with a plain import(); a `.ts` scenario outside a "type": "module" package is then
  // treated as CommonJS and fails with "Cannot require() ES Module … in a cycle" (Node 20.19+),
  // so the user sees "failed to load" instead of the validation errors.
  test("a scenario file outside an ESM package is validated like any other", async () => {
    const res = await plain.result;
    expect(res.code).toBe(2);
    expect(res.stderr).toMatch(/settings\.groupSize: Number must be greater than or equal to 1/);
    expect(fs.existsSync(plain.out)).toBe(false);
  });
});
