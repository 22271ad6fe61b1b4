// The package as a user gets it: `npm pack` (which builds dist/ through `prepare`), the tarball
// installed into a fresh project outside the repository, both entries imported from plain Node,
// a user's TypeScript typechecked against the shipped .d.ts under the strictest settings, the
// installed CLI run, a user's own scenario file run for one step, and a shipped scenario's source
// copied into the project as is (it imports the package by name) typechecked and run. Nothing
// here can see the repository's sources or node_modules: the project lives in the system's
// temporary folder.
import { execFile } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { PROJECT_ROOT } from "../src/paths.js";

interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a command to the end; a failure is a result to assert on, not an exception. */
function sh(cmd: string, args: readonly string[], cwd: string, timeout = 300_000): Promise<Result> {
  return new Promise((resolve) => {
    execFile(cmd, args, { cwd, timeout, encoding: "utf8", maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      const e = err as (Error & { code?: number | string }) | null;
      resolve({ code: e ? (typeof e.code === "number" ? e.code : null) : 0, stdout, stderr });
    });
  });
}

const TSC = path.join(PROJECT_ROOT, "node_modules", "typescript", "bin", "tsc");

// What a user writes: a reward property-tested with the shipped arbitraries (the README's
// example without vitest), and one deliberate misuse that the shipped types must reject.
const USER_TS = `import fc from "fast-check";
import { completion, countdownWithRightAnswer } from "selfimprove/testing";
import { countdown, defineScenario, type ScenarioDefinition } from "selfimprove";

function myReward(p: countdown.CountdownPuzzle, text: string): number {
  const v = countdown.verifyCountdown(p, text);
  return v.correct ? 1 : v.reason === "unparsable" ? 0 : 0.1;
}

fc.assert(fc.property(countdownWithRightAnswer(), completion(), ({ puzzle }, text) => {
  const r = myReward(puzzle, text);
  return r >= 0 && r <= 1;
}), { numRuns: 50 });

// @ts-expect-error a puzzle is an object, not a number: the .d.ts are real types, not any
countdown.verifyCountdown(42, "1+1");

export const define: (d: ScenarioDefinition) => ScenarioDefinition = defineScenario;
`;

// A user's scenario: the shipped GRPO scenario, imported from the package, made tiny.
const USER_SCENARIO = `import { defineScenario } from "selfimprove";
import grpo from "selfimprove/scenarios/grpo-countdown";

export default defineScenario({
  ...grpo,
  name: "my-grpo",
  settings: { ...grpo.settings, steps: 1, tasksPerStep: 2, groupSize: 2, evalN: 4 },
});
`;

// The strictest common settings; skipLibCheck off so the shipped .d.ts are checked too.
const USER_TSCONFIG = {
  compilerOptions: {
    target: "ES2022",
    module: "NodeNext",
    moduleResolution: "NodeNext",
    strict: true,
    exactOptionalPropertyTypes: true,
    noUncheckedIndexedAccess: true,
    skipLibCheck: false,
    noEmit: true,
  },
  include: ["*.ts"],
};

