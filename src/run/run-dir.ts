// The run directory's guard rails. Before any work: the directory must be creatable and
// writable, and no other run may be using it (an exclusive lock, run.lock). A fresh run records
// what it is (run.json: scenario, task, model, seed, settings); `--resume` checks that record and
// the checkpoint against what it was asked to run, and refuses, naming what differs or what is
// broken, before it loads anything or touches a log. While the run goes: its per-step logs
// (RunLogs), the files it writes once and a resume reads back, and the crash-test seam.
import fs from "node:fs";
import path from "node:path";
import { z } from "zod";
import { acquireLock, LockHeldError, LockUnreadableError, type DirLock } from "../util/lock.js";
import { recoverDir, removeStaleTemps, writeFileAtomic } from "../util/atomic.js";
import { checkCheckpoint } from "../engine/checkpoint.js";
import { appendJsonlDurable, readJsonlLog } from "../util/log.js";
import type { Scenario } from "./scenario.js";
import { withoutForeignFields } from "../rl/config.js";

/** A problem with the run directory, for the person at the terminal (the CLI exits with 2). */
export class RunDirError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "RunDirError";
  }
}

export const LOCK_FILE = "run.lock";
export const RUN_FILE = "run.json";
export const CHECKPOINT_DIR = "checkpoint";

/** Files a fresh run replaces; anything left from an earlier run there would mislead a resume. */
const FRESH_START_REMOVES = [
  "metrics.jsonl",
  "completions.jsonl",
  CHECKPOINT_DIR,
  `${CHECKPOINT_DIR}.old`,
  "summary.json",
  "eval-before.json",
  "failure-set.json",
];

/** Settings a resume may change: they do not change what the run computes. */
export const RESUMABLE_SETTINGS = ["steps", "workers", "checkpointEvery", "evalN", "evalEvery"] as const;

function reason(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  switch (e.code) {
    case "EACCES":
    case "EPERM":
      return "permission denied";
    case "EROFS":
      return "read-only file system";
    case "ENOTDIR":
      return "a parent path is a file, not a directory";
    case "ENOSPC":
      return "no space left on the device";
    default:
      return e.code ? `${e.code} (${e.message})` : String(err);
  }
}

export interface RunDir {
  readonly out: string;
  readonly lock: DirLock;
  /** Things the user should hear about (a stale lock taken over, leftovers removed). */
  readonly notes: string[];
  /** Releases the lock. */
  release(): void;
  /** Releases the lock and removes the directories this opening created (a run that never started). */
  abandon(): void;
}

/**
 * Creates `out` if needed and takes its lock, or throws a RunDirError: not writable ("cannot
 * write <out>: <reason>"), or in use by another run (naming its PID). Then removes what
 * interrupted atomic writes left there, which only a lock holder may do.
 */
export function openRunDir(out: string, command = "selfimprove run"): RunDir {
  if (fs.existsSync(out) && !fs.statSync(out).isDirectory())
    throw new RunDirError(`cannot write ${out}: it is a file, not a directory`);
  let created: string | undefined;
  try {
    created = fs.mkdirSync(out, { recursive: true });
  } catch (err) {
    throw new RunDirError(`cannot write ${out}: ${reason(err)}`);
  }
  const undoMkdir = (): void => {
    if (created === undefined) return;
    // Innermost first; rmdir removes only empty directories, so nothing anyone wrote is lost.
    for (let d = out; d.length >= created.length; d = path.dirname(d)) {
      try {
        fs.rmdirSync(d);
      } catch {
        break;
      }
    }
  };
  const file = path.join(out, LOCK_FILE);
  let lock: DirLock;
  try {
    lock = acquireLock(file, { command });
  } catch (err) {
    undoMkdir();
    if (err instanceof LockHeldError) {
      const h = err.holder;
      const what = `${h.command ?? "a run"} (pid ${h.pid}${err.sameHost ? "" : ` on host ${h.host}`}, since ${h.started})`;
      if (err.sameHost)
        throw new RunDirError(
          `run directory ${out} is in use by ${what}: wait for it to finish or stop it, or use another --out`,
        );
      throw new RunDirError(
        `run directory ${out} is locked by ${what}, which cannot be checked from this host: if that run is gone, delete ${file}`,
      );
    }
    if (err instanceof LockUnreadableError)
      throw new RunDirError(`run directory ${out}: ${err.message}; if no run is using the directory, delete ${file}`);
    throw new RunDirError(`cannot write ${out}: ${reason(err)}`);
  }
  const notes: string[] = [];
  if (lock.tookOver)
    notes.push(
      `took over a stale lock on ${out} (pid ${lock.tookOver.pid}, since ${lock.tookOver.started}, is no longer running)`,
    );
  const stale = removeStaleTemps(out);
  if (stale.length > 0)
    notes.push(
      `removed ${stale.length} leftover temporary file(s) of an interrupted write in ${out}: ${stale.join(", ")}`,
    );
  recoverDir(path.join(out, CHECKPOINT_DIR));
  return {
    out,
    lock,
    notes,
    release: () => lock.release(),
    abandon: () => {
      lock.release();
      undoMkdir();
    },
  };
}

