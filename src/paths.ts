// Where the project's shipped files live, independent of the working directory, and where a
// run writes by default (under the working directory, never inside the package).
//
// This module runs in two layouts: from a checkout as TypeScript (src/paths.ts, through tsx or
// vitest) and from the installed package as compiled JavaScript (dist/src/paths.js). The code
// root (the folder holding src/, scenarios/, actors/, machines/ as they run) is one level up
// from here in both; the package root (package.json, models/) is found by looking upward.
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const HERE = path.dirname(fileURLToPath(import.meta.url));

/** The nearest folder at or above `start` holding a package.json: the package root. */
export function findPackageRoot(start: string): string {
  for (let dir = path.resolve(start); ; dir = path.dirname(dir)) {
    if (fs.existsSync(path.join(dir, "package.json"))) return dir;
    if (path.dirname(dir) === dir)
      throw new Error(`selfimprove: no package.json above ${start}: the package's files are incomplete`);
  }
}

/** The package root: package.json, models/, bin/ (the checkout, or node_modules/selfimprove). */
export const PROJECT_ROOT = findPackageRoot(HERE);
/** The folder that holds src/, scenarios/, actors/, machines/ as they run: the checkout or dist/. */
export const CODE_ROOT = path.resolve(HERE, "..");
/** The extension of the running code's modules: ".ts" from a checkout, ".js" when compiled. */
export const MODULE_EXT = path.extname(fileURLToPath(import.meta.url)) === ".ts" ? ".ts" : ".js";

export const MODELS_DIR = path.join(PROJECT_ROOT, "models");
export const DEFAULT_BASE_MODEL = {
  countdown: path.join(MODELS_DIR, "countdown-base"),
  functions: path.join(MODELS_DIR, "functions-base"),
  translation: path.join(MODELS_DIR, "translation-base"),
  bbh: path.join(MODELS_DIR, "bbh-base"),
} as const;
/** Held-out puzzles come from this seed; pretraining corpora use (seed * 1_000_003 + step). */
export const HELD_OUT_SEED = 999_999;

/**
 * Where runs go unless `--out` says otherwise: `runs/` under the current working directory. An
 * installed package must never write into node_modules/selfimprove (often read-only, and wiped
 * by the next install); in a checkout the working directory is usually the checkout itself.
 */
export function defaultRunsDir(): string {
  return path.resolve("runs");
}
