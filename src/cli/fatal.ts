// What the CLI prints when a command fails, whatever the failure: a CliError's own message; a
// file-system error as "cannot write <path>: <reason>" (exit 2: the path given was unusable);
// anything else as a one-line internal error with a hint to rerun with SELFIMPROVE_DEBUG=1 for
// the stack. Never more: tfjs-wasm's emscripten glue installs process hooks that rethrow, and a
// rethrown error makes Node print the throwing source line, which there is 39 KB of minified code.
import path from "node:path";
import { CliError } from "./errors.js";

export const DEBUG_ENV = "SELFIMPROVE_DEBUG";

/** Why a file-system call failed, in words, for the codes a bad output path produces. */
const FS_REASONS: Record<string, string> = {
  EACCES: "permission denied",
  EPERM: "operation not permitted",
  EROFS: "read-only file system",
  ENOENT: "no such file or directory",
  EISDIR: "it is a directory",
  ENOTDIR: "a component of the path is not a directory",
  EEXIST: "it already exists",
  ENOSPC: "no space left on device",
  EDQUOT: "disk quota exceeded",
  ENAMETOOLONG: "file name too long",
  ELOOP: "too many symbolic links",
};

/** Calls that read; a failure anywhere else is a failure to write (mkdir, open for writing, rename...). */
const READING_CALLS = new Set(["scandir", "readdir", "read", "stat", "lstat", "readlink", "access", "realpath"]);

/** Atomic writes go through `.<name>.tmp-<pid>-<hex>` beside the target: name the target instead. */
const TMP_NAME = /^\.(.+)\.tmp-\d+-[0-9a-f]{8}$/;

function userPath(p: string): string {
  const m = TMP_NAME.exec(path.basename(p));
  return m ? path.join(path.dirname(p), m[1] as string) : p;
}

interface FsError extends Error {
  code: string;
  path?: string;
  dest?: string;
  syscall?: string;
}

function isFsError(err: unknown): err is FsError {
  return (
    err instanceof Error &&
    typeof (err as Partial<FsError>).code === "string" &&
    (err as Partial<FsError>).code! in FS_REASONS
  );
}

/** A file-system error's reason in words ("read-only file system"), or null for other errors. */
export function fsErrorReason(err: unknown): string | null {
  return isFsError(err) ? (FS_REASONS[err.code] as string) : null;
}

/** "cannot write <path>: <reason>" for a file-system error with a path, else null. */
export function fsErrorMessage(err: unknown): string | null {
  if (!isFsError(err) || typeof err.path !== "string") return null;
  const reason = FS_REASONS[err.code] as string;
  const reading = err.syscall !== undefined && READING_CALLS.has(err.syscall);
  // A rename fails on its destination when that is a directory (EISDIR) or lies on another file system.
  const target =
    err.syscall === "rename" &&
    err.dest !== undefined &&
    (err.code === "EISDIR" || err.code === "ENOTDIR" || err.code === "EEXIST")
      ? err.dest
      : err.path;
  return `cannot ${reading ? "read" : "write"} ${userPath(target)}: ${reason}`;
}

export interface FatalReport {
  text: string;
  exitCode: number;
}

/** One short first line of any thrown value (its message can be a whole source file). */
function firstLine(err: unknown): string {
  const raw = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
  const line = raw.split("\n", 1)[0] ?? "";
  return line.length > 300 ? `${line.slice(0, 300)}…` : line;
}

/** What to print for a failure and the exit code. `debug` adds the stack (never source text). */
export function describeFailure(err: unknown, debug: boolean): FatalReport {
  if (err instanceof CliError) return { text: `selfimprove: ${err.message}\n`, exitCode: err.exitCode };
  const fs = fsErrorMessage(err);
  const stack = debug && err instanceof Error && err.stack ? `${err.stack}\n` : "";
  if (fs !== null) return { text: `selfimprove: ${fs}\n${stack}`, exitCode: 2 };
  const hint = debug ? "" : ` (rerun with ${DEBUG_ENV}=1 for the stack trace)`;
  return { text: `selfimprove: internal error: ${firstLine(err)}${hint}\n${stack}`, exitCode: 1 };
}

function debugEnabled(): boolean {
  const v = process.env[DEBUG_ENV];
  return v !== undefined && v !== "" && v !== "0";
}

/** Prints the failure and ends the process. */
export function exitWithFailure(err: unknown): never {
  // A bar may be mid-line on a terminal: start the message on a line of its own.
  const prefix = process.stderr.isTTY === true ? "\n" : "";
  const report = describeFailure(err, debugEnabled());
  process.stderr.write(prefix + report.text);
  process.exit(report.exitCode);
}

/** Emscripten's normal exit() travels as a thrown ExitStatus; its own hook ignored those too. */
function isExitStatus(err: unknown): boolean {
  return typeof err === "object" && err !== null && (err as { name?: unknown }).name === "ExitStatus";
}

const FATAL_EVENTS = ["uncaughtException", "unhandledRejection"] as const;

/**
 * Makes exitWithFailure the process's only fatal-error hook: installed now, and any hook a
 * library adds later (emscripten's, when the wasm backend loads) is removed as soon as it is
 * added. Ours would run first and exit anyway; removing theirs keeps it that way for certain.
 */
export function installFatalHandlers(): void {
  const onUncaught = (err: unknown): void => {
    if (!isExitStatus(err)) exitWithFailure(err);
  };
  const onRejection = (reason: unknown): void => exitWithFailure(reason);
  const ours = new Set<unknown>([onUncaught, onRejection]);
  process.on("newListener", (event: string | symbol, listener: unknown) => {
    if (!(FATAL_EVENTS as readonly (string | symbol)[]).includes(event) || ours.has(listener)) return;
    // The listener is added right after this event: remove it once that has happened.
    queueMicrotask(() => process.removeListener(event, listener as (...args: unknown[]) => void));
  });
  process.on("uncaughtException", onUncaught);
  process.on("unhandledRejection", onRejection);
}