/** What makes two runs the same run: a resume must match this. */
export interface RunIdentity {
  scenario: string;
  task: string;
  model: string;
  seed: number;
  algorithm: Record<string, unknown>;
  settings: Record<string, unknown>;
}

const RunFileSchema = z.object({
  format: z.literal("selfimprove-run"),
  version: z.literal(1),
  scenario: z.string(),
  task: z.string(),
  model: z.string(),
  seed: z.number(),
  algorithm: z.record(z.unknown()),
  settings: z.record(z.unknown()),
});

/** The identity of running `scenario` with these effective values (the CLI's overrides applied). */
export function runIdentity(
  scenario: Scenario,
  effective: { model: string; seed: number; maxStaleness: number },
): RunIdentity {
  const settings: Record<string, unknown> = { ...scenario.settings, maxStaleness: effective.maxStaleness };
  delete settings.seed;
  for (const k of RESUMABLE_SETTINGS) delete settings[k];
  // Through JSON so what is compared is what run.json holds (no undefined fields).
  const plain = (x: unknown): Record<string, unknown> => JSON.parse(JSON.stringify(x)) as Record<string, unknown>;
  return {
    scenario: scenario.name,
    task: scenario.task,
    model: effective.model,
    seed: effective.seed,
    algorithm: plain(scenario.algorithm),
    settings: plain(settings),
  };
}

const show = (x: unknown): string => (x === undefined ? "(unset)" : JSON.stringify(x));

/** What differs between the run recorded in a directory and the one asked for, one line each. */
export function identityDifferences(recorded: RunIdentity, current: RunIdentity): string[] {
  const out: string[] = [];
  const cmp = (name: string, was: unknown, now: unknown): void => {
    if (JSON.stringify(was) !== JSON.stringify(now))
      out.push(`${name}: ${show(was)} in the run directory, ${show(now)} now`);
  };
  cmp("scenario", recorded.scenario, current.scenario);
  cmp("task", recorded.task, current.task);
  cmp("model", recorded.model, current.model);
  cmp("seed", recorded.seed, current.seed);
  // A run.json written before each algorithm had only its own fields also lists other algorithms' defaults.
  const was = { algorithm: withoutForeignFields(recorded.algorithm), settings: recorded.settings };
  for (const group of ["algorithm", "settings"] as const) {
    const keys = [...new Set([...Object.keys(was[group]), ...Object.keys(current[group])])].sort();
    for (const k of keys) cmp(`${group}.${k}`, was[group][k], current[group][k]);
  }
  return out;
}

export function writeRunFile(out: string, identity: RunIdentity): void {
  writeFileAtomic(
    path.join(out, RUN_FILE),
    JSON.stringify({ format: "selfimprove-run", version: 1, ...identity, created: new Date().toISOString() }, null, 1) +
      "\n",
  );
}

