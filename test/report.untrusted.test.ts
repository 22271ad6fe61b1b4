// A run directory is data, possibly from someone else: `selfimprove report` must build the
// report from its records alone and never import what they name. The crafted directories here
// name a scenario file that writes a marker when imported; the marker must never appear.
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, test } from "vitest";
import { buildReport } from "../src/report/build.js";
import { readRunTopology, writeRunTopology } from "../src/report/topology-file.js";
import { PROJECT_ROOT } from "../src/paths.js";
import type { Topology } from "../src/viz/topology.js";

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "selfimprove-report-untrusted-"));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

const marker = path.join(tmp, "pwned.txt");
const evil = path.join(tmp, "evil-scenario.ts");
fs.writeFileSync(
  evil,
  `import fs from "node:fs";\nfs.writeFileSync(${JSON.stringify(marker)}, "imported");\nexport default {};\n`,
);

const metricsLine = (step: number): string =>
  JSON.stringify({
    step,
    weight_version: step + 1,
    updated: true,
    reward_mean: 0.5,
    reward_std: 0.1,
    first_try_accuracy: 0.25,
    second_try_accuracy: 0.5,
    retry_accuracy: 0.3,
    judge_p_yes: null,
    kl: 0.001,
    entropy: 1.2,
    loss: 0.01,
    grad_norm: 0.5,
    experiences: 16,
    tokens_per_second: 1000,
    gave_up: 0,
    seconds: 1,
  });

/** A finished run directory, written by hand, whose summary names `scenario`. */
function craftRun(name: string, scenario: string): string {
  const dir = path.join(tmp, name);
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(
    path.join(dir, "summary.json"),
    JSON.stringify({ scenario, steps: 2, completedSteps: 2, stopped: false, seed: 0, out: dir, seconds: 3 }),
  );
  fs.writeFileSync(path.join(dir, "metrics.jsonl"), `${metricsLine(0)}\n${metricsLine(1)}\n`);
  return dir;
}

const recorded: Topology = {
  scenario: "crafted",
  nodes: [
    { id: "tasks", kind: "source" },
    { id: "student", kind: "actor" },
    { id: "verifier", kind: "actor" },
    { id: "learner", kind: "actor" },
  ],
  edges: [
    {
      index: 0,
      from: "tasks",
      to: "student",
      fromPort: "tasks",
      toPort: "student.in",
      ops: [{ kind: "map", label: "attempt" }],
    },
    { index: 1, from: "student", to: "verifier", fromPort: "student.out", toPort: "verifier.in", ops: [] },
    {
      index: 2,
      from: "verifier",
      to: "learner",
      fromPort: "verifier.out",
      toPort: "learner.in",
      ops: [{ kind: "map", label: "reward <b>" }],
    },
  ],
};

describe("a run directory that names a scenario file", () => {
  test.each([
    ["an absolute path", evil],
    ["a bare name of a file beside it", "evil-scenario.ts"],
  ])("named by %s: the report is built and the file is never imported", async (_, scenario) => {
    const dir = craftRun(`named-${scenario.length}`, scenario);
    fs.copyFileSync(evil, path.join(dir, "evil-scenario.ts"));
    const r = await buildReport(dir);
    const html = fs.readFileSync(r.file, "utf8");
    expect(fs.existsSync(marker)).toBe(false);
    expect(html).toContain("The topology was not recorded");
    expect(html).toContain(`id="topology"`);
  });

  test("the command, run from inside the directory, exits 0 and imports nothing", () => {
    const dir = craftRun("cli", "./evil-scenario.ts");
    fs.copyFileSync(evil, path.join(dir, "evil-scenario.ts"));
    const r = spawnSync(process.execPath, [path.join(PROJECT_ROOT, "bin", "selfimprove.js"), "report", "."], {
      cwd: dir,
      encoding: "utf8",
    });
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(r.status).toBe(0);
    expect(fs.existsSync(path.join(dir, "report.html"))).toBe(true);
    expect(fs.existsSync(marker)).toBe(false);
  });
});

describe("the topology the run recorded", () => {
  test("is drawn from topology.json, with every node and escaped labels", async () => {
    const dir = craftRun("recorded", evil);
    writeRunTopology(dir, recorded);
    const html = fs.readFileSync((await buildReport(dir)).file, "utf8");
    for (const id of ["tasks", "student", "verifier", "learner"]) expect(html).toContain(`>${id}</text>`);
    expect(html).not.toContain("reward <b>");
    expect(fs.existsSync(marker)).toBe(false);
  });

  test.each([
    ["not JSON", "{", /is not valid JSON/],
    [
      "the wrong shape",
      JSON.stringify({ scenario: "x", nodes: "all" }),
      /is not a recorded topology \(nodes: Expected array, received string\)/,
    ],
    [
      "an edge to an unlisted node",
      JSON.stringify({ ...recorded, nodes: recorded.nodes.slice(0, 2) }),
      /has an edge student → verifier between nodes it does not list/,
    ],
    [
      "too many nodes",
      JSON.stringify({ ...recorded, nodes: Array.from({ length: 1000 }, (_, i) => ({ id: `n${i}`, kind: "actor" })) }),
      /nodes: Array must contain at most 64/,
    ],
  ])("a topology.json that is %s is a note in the report, not a failure", async (_, text, note) => {
    const dir = craftRun(`bad-topology-${text.length}`, evil);
    fs.writeFileSync(path.join(dir, "topology.json"), text);
    const read = readRunTopology(dir);
    expect("note" in read && read.note).toMatch(note);
    const html = fs.readFileSync((await buildReport(dir)).file, "utf8");
    expect(html).toContain("The topology cannot be drawn");
  });
});
