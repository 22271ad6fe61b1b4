// Atomic writes: everything is written beside the target under a temporary name, flushed, then
// renamed into place, so a crash leaves either the old file/directory or the new one, never a
// half-written mix.
import fs from "node:fs";
import path from "node:path";
import { randomBytes } from "node:crypto";

function tmpName(target: string): string {
  return path.join(path.dirname(target), `.${path.basename(target)}.tmp-${process.pid}-${randomBytes(4).toString("hex")}`);
}

/** Writes a file atomically (temp file + fsync + rename). */
export function writeFileAtomic(file: string, data: string | Uint8Array): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const tmp = tmpName(file);
  const fd = fs.openSync(tmp, "w");
  try {
    fs.writeSync(fd, typeof data === "string" ? Buffer.from(data) : data);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  fs.renameSync(tmp, file);
}

/**
 * Writes a directory atomically: `fill` populates a fresh temp directory which then replaces
 * `dir`. The old directory is moved aside first and removed last; `recoverDir` undoes an
 * interrupted swap.
 */
export function writeDirAtomic(dir: string, fill: (tmpDir: string) => void): void {
  fs.mkdirSync(path.dirname(path.resolve(dir)), { recursive: true });
  // If an earlier swap was cut between its renames, dir.old is the only good copy: restore it
  // first, or the removal below would delete it.
  recoverDir(dir);
  const tmp = tmpName(dir);
  fs.mkdirSync(tmp);
  try {
    fill(tmp);
    for (const f of fs.readdirSync(tmp)) {
      const fd = fs.openSync(path.join(tmp, f), "r");
      fs.fsyncSync(fd);
      fs.closeSync(fd);
    }
  } catch (err) {
    fs.rmSync(tmp, { recursive: true, force: true });
    throw err;
  }
  const old = `${dir}.old`;
  fs.rmSync(old, { recursive: true, force: true });
  if (fs.existsSync(dir)) fs.renameSync(dir, old);
  fs.renameSync(tmp, dir);
  fs.rmSync(old, { recursive: true, force: true });
}

/** If a swap was interrupted between its two renames, puts the old directory back. */
export function recoverDir(dir: string): void {
  const old = `${dir}.old`;
  if (!fs.existsSync(dir) && fs.existsSync(old)) fs.renameSync(old, dir);
}
