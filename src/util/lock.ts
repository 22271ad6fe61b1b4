// An exclusive lock on a directory: a lock file created with O_EXCL holding the owner's PID, host
// and start time. A second process gets a LockHeldError naming the holder. A lock whose PID is
// no longer alive on this host (a run killed with SIGKILL, a power cut) is stale and taken over.
// The holder releases it explicitly, and in any case when its process exits normally (an error,
// process.exit, a signal the process handles).
import fs from "node:fs";
import os from "node:os";
import { z } from "zod";
import { fsyncDir } from "./atomic.js";
import path from "node:path";

const LockInfoSchema = z.object({
  pid: z.number().int().positive(),
  host: z.string(),
  started: z.string(),
  command: z.string().optional(),
});
export type LockInfo = z.infer<typeof LockInfoSchema>;

export class LockHeldError extends Error {
  constructor(
    readonly file: string,
    readonly holder: LockInfo,
    readonly sameHost: boolean,
  ) {
    super(`${file} is held by pid ${holder.pid} on ${holder.host} since ${holder.started}`);
    this.name = "LockHeldError";
  }
}

/** The lock file exists but does not say who holds it (a crash in the instant it was created). */
export class LockUnreadableError extends Error {
  constructor(
    readonly file: string,
    reason: string,
  ) {
    super(`${file} is not a lock this program wrote (${reason})`);
    this.name = "LockUnreadableError";
  }
}

export interface DirLock {
  readonly file: string;
  readonly info: LockInfo;
  /** The stale lock this one replaced, if any (for a note to the user). */
  readonly tookOver?: LockInfo;
  /** Removes the lock file if it is still ours. Idempotent. */
  release(): void;
}

export interface LockOptions {
  /** Whether a process is alive (a test seam; default: signal 0). */
  isAlive?: (pid: number) => boolean;
  host?: string;
  /** What holds the lock, for the error a second process sees. */
  command?: string;
}

/** Signal 0 checks existence only; EPERM means the process exists but belongs to another user. */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * When a process started (Linux, from /proc), or undefined where that cannot be read. A PID is
 * reused once its process is gone: a process that started after a lock was written is not the
 * one that wrote it (a restarted container hands out the same small PIDs again).
 */
function processStartMs(pid: number): number | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    // Field 22 (starttime, clock ticks after boot) counted after the ")" that ends the command name.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    const ticks = Number(fields[19]);
    const btime = Number(/^btime (\d+)$/m.exec(fs.readFileSync("/proc/stat", "utf8"))?.[1]);
    // USER_HZ is 100 on every Linux build Node supports.
    return Number.isFinite(ticks) && Number.isFinite(btime) ? btime * 1000 + ticks * 10 : undefined;
  } catch {
    return undefined;
  }
}

/** Whether `holder` still holds its lock: its process is alive, and is the same process. */
function holderAlive(holder: LockInfo, isAlive: (pid: number) => boolean, checkStart: boolean): boolean {
  if (!isAlive(holder.pid)) return false;
  if (!checkStart) return true;
  const started = processStartMs(holder.pid);
  const locked = Date.parse(holder.started);
  // Generous slack (btime is whole seconds, clocks drift): wrongly calling a live holder stale
  // would let two runs share a directory, while a missed reuse only asks the user to look.
  return started === undefined || !Number.isFinite(locked) || started <= locked + 10_000;
}

function readLock(file: string): LockInfo | { unreadable: string } {
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch (err) {
    return { unreadable: (err as NodeJS.ErrnoException).code ?? String(err) };
  }
  try {
    const parsed = LockInfoSchema.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : { unreadable: "not a lock record" };
  } catch {
    return { unreadable: text.length === 0 ? "empty" : "not JSON" };
  }
}

const held = new Set<DirLock>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // 'exit' handlers must be synchronous: unlinking is.
  process.on("exit", () => {
    for (const lock of [...held]) lock.release();
  });
}

function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/**
 * Takes the lock `file` or throws LockHeldError (a live holder, or one on another host whose
 * liveness cannot be checked) / LockUnreadableError. Other errors (EACCES, EROFS, ENOTDIR...)
 * pass through: the caller reports them as an unwritable directory.
 */
export function acquireLock(file: string, opts: LockOptions = {}): DirLock {
  const host = opts.host ?? os.hostname();
  const isAlive = opts.isAlive ?? processAlive;
  const info: LockInfo = {
    pid: process.pid,
    host,
    started: new Date().toISOString(),
    ...(opts.command ? { command: opts.command } : {}),
  };
  let tookOver: LockInfo | undefined;
  for (let attempt = 0; ; attempt++) {
    let fd: number;
    try {
      fd = fs.openSync(file, "wx");
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST" || attempt >= 3) throw err;
      const holder = readLock(file);
      if ("unreadable" in holder) {
        // A holder may be between creating the file and writing it: look again shortly.
        if (attempt === 0) {
          sleepSync(100);
          continue;
        }
        throw new LockUnreadableError(file, holder.unreadable);
      }
      if (holder.host !== host) throw new LockHeldError(file, holder, false);
      // Our own PID: held by this process only if it took the lock (else a reused PID's leftover).
      const ours = holder.pid === process.pid;
      if (ours ? [...held].some((l) => l.file === file) : holderAlive(holder, isAlive, opts.isAlive === undefined))
        throw new LockHeldError(file, holder, true);
      // Stale: its process is gone. (Two processes taking over the same stale lock at once could
      // both unlink it; O_EXCL on the retry still lets only one of them create the new one.)
      tookOver = holder;
      fs.rmSync(file, { force: true });
      continue;
    }
    try {
      fs.writeSync(fd, JSON.stringify(info) + "\n");
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fsyncDir(path.dirname(file));
    break;
  }
  let released = false;
  const lock: DirLock = {
    file,
    info,
    ...(tookOver ? { tookOver } : {}),
    release: () => {
      if (released) return;
      released = true;
      held.delete(lock);
      // Only our own lock: if it was removed and taken by someone else meanwhile, it is theirs.
      const now = readLock(file);
      if (!("unreadable" in now) && now.pid === info.pid && now.started === info.started && now.host === info.host)
        fs.rmSync(file, { force: true });
    },
  };
  held.add(lock);
  installExitHook();
  return lock;
}
