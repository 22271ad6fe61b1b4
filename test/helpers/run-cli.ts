// The CLI as a child process, and scenario files pointing at a tiny model, for tests of what a
// real `selfimprove run` process does: its exit code and stderr, signals, and kills.
import { execFile, spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { PROJECT_ROOT } from "../../src/paths.js";

export const CLI = path.join(PROJECT_ROOT, "bin", "selfimprove.js");

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Runs `selfimprove ...args` to the end (generous timeout: the machine may be busy). */
export function cli(args: readonly string[], env: Record<string, string> = {}, timeout = 240_000): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [CLI, ...args],
      { cwd: PROJECT_ROOT, timeout, encoding: "utf8", env: { ...process.env, ...env } },
      (err, stdout, stderr) => {
        const e = err as (Error & { code?: number | string; signal?: NodeJS.Signals | null }) | null;
        resolve({
          code: e ? (typeof e.code === "number" ? e.code : null) : 0,
          signal: e?.signal ?? null,
          stdout,
          stderr,
        });
      },
    );
  });
}

/** Starts `selfimprove ...args` and returns the child, stderr collected into `stderr()`. */
export function startCli(args: readonly string[]): {
  child: ChildProcess;
  stderr: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
} {
  const child = spawn(process.execPath, [CLI, ...args], { cwd: PROJECT_ROOT, stdio: ["ignore", "ignore", "pipe"] });
  let err = "";
  child.stderr?.on("data", (d: Buffer) => (err += d.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on("exit", (code, signal) => resolve({ code, signal })),
  );
  return { child, stderr: () => err, exited };
}

/**
 * Writes a scenario file: the shipped `base` scenario pointed at `model` (absolute) with small
 * settings, under `name`. The CLI and an in-process loadScenario read the same file.
 */
export function writeTinyScenarioFile(
  dir: string,
  opts: {
    name: string;
    base: string;
    model: string;
    settings?: Record<string, unknown>;
    algorithm?: Record<string, unknown>;
  },
): string {
  const file = path.join(dir, `${opts.name}.ts`);
  const baseFile = path.join(PROJECT_ROOT, "scenarios", `${opts.base}.ts`);
  const settings = { tasksPerStep: 2, groupSize: 2, evalN: 8, failureSamples: 1, ...opts.settings };
  fs.writeFileSync(
    file,
    `import base from ${JSON.stringify(baseFile)};\n` +
      `export default { ...base, name: ${JSON.stringify(opts.name)}, model: ${JSON.stringify(opts.model)},\n` +
      `  algorithm: { ...base.algorithm, ...${JSON.stringify(opts.algorithm ?? {})} },\n` +
      `  settings: { ...base.settings, ...${JSON.stringify(settings)} } };\n`,
  );
  return file;
}

/** Polls until `cond` holds (a bound on the number of polls, not on wall-clock time per step). */
export async function until(cond: () => boolean, what: string, polls = 6000, everyMs = 20): Promise<void> {
  for (let i = 0; i < polls; i++) {
    if (cond()) return;
    await new Promise((r) => setTimeout(r, everyMs));
  }
  throw new Error(`never happened: ${what}`);
}
