// Atomic writes: everything is written beside the target under a temporary name, flushed, then
// renamed into place, so a crash leaves either the old file/directory or the new one, never a
// half-written mix. The parent directory is flushed after each rename: without it a power cut
// can forget the rename even though the data blocks are on disk.
import fs from "node:fs";
import path from "node:path";
import { randomBytes } from "node:crypto";

/** Temporary names look like `.<target>.tmp-<pid>-<8 hex>`; `removeStaleTemps` knows them by this. */
const TMP_PATTERN = /^\..+\.tmp-\d+-[0-9a-f]{8}$/;

function tmpName(target: string): string {
  return path.join(
    path.dirname(target),
    `.${path.basename(target)}.tmp-${process.pid}-${randomBytes(4).toString("hex")}`,
  );
}

/**
 * Flushes a directory's entries (a rename or a new file in it) to disk. Some platforms and file
 * systems cannot open or fsync a directory (Windows, some network mounts): there it is skipped,
 * since nothing better can be done.
 */
export function fsyncDir(dir: string): void {
  let fd: number | undefined;
  try {
    fd = fs.openSync(dir, "r");
    fs.fsyncSync(fd);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== "EISDIR" && code !== "EINVAL" && code !== "EPERM" && code !== "ENOTSUP" && code !== "EBADF") throw err;
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}

/** Writes a file atomically (temp file + fsync + rename + fsync of the directory). */
export function writeFileAtomic(file: string, data: string | Uint8Array): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const tmp = tmpName(file);
  const fd = fs.openSync(tmp, "w");
  try {
    fs.writeSync(fd, typeof data === "string" ? Buffer.from(data) : data);
    fs.fsyncSync(fd);
  } catch (err) {
    fs.closeSync(fd);
    fs.rmSync(tmp, { force: true });
    throw err;
  }
  fs.closeSync(fd);
  fs.renameSync(tmp, file);
  fsyncDir(path.dirname(file));
}

/** A directory written and flushed under a temporary name, not yet in place. */
export interface StagedDir {
  readonly dir: string;
  readonly tmp: string;
  /** Swaps it into place (the old directory moves aside and is removed last). */
  commit(): void;
  /** Throws it away; the directory in place is untouched. */
  discard(): void;
}

/**
 * The first half of `writeDirAtomic`: `fill` populates a fresh temp directory beside `dir`,
 * whose files are then flushed. Nothing at `dir` changes until `commit`, so a caller can put
 * other writes (a run's logs) between the two and choose what a crash may leave behind.
 */
export function stageDir(dir: string, fill: (tmpDir: string) => void): StagedDir {
  fs.mkdirSync(path.dirname(path.resolve(dir)), { recursive: true });
  const tmp = tmpName(dir);
  fs.mkdirSync(tmp);
  try {
    fill(tmp);
    for (const f of fs.readdirSync(tmp)) {
      const fd = fs.openSync(path.join(tmp, f), "r");
      try {
        fs.fsyncSync(fd);
      } finally {
        fs.closeSync(fd);
      }
    }
    fsyncDir(tmp);
  } catch (err) {
    fs.rmSync(tmp, { recursive: true, force: true });
    throw err;
  }
  let done = false;
  return {
    dir,
    tmp,
    commit: () => {
      if (done) throw new Error(`${dir}: staged directory already committed or discarded`);
      done = true;
      // If an earlier swap was cut between its renames, dir.old is the only good copy: restore it
      // first, or the removal below would delete it.
      recoverDir(dir);
      const old = `${dir}.old`;
      fs.rmSync(old, { recursive: true, force: true });
      if (fs.existsSync(dir)) fs.renameSync(dir, old);
      fs.renameSync(tmp, dir);
      fsyncDir(path.dirname(path.resolve(dir)));
      fs.rmSync(old, { recursive: true, force: true });
    },
    discard: () => {
      if (done) return;
      done = true;
      fs.rmSync(tmp, { recursive: true, force: true });
    },
  };
}

/**
 * Writes a directory atomically: `fill` populates a fresh temp directory which then replaces
 * `dir`. The old directory is moved aside first and removed last; `recoverDir` undoes an
 * interrupted swap.
 */
export function writeDirAtomic(dir: string, fill: (tmpDir: string) => void): void {
  // Recover before staging too: an interrupted swap's dir.old must be back in place before
  // anything else looks at `dir`.
  recoverDir(dir);
  stageDir(dir, fill).commit();
}

/** If a swap was interrupted between its two renames, puts the old directory back. */
export function recoverDir(dir: string): void {
  const old = `${dir}.old`;
  if (!fs.existsSync(dir) && fs.existsSync(old)) fs.renameSync(old, dir);
}

/**
 * Removes what interrupted atomic writes left in `dir` (temp files and directories by their
 * `.<name>.tmp-<pid>-<hex>` names). Only for a directory nobody else is writing (a run
 * directory whose lock the caller holds). Returns the names removed.
 */
export function removeStaleTemps(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  const stale = fs.readdirSync(dir).filter((name) => TMP_PATTERN.test(name));
  for (const name of stale) fs.rmSync(path.join(dir, name), { recursive: true, force: true });
  return stale;
}
