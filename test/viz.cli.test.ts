// `selfimprove viz` from the command line: formats (by flag or by the --out file's extension),
// files written, and the errors a person sees.
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, expect, test } from "vitest";
import { vizFormat } from "../src/cli/commands/viz.js";
import { PROJECT_ROOT } from "../src/paths.js";

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "selfimprove-vizcli-"));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

function cli(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [path.join(PROJECT_ROOT, "bin", "selfimprove.js"), "viz", ...args], {
    encoding: "utf8",
    cwd: tmp,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

test("the format comes from --format, else the --out extension, else Mermaid", () => {
  expect(vizFormat({})).toBe("mermaid");
  expect(vizFormat({ out: "a.SVG" })).toBe("svg");
  expect(vizFormat({ out: "a.gv" })).toBe("dot");
  expect(vizFormat({ out: "a.txt" })).toBe("mermaid");
  expect(vizFormat({ out: "a.svg", format: "dot" })).toBe("dot");
});

test("draws to stdout or to a file", () => {
  const mermaid = cli("r3-countdown");
  expect(mermaid.status).toBe(0);
  expect(mermaid.stdout).toMatch(/^flowchart LR\n/);
  expect(mermaid.stdout).toContain(
    'verifier -->|"filter#58; first try wrong<br/>fanOut#58; reflections ×8"| reflector',
  );

  const svg = cli("run", "--out", "run.svg");
  expect(svg.status).toBe(0);
  expect(svg.stderr).toMatch(/^wrote run\.svg \(svg, \d+ bytes\)/);
  const text = fs.readFileSync(path.join(tmp, "run.svg"), "utf8");
  expect(text).toContain("<svg");
  for (const state of ["ready", "running", "rollout", "learning", "paused", "stepping", "finished"])
    expect(text).toContain(`>${state}</text>`);

  const dot = cli("learner", "--format", "dot");
  expect(dot.stdout).toMatch(/^digraph "learner" \{/);
});

test("an unknown name or format is a clear error", () => {
  const unknown = cli("studnet");
  expect(unknown.status).toBe(2);
  expect(unknown.stderr).toContain(
    'selfimprove: "studnet" is neither a machine (student, teacher, reflector, verifier, learner, run) nor a scenario (',
  );
  const format = cli("student", "--format", "png");
  expect(format.status).not.toBe(0);
  expect(format.stderr).toContain("argument 'png' is invalid. Allowed choices are mermaid, dot, svg.");
});
