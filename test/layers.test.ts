// The layer check (.dependency-cruiser.mjs, `npm run lint:layers`): the source tree keeps its
// layers, and each rule really fires on an import that breaks it, so a passing check cannot be
// a checker that sees nothing. Runs the same CLI that `npm run lint:layers` runs.
import { execFile } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { PROJECT_ROOT } from "../src/paths.js";

const run = promisify(execFile);
const DEPCRUISE = path.join(PROJECT_ROOT, "node_modules", "dependency-cruiser", "bin", "dependency-cruise.mjs");
const CONFIG = path.join(PROJECT_ROOT, ".dependency-cruiser.mjs");
const LAYERED = ["src", "actors", "machines", "scenarios", "bin"];

interface Violation {
  from: string;
  to: string;
  rule: { name: string; severity: string };
}

interface CruiseResult {
  modules: Array<{ source: string; dependencies: Array<{ resolved: string; couldNotResolve: boolean }> }>;
  summary: { violations: Violation[]; error: number; ignore: number; totalCruised: number };
}

/** depcruise's JSON for `dirs` under `cwd` with the project's config; it exits non-zero on errors, which is what the tests inspect. */
async function cruise(cwd: string, dirs: string[]): Promise<CruiseResult> {
  const args = [DEPCRUISE, ...dirs, "--config", CONFIG, "--output-type", "json"];
  const out = await run(process.execPath, args, { cwd, maxBuffer: 64 * 1024 * 1024 }).catch(
    (err: { stdout?: string; stderr?: string }) => {
      if (!err.stdout) throw new Error(`depcruise failed: ${err.stderr ?? String(err)}`);
      return { stdout: err.stdout };
    },
  );
  return JSON.parse(out.stdout) as CruiseResult;
}

function errors(r: CruiseResult): string[] {
  return r.summary.violations
    .filter((v) => v.rule.severity === "error")
    .map((v) => `${v.rule.name}: ${v.from} → ${v.to}`);
}

describe("the project's layers", () => {
  test("no import cycle and no import against the layer order in the source tree", async () => {
    const r = await cruise(PROJECT_ROOT, LAYERED);
    expect(errors(r)).toEqual([]);
    // The check saw the tree, with local imports resolved (a checker that resolves nothing passes vacuously).
    expect(r.summary.totalCruised).toBeGreaterThan(150);
    const student = r.modules.find((m) => m.source === "actors/student.ts");
    expect(student?.dependencies.map((d) => d.resolved)).toContain("src/engine/policy.ts");
  }, 120_000);
});

/** The config's known violations (exact edges let through). */
async function knownViolations(): Promise<Array<{ from: string; to: string }>> {
  const config = (await import(pathToFileURL(CONFIG).href)) as {
    default: { options: { knownViolations?: Array<{ from: string; to: string }> } };
  };
  return config.default.options.knownViolations ?? [];
}

describe("each layer rule fires on an import that breaks it", () => {
  let dir = "";
  let known: Array<{ from: string; to: string }> = [];

  // A miniature tree with the project's folder names: one module per layer, plus one import per rule.
  const files: Record<string, string> = {
    "src/engine/policy.ts": `export interface Policy { version: number }\n`,
    "src/engine/gpt.ts": `import type { Step } from "../run/runner.js";\nexport type G = Step;\n`,
    "src/run/runner.ts": `import type { Policy } from "../engine/policy.js";\nexport type Step = Policy;\n`,
    "src/run/scenario.ts": `export type AlgorithmSettings = { lr: number };\n`,
    "src/tasks/countdown/verify.ts": `export type CountdownVerdict = { correct: boolean };\n`,
    "src/tasks/other.ts": `export const other = 1;\n`,
    // Another edge under a rule with a known violation is still an error (the known ones are planted below).
    "src/rewards/kl.ts": `import { other } from "../tasks/other.js";\nexport const k = other;\n`,
    "src/rl/grpo.ts": `import type { E } from "../methods/experience.js";\nexport type G = E;\n`,
    "src/methods/experience.ts": `import type { Step } from "../run/runner.js";\nexport type E = Step;\n`,
    "src/tasks/countdown/reward.ts": `import type { M } from "../../../machines/student.js";\nexport type R = M;\n`,
    "actors/teacher.ts": `import type { E } from "../src/methods/experience.js";\nexport type T = E;\n`,
    "actors/student.ts": `import type { Step } from "../src/run/runner.js";\nexport type S = Step;\n`,
    "src/pool/pool-policy.ts": `import type { Step } from "../run/runner.js";\nexport type P = Step;\n`,
    "machines/student.ts": `import type { Policy } from "../src/engine/policy.js";\nexport type M = Policy;\n`,
    "src/bench/a.ts": `import { b } from "./b.js";\nexport const a = () => b;\n`,
    "src/bench/b.ts": `import { a } from "./a.js";\nexport const b = () => a;\n`,
  };

  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), "layers-"));
    // Each known violation in the config, planted as its exact edge: it must be let through.
    known = await knownViolations();
    known.forEach((v, i) => {
      const rel = path.relative(path.dirname(v.from), v.to).replace(/\.ts$/, ".js");
      files[v.to] = `${files[v.to] ?? ""}export const known${i} = ${i};\n`;
      files[v.from] =
        `${files[v.from] ?? ""}import { known${i} } from "${rel.startsWith(".") ? rel : `./${rel}`}";\nexport const uses${i} = known${i};\n`;
    });
    for (const [file, text] of Object.entries(files)) {
      mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
      writeFileSync(path.join(dir, file), text);
    }
    writeFileSync(
      path.join(dir, "tsconfig.json"),
      JSON.stringify({
        compilerOptions: { module: "NodeNext", moduleResolution: "NodeNext", strict: true, noEmit: true },
        include: ["src", "actors", "machines"],
      }),
    );
  });

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test("every planted import is reported under its rule, and the known violation is ignored", async () => {
    const r = await cruise(dir, ["src", "actors", "machines"]);
    expect(errors(r).sort()).toEqual(
      [
        "actors-import-no-run: actors/student.ts → src/run/runner.ts",
        "engine-imports-no-upper-layer: src/engine/gpt.ts → src/run/runner.ts",
        // A cycle is reported once, from its first module.
        "no-circular: src/bench/a.ts → src/bench/b.ts",
        "machines-import-no-engine: machines/student.ts → src/engine/policy.ts",
        "pool-imports-no-run: src/pool/pool-policy.ts → src/run/runner.ts",
        "rewards-rl-import-no-upper-layer: src/rewards/kl.ts → src/tasks/other.ts",
        "rewards-rl-import-no-upper-layer: src/rl/grpo.ts → src/methods/experience.ts",
        "methods-import-no-run: src/methods/experience.ts → src/run/runner.ts",
        "tasks-import-no-upper-layer: src/tasks/countdown/reward.ts → machines/student.ts",
        "actors-machines-import-no-methods: actors/teacher.ts → src/methods/experience.ts",
      ].sort(),
    );
    expect(r.summary.ignore).toBe(known.length);
  }, 120_000);
});
