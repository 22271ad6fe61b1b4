// One run per run directory. Without a lock two runs on one --out interleaved metrics.jsonl and
// left one seed's failure set beside the other's checkpoint. A run takes run.lock (PID, host,
// start time) before anything else; a second run is refused naming the directory and the PID; a
// lock whose process is gone is taken over with a note; the lock goes when the run ends, however
// it ends (finished, failed, SIGTERM).
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { initBackend } from "../src/engine/backend.js";
import { loadScenario } from "../src/run/load.js";
import { ScenarioRun, type RunOptions } from "../src/run/runner.js";
import { LOCK_FILE, openRunDir, RunDirError } from "../src/run/run-dir.js";
import type { Scenario } from "../src/run/scenario.js";
import { acquireLock, LockHeldError, type LockInfo } from "../src/util/lock.js";
import { RecordingUpdate, StandInPolicy, fixedProblems } from "./helpers/standin.js";
import { saveTinyModel } from "./helpers/tiny-run.js";
import { cli, startCli, until, writeTinyScenarioFile } from "./helpers/run-cli.js";

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "selfimprove-lock-"));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** The PID of a process that has exited (and whose PID nothing has reused yet). */
function deadPid(): number {
  const pid = Number(
    execFileSync(process.execPath, ["-e", "process.stdout.write(String(process.pid))"], { encoding: "utf8" }),
  );
  expect(() => process.kill(pid, 0)).toThrow();
  return pid;
}

function writeLock(dir: string, info: LockInfo): void {
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, LOCK_FILE), JSON.stringify(info));
}

