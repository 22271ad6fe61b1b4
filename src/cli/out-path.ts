// Output paths checked before any work: a report, diagram or trained model that cannot be
// written should fail in the first second with the path and the reason, not after minutes of
// work. The check creates the parent directory (the write would anyway) and a probe file in it,
// because only trying tells the truth: permission bits do not stop root, while a read-only
// mount, a full disk or a path through a regular file still do.
import fs from "node:fs";
import path from "node:path";
import { randomBytes } from "node:crypto";
import { CliError } from "./errors.js";
import { fsErrorReason } from "./fatal.js";

/** The failure as "cannot write <target>: <reason>", naming the path the user gave. */
function cannotWrite(target: string, err: unknown): CliError {
  return new CliError(
    `cannot write ${target}: ${fsErrorReason(err) ?? (err instanceof Error ? err.message : String(err))}`,
    2,
  );
}

/** What is at `p`, or undefined when nothing is; a path through a regular file is an error. */
function statOrNothing(p: string, target: string): fs.Stats | undefined {
  try {
    return fs.statSync(p, { throwIfNoEntry: false });
  } catch (err) {
    throw cannotWrite(target, err);
  }
}

/**
 * mkdir -p, one level at a time. Node's own recursive mkdir never returns where a file system
 * refuses new entries with ENOENT although the parent exists (/proc): it retries forever.
 */
function makeDirs(dir: string): void {
  const missing: string[] = [];
  let head = dir;
  while (fs.statSync(head, { throwIfNoEntry: false }) === undefined) {
    missing.unshift(head);
    const up = path.dirname(head);
    if (up === head) break;
    head = up;
  }
  for (const d of missing) fs.mkdirSync(d);
}

/** Creates `dir` (and its parents) and writes and removes a probe file in it. */
function probeDirectory(dir: string, target: string): void {
  try {
    makeDirs(dir);
  } catch (err) {
    throw cannotWrite(target, err);
  }
  const probe = path.join(dir, `.${path.basename(target)}.probe-${process.pid}-${randomBytes(4).toString("hex")}`);
  try {
    fs.writeFileSync(probe, "", { flag: "wx" });
  } catch (err) {
    throw cannotWrite(target, err);
  }
  fs.rmSync(probe, { force: true });
}

/** Throws a CliError (exit 2) unless `file` can be written as a file. Returns the absolute path. */
export function checkOutputFile(file: string): string {
  const abs = path.resolve(file);
  if (statOrNothing(abs, abs)?.isDirectory()) {
    throw new CliError(`cannot write ${abs}: it is a directory (name a file inside it)`, 2);
  }
  probeDirectory(path.dirname(abs), abs);
  return abs;
}

/**
 * Throws a CliError (exit 2) unless `dir` can be written as a directory that replaces whatever
 * is there (a model directory is staged beside it and renamed into place). Returns the absolute path.
 */
export function checkOutputDir(dir: string): string {
  const abs = path.resolve(dir);
  const st = statOrNothing(abs, abs);
  if (st !== undefined && !st.isDirectory())
    throw new CliError(`cannot write ${abs}: it is a file, not a directory`, 2);
  probeDirectory(path.dirname(abs), abs);
  return abs;
}
