// Output paths that cannot be written, and failures nobody expected, as a person at the terminal
// sees them: exit code 2 and "selfimprove: cannot write <path>: <reason>" before any work, or a
// one-line internal error with a hint; never a stack trace or the wasm backend's minified source.
// Tests run as root, whom permission bits do not stop, so unwritable paths go through a regular
// file (ENOTDIR), into /proc, or at an existing directory where a file is expected.
import { execFile } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, describe, expect, test } from "vitest";
import { describeFailure, fsErrorMessage } from "../src/cli/fatal.js";
import { CliError } from "../src/cli/errors.js";
import { checkOutputDir, checkOutputFile } from "../src/cli/out-path.js";
import { PROJECT_ROOT } from "../src/paths.js";
import { cli, type CliResult } from "./helpers/run-cli.js";

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "selfimprove-write-errors-"));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** A regular file: any path "inside" it fails with ENOTDIR, for root too. */
const aFile = path.join(tmp, "a-file");
fs.writeFileSync(aFile, "not a directory\n");
const aDir = path.join(tmp, "a-dir");
fs.mkdirSync(aDir);

/** The shape every failure must have: one short message, no stack frames, no source text. */
function expectShortError(r: CliResult, code: number, message: string): void {
  expect(r.stderr).toContain(`selfimprove: ${message}\n`);
  expect(r.code).toBe(code);
  expect(Buffer.byteLength(r.stderr)).toBeLessThan(2048);
  expect(r.stderr).not.toMatch(/^\s+at /m);
  expect(r.stderr).not.toMatch(/node:internal|Node\.js v\d/);
}

// Each case starts the CLI (tsx, commander, and for pretrain the backend): slow on a busy machine.
describe("--out that cannot be written, from the command line", { timeout: 240_000 }, () => {
  test("viz --out under a regular file: exit 2, the path and the reason", async () => {
    const out = path.join(aFile, "x", "out.svg");
    const r = await cli(["viz", "learner", "--format", "svg", "--out", out]);
    expectShortError(r, 2, `cannot write ${out}: a component of the path is not a directory`);
  });

  test("viz --out naming an existing directory", async () => {
    const r = await cli(["viz", "learner", "--out", aDir]);
    expectShortError(r, 2, `cannot write ${aDir}: it is a directory (name a file inside it)`);
  });

  test("report --out is checked before the run directory is even read", async () => {
    const run = path.join(tmp, "no-such-run");
    const out = path.join(aFile, "report.html");
    const r = await cli(["report", run, "--out", out]);
    expectShortError(r, 2, `cannot write ${out}: a component of the path is not a directory`);
    // /proc refuses new entries with ENOENT; Node's recursive mkdir would spin on it forever.
    const r2 = await cli(["report", run, "--out", "/proc/selfimprove-x/report.html"]);
    expectShortError(r2, 2, "cannot write /proc/selfimprove-x/report.html: no such file or directory");
  });

  test("pretrain --out is checked before any training", async () => {
    const out = path.join(aFile, "model");
    const r = await cli(["pretrain", "--task", "countdown", "--steps", "1", "--out", out]);
    expectShortError(r, 2, `cannot write ${out}: a component of the path is not a directory`);
    expect(r.stderr).not.toContain("pretrain countdown 1/1");
  });
});

describe("output path checks", () => {
  test("a writable path passes and leaves only its parent directory behind", () => {
    const file = path.join(tmp, "new", "deeper", "out.svg");
    expect(checkOutputFile(file)).toBe(file);
    expect(fs.readdirSync(path.dirname(file))).toEqual([]);
    expect(checkOutputDir(path.join(tmp, "model-dir"))).toBe(path.join(tmp, "model-dir"));
    expect(fs.existsSync(path.join(tmp, "model-dir"))).toBe(false);
  });

  test("a model directory that is a file is refused", () => {
    expect(() => checkOutputDir(aFile)).toThrow(
      new CliError(`cannot write ${aFile}: it is a file, not a directory`, 2),
    );
  });
});