describe("acquireLock", () => {
  test("a second taker is refused with the holder's PID; after release the lock can be taken again", () => {
    const file = path.join(tmp, "plain.lock");
    const first = acquireLock(file);
    expect(JSON.parse(fs.readFileSync(file, "utf8"))).toMatchObject({ pid: process.pid, host: os.hostname() });
    let err: unknown;
    try {
      acquireLock(file);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(LockHeldError);
    expect((err as LockHeldError).holder.pid).toBe(process.pid);
    first.release();
    expect(fs.existsSync(file)).toBe(false);
    acquireLock(file).release();
  });

  test("a lock of a process that is gone is taken over and reported", () => {
    const file = path.join(tmp, "stale.lock");
    const pid = deadPid();
    fs.writeFileSync(file, JSON.stringify({ pid, host: os.hostname(), started: new Date().toISOString() }));
    const lock = acquireLock(file);
    expect(lock.tookOver?.pid).toBe(pid);
    expect(JSON.parse(fs.readFileSync(file, "utf8")).pid).toBe(process.pid);
    lock.release();
  });

  test("a live holder on this host, or any holder on another host, is not taken over", () => {
    const file = path.join(tmp, "live.lock");
    fs.writeFileSync(file, JSON.stringify({ pid: 4242, host: os.hostname(), started: new Date().toISOString() }));
    expect(() => acquireLock(file, { isAlive: () => true })).toThrow(LockHeldError);
    fs.writeFileSync(file, JSON.stringify({ pid: deadPid(), host: "elsewhere", started: new Date().toISOString() }));
    expect(() => acquireLock(file)).toThrow(/held by pid \d+ on elsewhere/);
    expect(JSON.parse(fs.readFileSync(file, "utf8")).host).toBe("elsewhere");
  });
});

describe("openRunDir", () => {
  test("in use: the error names the directory and the PID; a stale lock is taken over with a note", () => {
    const out = path.join(tmp, "dir-a");
    const a = openRunDir(out);
    expect(() => openRunDir(out)).toThrow(RunDirError);
    expect(() => openRunDir(out)).toThrow(
      new RegExp(`run directory ${out} is in use by selfimprove run \\(pid ${process.pid}, since `),
    );
    a.release();
    const pid = deadPid();
    writeLock(out, { pid, host: os.hostname(), started: "2020-01-01T00:00:00.000Z" });
    const b = openRunDir(out);
    expect(b.notes.join("\n")).toContain(`took over a stale lock on ${out} (pid ${pid}`);
    b.release();
    expect(fs.existsSync(path.join(out, LOCK_FILE))).toBe(false);
  });
});

describe("ScenarioRun holds the lock for its whole life", () => {
  const problems = fixedProblems(8);
  let scenario: Scenario;
  const standIn = (out: string, extra: Partial<RunOptions> = {}): RunOptions => ({
    out,
    steps: 2,
    skipEval: true,
    overrides: {
      policy: new StandInPolicy(problems, new Set()),
      update: new RecordingUpdate().fn,
      problems: (step, n) => problems.slice((step * n) % 8, ((step * n) % 8) + n),
    },
    ...extra,
  });

  beforeAll(async () => {
    scenario = { ...(await loadScenario("grpo-countdown")).scenario };
    scenario = { ...scenario, settings: { ...scenario.settings, tasksPerStep: 2, groupSize: 2 } };
  });

  test("a second run on the same --out is refused while the first holds it; the lock goes when the first finishes", async () => {
    const out = path.join(tmp, "two-runs");
    const first = await ScenarioRun.create(scenario, standIn(out));
    await expect(ScenarioRun.create(scenario, standIn(out))).rejects.toThrow(
      new RegExp(`run directory ${out} is in use by .*pid ${process.pid}`),
    );
    const summary = await first.run();
    expect(summary.completedSteps).toBe(2);
    expect(fs.existsSync(path.join(out, LOCK_FILE))).toBe(false);
    // Only the first run's two steps were logged.
    expect(fs.readFileSync(path.join(out, "metrics.jsonl"), "utf8").trim().split("\n")).toHaveLength(2);
    const second = await ScenarioRun.create(scenario, standIn(out));
    await second.run();
  });

  test("a run that fails releases the lock", async () => {
    const out = path.join(tmp, "failing");
    const opts = standIn(out);
    const run = await ScenarioRun.create(scenario, {
      ...opts,
      overrides: {
        ...opts.overrides,
        problems: (step) => {
          if (step === 1) throw new Error("no problems today");
          return problems.slice(0, 2);
        },
      },
    });
    expect(fs.existsSync(path.join(out, LOCK_FILE))).toBe(true);
    await expect(run.run()).rejects.toThrow("no problems today");
    expect(fs.existsSync(path.join(out, LOCK_FILE))).toBe(false);
  });

  test("create failing after the lock was taken (a broken scenario) releases it and leaves no directory it made", async () => {
    const out = path.join(tmp, "never-made", "run");
    const bad: Scenario = { ...scenario, wire: (w) => w.edge(w.student.out, w.teacher.in) };
    await expect(ScenarioRun.create(bad, standIn(out))).rejects.toThrow(/does not include "teacher"/);
    expect(fs.existsSync(path.join(tmp, "never-made"))).toBe(false);
  });
});

describe("the CLI", () => {
  let scenarioFile = "";
  beforeAll(async () => {
    await initBackend("wasm");
    const model = await saveTinyModel(path.join(tmp, "model"), 7);
    scenarioFile = writeTinyScenarioFile(tmp, {
      name: "tiny-grpo",
      base: "grpo-countdown",
      model,
      settings: { checkpointEvery: 0 },
    });
  });

  test("refuses a directory another live process holds: exit 2, the directory and the PID named, the lock untouched", async () => {
    const out = path.join(tmp, "held-by-test");
    const info = {
      pid: process.pid,
      host: os.hostname(),
      started: new Date().toISOString(),
      command: "selfimprove run",
    };
    writeLock(out, info);
    const r = await cli(["run", scenarioFile, "--out", out, "--steps", "1", "--no-eval", "--backend", "wasm"]);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toContain(
      `selfimprove: run directory ${out} is in use by selfimprove run (pid ${process.pid}, since ${info.started})`,
    );
    expect(JSON.parse(fs.readFileSync(path.join(out, LOCK_FILE), "utf8"))).toEqual(info);
    expect(fs.readdirSync(out)).toEqual([LOCK_FILE]);
  }, 240_000);

  test("SIGTERM during a run releases the lock", async () => {
    const out = path.join(tmp, "terminated");
    const run = startCli(["run", scenarioFile, "--out", out, "--steps", "100000", "--no-eval", "--backend", "wasm"]);
    // Steps are being logged: the run is well under way, lock held.
    await until(
      () => fs.existsSync(path.join(out, "metrics.jsonl")) || run.child.exitCode !== null,
      "the run's first step",
    );
    expect(fs.existsSync(path.join(out, LOCK_FILE)), run.stderr()).toBe(true);
    run.child.kill("SIGTERM");
    const { code } = await run.exited;
    expect(code, run.stderr()).toBe(143);
    expect(fs.existsSync(path.join(out, LOCK_FILE))).toBe(false);
  }, 240_000);
});