function readRunFile(out: string): RunIdentity | undefined {
  const file = path.join(out, RUN_FILE);
  if (!fs.existsSync(file)) return undefined;
  let raw: unknown;
  try {
    raw = JSON.parse(fs.readFileSync(file, "utf8"));
  } catch (err) {
    throw new RunDirError(
      `--resume: ${file} is not valid JSON (${err instanceof Error ? err.message : String(err)}); nothing was changed`,
    );
  }
  const r = RunFileSchema.safeParse(raw);
  if (!r.success) {
    const i = r.error.issues[0];
    throw new RunDirError(
      `--resume: ${file} field "${i?.path.join(".") ?? "?"}": ${i?.message ?? "invalid"}; nothing was changed`,
    );
  }
  const { format: _f, version: _v, ...identity } = r.data;
  return identity;
}

/** Replaces what an earlier run left, so nothing of it is mixed into this one; then records this run. */
export function startFresh(out: string, identity: RunIdentity): void {
  for (const f of FRESH_START_REMOVES) fs.rmSync(path.join(out, f), { recursive: true, force: true });
  writeRunFile(out, identity);
}

export interface ResumePoint {
  /** The step the checkpoint continues from. */
  step: number;
  notes: string[];
}

/**
 * Checks that `out` can be resumed as the run `identity` describes, up to `totalSteps`: a
 * complete, usable checkpoint (manifest valid, data files of the sizes it names) of the same
 * scenario and seed, and a run.json with the same settings. Throws a RunDirError naming every
 * difference or the damage; reads only, so a refused resume changes nothing.
 */
export function checkResume(out: string, identity: RunIdentity, totalSteps: number): ResumePoint {
  const ckptDir = path.join(out, CHECKPOINT_DIR);
  const notes: string[] = [];
  if (!fs.existsSync(path.join(ckptDir, "checkpoint.json"))) {
    if (fs.existsSync(ckptDir))
      throw new RunDirError(
        `--resume: ${ckptDir} has no checkpoint.json (damaged, or not written by selfimprove); nothing was changed`,
      );
    const logged = readJsonlLog<unknown>(path.join(out, "metrics.jsonl")).length;
    if (logged > 0)
      throw new RunDirError(
        `--resume: ${out} has ${logged} logged step(s) but no checkpoint to continue from; nothing was changed (run without --resume to start over)`,
      );
    throw new RunDirError(
      `--resume: ${out} has no checkpoint to continue from (run without --resume to start a run there)`,
    );
  }
  let meta: Record<string, unknown>;
  try {
    meta = checkCheckpoint(ckptDir, { withOptimizer: true }).meta;
  } catch (err) {
    throw new RunDirError(
      `--resume: the checkpoint cannot be used: ${err instanceof Error ? err.message : String(err)}; nothing was changed`,
    );
  }
  const recorded = readRunFile(out);
  const diffs = recorded ? identityDifferences(recorded, identity) : [];
  if (!recorded)
    notes.push(
      `${out} has no ${RUN_FILE} (written by an older version): only the checkpoint's scenario and seed were checked`,
    );
  // The checkpoint's own record: all there is in a directory without run.json, and a second witness.
  for (const key of ["scenario", "seed"] as const) {
    const was = meta[key];
    if (
      was === undefined ||
      JSON.stringify(was) === JSON.stringify(identity[key]) ||
      diffs.some((d) => d.startsWith(`${key}:`))
    )
      continue;
    diffs.push(`${key}: ${show(was)} in the checkpoint, ${show(identity[key])} now`);
  }
  if (diffs.length > 0) {
    throw new RunDirError(
      `--resume: ${out} holds a different run; nothing was changed\n  ${diffs.join("\n  ")}\n` +
        "resume with the same scenario, --task, --seed and --set values, or start the new run with another --out",
    );
  }
  const step = Number(meta.step ?? 0);
  if (!Number.isInteger(step) || step < 0)
    throw new RunDirError(
      `--resume: the checkpoint in ${ckptDir} has no valid step (${show(meta.step)}); nothing was changed`,
    );
  if (step > totalSteps)
    throw new RunDirError(
      `--resume: the checkpoint in ${ckptDir} is at step ${step}, past the ${totalSteps} steps asked for (--steps ${step} or more)`,
    );
  return { step, notes };
}