describe("the packed package, installed into a fresh project", () => {
  let tmp = "";
  let project = "";
  let tarball = "";
  let installed = "";

  beforeAll(async () => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), "selfimprove-pkg-"));
    const packDir = path.join(tmp, "pack");
    fs.mkdirSync(packDir);
    // `npm pack` runs `prepare`, which builds dist/ afresh from the current sources.
    const pack = await sh("npm", ["pack", "--pack-destination", packDir], PROJECT_ROOT);
    expect(pack.code, `npm pack failed:\n${pack.stderr}`).toBe(0);
    const tgz = fs.readdirSync(packDir).filter((f) => f.endsWith(".tgz"));
    expect(tgz).toHaveLength(1);
    tarball = path.join(packDir, tgz[0] ?? "");

    project = path.join(tmp, "user-project");
    fs.mkdirSync(project);
    fs.writeFileSync(
      path.join(project, "package.json"),
      JSON.stringify({ name: "user-project", private: true, type: "module" }, null, 2),
    );
    const install = await sh(
      "npm",
      ["install", "--no-audit", "--no-fund", "--prefer-offline", tarball, "@types/node@^20"],
      project,
    );
    expect(install.code, `npm install failed:\n${install.stderr}`).toBe(0);
    installed = path.join(project, "node_modules", "selfimprove");
    fs.writeFileSync(path.join(project, "user.ts"), USER_TS);
    fs.writeFileSync(path.join(project, "my-scenario.ts"), USER_SCENARIO);
    // A shipped scenario copied from the repository into the user's project, unchanged.
    fs.copyFileSync(path.join(PROJECT_ROOT, "scenarios", "grpo-countdown.ts"), path.join(project, "grpo-countdown.ts"));
    fs.writeFileSync(path.join(project, "tsconfig.json"), JSON.stringify(USER_TSCONFIG, null, 2));
  }, 600_000);

  afterAll(() => {
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  });

  test("the tarball ships compiled code, models and the CLI, and no TypeScript sources or tests", async () => {
    const list = await sh("tar", ["-tzf", tarball], tmp);
    expect(list.code).toBe(0);
    const files = list.stdout
      .split("\n")
      .filter(Boolean)
      .map((f) => f.replace(/^package\//, ""));
    for (const f of [
      "package.json",
      "README.md",
      "bin/selfimprove.js",
      "dist/src/index.js",
      "dist/src/index.d.ts",
      "dist/src/index.js.map",
      "dist/src/testing/index.js",
      "dist/src/testing/index.d.ts",
      "dist/scenarios/r3-countdown.js",
      "dist/src/pool/worker-entry.js",
      "dist/src/inspect/page/index.html",
      "models/countdown-base/weights.bin",
      "models/countdown-base/checkpoint.json",
      // What `selfimprove init` copies: a user project's template, TypeScript the package never runs.
      "examples/small-countdown/scenario.ts",
      "examples/small-countdown/package.json",
    ])
      expect(files, f).toContain(f);
    const sources = files.filter((f) => /\.(ts|mts|cts)$/.test(f) && !/\.d\.ts$/.test(f) && !f.startsWith("examples/"));
    expect(sources).toEqual([]);
    expect(files.filter((f) => /^(src|test|scenarios|actors|machines|scripts|docs)\//.test(f))).toEqual([]);
  }, 60_000);

  test("both entries import from plain Node ESM (no tsx), with fast-check installed as the testing entry's peer", async () => {
    // The shipped arbitraries drive the user's own fast-check: one copy of fast-check, shared.
    const script = [
      'import fc from "fast-check";',
      'import { countdown, defineScenario } from "selfimprove";',
      'import { countdownWithRightAnswer } from "selfimprove/testing";',
      "let runs = 0;",
      "fc.assert(fc.property(countdownWithRightAnswer(), ({ puzzle, answer }) => { runs++; return countdown.verifyCountdown(puzzle, answer).correct; }), { numRuns: 20 });",
      "console.log(JSON.stringify({ defineScenario: typeof defineScenario, runs }));",
    ].join("\n");
    const r = await sh(process.execPath, ["--input-type=module", "-e", script], project);
    expect(r.stderr).toBe("");
    expect(JSON.parse(r.stdout)).toEqual({ defineScenario: "function", runs: 20 });
    expect(fs.existsSync(path.join(project, "node_modules", "fast-check", "package.json"))).toBe(true);
  }, 120_000);

  test("a user's TypeScript typechecks against the shipped .d.ts under strict, exactOptionalPropertyTypes, noUncheckedIndexedAccess, skipLibCheck false", async () => {
    const r = await sh(process.execPath, [TSC, "-p", ".", "--listFiles"], project);
    const lines = r.stdout.split("\n").filter(Boolean);
    const program = lines.filter((l) => !/error TS\d+/.test(l) && path.isAbsolute(l));
    // The shipped declarations are what the compiler saw, and never a TypeScript source.
    expect(program).toContain(path.join(installed, "dist", "src", "index.d.ts"));
    expect(program).toContain(path.join(installed, "dist", "src", "testing", "index.d.ts"));
    // The copied shipped scenario is part of the program: its `from "selfimprove"` typechecked.
    expect(program).toContain(path.join(project, "grpo-countdown.ts"));
    expect(program.filter((f) => f.startsWith(installed + path.sep) && !f.endsWith(".d.ts"))).toEqual([]);
    // No error in selfimprove's declarations or the user's files. (xstate's and tfjs-layers' own
    // declarations report errors under exactOptionalPropertyTypes with skipLibCheck off; those are
    // theirs, and allowed here only when they sit inside those other packages.)
    const errors = lines.filter((l) => /error TS\d+/.test(l));
    const ours = errors.filter((l) => !/^node_modules\/(?!selfimprove\/)(@[^/]+\/)?[^/]+\//.test(l));
    expect(ours).toEqual([]);
  }, 300_000);

  test("the shipped scenarios import the package by name, in the sources and in the compiled dist/", () => {
    for (const name of ["grpo-countdown", "r3-countdown", "rlc-countdown"]) {
      expect(fs.readFileSync(path.join(PROJECT_ROOT, "scenarios", `${name}.ts`), "utf8")).toMatch(
        /^import \{[^}]*\bdefineScenario\b[^}]*\} from "selfimprove";$/m,
      );
      const compiled = fs.readFileSync(path.join(installed, "dist", "scenarios", `${name}.js`), "utf8");
      expect(compiled).toMatch(/from "selfimprove";/);
      expect(compiled).not.toMatch(/from "\.\.?\//);
    }
  });

  test("the installed CLI runs compiled code and knows its shipped scenarios by name", async () => {
    const bin = path.join(project, "node_modules", ".bin", "selfimprove");
    const help = await sh(process.execPath, [bin, "--help"], project);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain("Usage: selfimprove");
    const dot = await sh(process.execPath, [bin, "viz", "r3-countdown", "--format", "dot"], project);
    expect(dot.stderr).toBe("");
    expect(dot.stdout).toContain('digraph "r3-countdown"');
    const unknown = await sh(process.execPath, [bin, "run", "no-such-scenario"], project);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(
      /^selfimprove: no scenario "no-such-scenario": not one of the shipped scenarios \(.*grpo-countdown.*r3-countdown/,
    );
  }, 300_000);

  test("a user's scenario file outside the repository runs one step with a worker, into ./runs under the working directory", async () => {
    const bin = path.join(project, "node_modules", ".bin", "selfimprove");
    const r = await sh(
      process.execPath,
      [bin, "run", "./my-scenario.ts", "--no-eval", "--backend", "wasm", "--workers", "1"],
      project,
    );
    expect(r.code, r.stderr).toBe(0);
    const out = path.join(project, "runs", "my-grpo");
    expect(fs.existsSync(path.join(out, "summary.json"))).toBe(true);
    const metrics = fs.readFileSync(path.join(out, "metrics.jsonl"), "utf8").trim().split("\n");
    expect(metrics).toHaveLength(1);
    expect(fs.existsSync(path.join(installed, "runs"))).toBe(false);
  }, 300_000);

  test("a shipped scenario's source copied into the user's project runs one step as it is", async () => {
    const bin = path.join(project, "node_modules", ".bin", "selfimprove");
    const args = [
      "run",
      "./grpo-countdown.ts",
      "--steps",
      "1",
      "--set",
      "tasksPerStep=2",
      "--set",
      "groupSize=2",
      "--no-eval",
      "--backend",
      "wasm",
      "--workers",
      "0",
    ];
    const r = await sh(process.execPath, [bin, ...args], project);
    expect(r.code, r.stderr).toBe(0);
    const metrics = fs
      .readFileSync(path.join(project, "runs", "grpo-countdown", "metrics.jsonl"), "utf8")
      .trim()
      .split("\n");
    expect(metrics).toHaveLength(1);
  }, 300_000);
});