describe("what a failure prints", () => {
  test("file-system errors name the user's path, never an atomic write's temporary name", () => {
    const err = Object.assign(new Error("EROFS: read-only file system, open '/data/.out.svg.tmp-123-0a1b2c3d'"), {
      code: "EROFS",
      syscall: "open",
      path: "/data/.out.svg.tmp-123-0a1b2c3d",
    });
    expect(fsErrorMessage(err)).toBe("cannot write /data/out.svg: read-only file system");
    const rename = Object.assign(new Error("EISDIR"), {
      code: "EISDIR",
      syscall: "rename",
      path: "/d/.r.html.tmp-1-00000000",
      dest: "/d/r.html",
    });
    expect(describeFailure(rename, false)).toEqual({
      text: "selfimprove: cannot write /d/r.html: it is a directory\n",
      exitCode: 2,
    });
    const full = Object.assign(new Error("ENOSPC"), { code: "ENOSPC", syscall: "write", path: "/d/x" });
    expect(describeFailure(full, false).text).toBe("selfimprove: cannot write /d/x: no space left on device\n");
  });

  test("anything else is one line with the debug hint; the stack only when asked", () => {
    const err = new TypeError(`boom\n${"x".repeat(40_000)}`);
    const quiet = describeFailure(err, false);
    expect(quiet).toEqual({
      text: "selfimprove: internal error: TypeError: boom (rerun with SELFIMPROVE_DEBUG=1 for the stack trace)\n",
      exitCode: 1,
    });
    const loud = describeFailure(err, true);
    expect(loud.text).toContain("internal error: TypeError: boom\n");
    expect(loud.text).toMatch(/^\s+at /m);
    expect(describeFailure(new CliError("bad flag", 2), false)).toEqual({
      text: "selfimprove: bad flag\n",
      exitCode: 2,
    });
  });
});

describe(
  "with the wasm backend loaded (its emscripten hooks rethrow and print minified source)",
  { timeout: 240_000 },
  () => {
    /** Runs a module that installs the CLI's handlers, loads the wasm backend, then fails as `how`. */
    function failAfterBackend(
      how: "throw" | "reject",
      env: Record<string, string> = {},
    ): Promise<CliResult & { hooks: string }> {
      const script = path.join(tmp, `fail-${how}.mts`);
      const src = (p: string): string => JSON.stringify(pathToFileURL(path.join(PROJECT_ROOT, p)).href);
      fs.writeFileSync(
        script,
        `import { installFatalHandlers } from ${src("src/cli/fatal.ts")};\n` +
          `import { initBackend } from ${src("src/engine/backend.ts")};\n` +
          `installFatalHandlers();\n` +
          `await initBackend("wasm");\n` +
          `await new Promise((r) => setTimeout(r, 0));\n` +
          `process.stdout.write(JSON.stringify({ u: process.listenerCount("uncaughtException"), r: process.listenerCount("unhandledRejection") }));\n` +
          (how === "throw"
            ? `setTimeout(() => { throw new RangeError("kaboom"); }, 0);\n`
            : `void Promise.reject(new RangeError("kaboom"));\n`),
      );
      return new Promise((resolve) => {
        execFile(
          process.execPath,
          ["--import", "tsx", script],
          { cwd: PROJECT_ROOT, encoding: "utf8", env: { ...process.env, ...env }, timeout: 240_000 },
          (err, stdout, stderr) => {
            const code = err
              ? typeof (err as { code?: unknown }).code === "number"
                ? (err as { code: number }).code
                : null
              : 0;
            resolve({ code, signal: null, stdout, stderr, hooks: stdout });
          },
        );
      });
    }

    test.each(["throw", "reject"] as const)("an uncaught %s is one line, and only our hooks remain", async (how) => {
      const r = await failAfterBackend(how);
      // Emscripten added one hook of each kind when the backend loaded; both were removed.
      expect(JSON.parse(r.hooks)).toEqual({ u: 1, r: 1 });
      expectShortError(r, 1, "internal error: RangeError: kaboom (rerun with SELFIMPROVE_DEBUG=1 for the stack trace)");
    });

    test("SELFIMPROVE_DEBUG=1 adds the stack, still without the minified source", async () => {
      const r = await failAfterBackend("throw", { SELFIMPROVE_DEBUG: "1" });
      expect(r.code).toBe(1);
      expect(r.stderr).toContain("selfimprove: internal error: RangeError: kaboom\n");
      expect(r.stderr).toMatch(/^\s+at /m);
      expect(Buffer.byteLength(r.stderr)).toBeLessThan(4096);
    });
  },
);