/** Steps below `upTo` that a log lacks (lost by an interrupted write of an older version). */
export function missingLogSteps(file: string, upTo: number): number[] {
  const have = new Set(readJsonlLog<{ step?: unknown }>(file).map((r) => r.step));
  return Array.from({ length: upTo }, (_, i) => i).filter((s) => !have.has(s));
}

/** Keeps only log lines for steps before `step` (a resumed run rewrites what it will redo). */
function truncateLog(file: string, step: number): void {
  if (!fs.existsSync(file)) return;
  const kept = readJsonlLog<{ step: number }>(file).filter((r) => r.step < step);
  writeFileAtomic(file, kept.map((r) => JSON.stringify(r)).join("\n") + (kept.length > 0 ? "\n" : ""));
}

/** The run's per-step logs: metrics.jsonl (one line a step) and completions.jsonl. */
export class RunLogs {
  readonly metrics: string;
  readonly completions: string;

  constructor(readonly out: string) {
    this.metrics = path.join(out, "metrics.jsonl");
    this.completions = path.join(out, "completions.jsonl");
  }

  /**
   * Before a resumed run's first step: lines past the checkpoint are dropped (they are redone
   * and rewritten); a step before it that a log lacks is reported through `warn`.
   */
  resumeAt(step: number, warn: (message: string) => void): void {
    const missing = missingLogSteps(this.metrics, step);
    if (missing.length > 0)
      warn(
        `${this.metrics} lacks step(s) ${missing.join(", ")} (lost by an interrupted write); continuing from step ${step}`,
      );
    truncateLog(this.metrics, step);
    truncateLog(this.completions, step);
  }

  /** Appends a step's lines and flushes them to disk (before its checkpoint is put in place). */
  appendStep(metrics: object, completions: readonly object[]): void {
    appendJsonlDurable(this.metrics, [metrics]);
    appendJsonlDurable(this.completions, completions);
  }
}

/**
 * A JSON file the run writes once and a resumed run reads back (the "before" evaluation, the
 * failure set): read when `reuse` and it exists, else made and written atomically.
 */
export async function reusedOrWritten<T>(
  file: string,
  reuse: boolean,
  make: () => T | Promise<T>,
  format?: (value: T) => string,
): Promise<T> {
  if (reuse && fs.existsSync(file)) return JSON.parse(fs.readFileSync(file, "utf8")) as T;
  const value = await make();
  if (value !== undefined) writeFileAtomic(file, format ? format(value) : JSON.stringify(value));
  return value;
}

/**
 * Test seam for crash tests: SELFIMPROVE_CRASH_AT=<point>:<step> kills the process (SIGKILL, no
 * clean-up of any kind) at that point of that step, the way a power cut or the OOM killer would.
 */
export const CRASH_POINTS = ["checkpoint-staged", "logs-appended", "checkpoint-committed"] as const;
export type CrashPoint = (typeof CRASH_POINTS)[number];

/** Reads SELFIMPROVE_CRASH_AT; the returned function kills the process at that point, else does nothing. */
export function crashSwitchFromEnv(): (point: CrashPoint, step: number) => void {
  const v = process.env.SELFIMPROVE_CRASH_AT;
  if (v === undefined || v === "") return () => undefined;
  const m = /^([a-z-]+):(\d+)$/.exec(v);
  if (!m || !(CRASH_POINTS as readonly string[]).includes(m[1] as string))
    throw new Error(
      `SELFIMPROVE_CRASH_AT must be <point>:<step> with point one of ${CRASH_POINTS.join(", ")} (got "${v}")`,
    );
  const at = { point: m[1] as CrashPoint, step: Number(m[2]) };
  return (point, step) => {
    if (at.point === point && at.step === step) process.kill(process.pid, "SIGKILL");
  };
}
