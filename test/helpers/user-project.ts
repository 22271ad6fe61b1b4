// A user's project as `npm install` would leave it, without installing anything: a copy whose
// node_modules/selfimprove links to this checkout (what npm does for a file: dependency) and
// whose dev tools link to ours; and the project's own vitest run in it.
import { execFile } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { PROJECT_ROOT } from "../../src/paths.js";

/** The example user project (examples/small-countdown), also what `selfimprove init` writes. */
export const EXAMPLE = path.join(PROJECT_ROOT, "examples", "small-countdown");

/**
 * A copy of a user project ready to run in place: node_modules/selfimprove → this checkout, and
 * the project's dev tools → ours. The tsconfig gains the checkout's source condition, so
 * "selfimprove" typechecks against the sources rather than a dist/ that may be stale.
 */
export function installedCopy(src: string, dest: string): string {
  fs.cpSync(src, dest, { recursive: true });
  const nm = path.join(dest, "node_modules");
  fs.mkdirSync(path.join(nm, "@types"), { recursive: true });
  fs.symlinkSync(PROJECT_ROOT, path.join(nm, "selfimprove"), "dir");
  for (const dep of ["vitest", "fast-check", "typescript", "@types/node"])
    fs.symlinkSync(path.join(PROJECT_ROOT, "node_modules", dep), path.join(nm, dep), "dir");
  const tsconfigFile = path.join(dest, "tsconfig.json");
  const tsconfig = JSON.parse(fs.readFileSync(tsconfigFile, "utf8")) as { compilerOptions: Record<string, unknown> };
  tsconfig.compilerOptions.customConditions = ["selfimprove-source"];
  fs.writeFileSync(tsconfigFile, JSON.stringify(tsconfig, null, 2));
  return dest;
}

/** Runs the project's own vitest in `dir`; resolves with its exit code and output. */
export function projectVitest(dir: string): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [path.join(PROJECT_ROOT, "node_modules", "vitest", "vitest.mjs"), "run"],
      {
        cwd: dir,
        timeout: 180_000,
        encoding: "utf8",
        env: { ...process.env, CI: "1", NO_COLOR: "1", FORCE_COLOR: "0" },
      },
      (err, stdout, stderr) => {
        const code = err
          ? typeof (err as { code?: unknown }).code === "number"
            ? (err as { code: number }).code
            : 1
          : 0;
        resolve({ code, output: stdout + stderr });
      },
    );
  });
}
