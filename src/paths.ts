// Where the project's shipped files live, independent of the working directory.
import path from "node:path";
import { fileURLToPath } from "node:url";

export const PROJECT_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
export const MODELS_DIR = path.join(PROJECT_ROOT, "models");
export const DEFAULT_BASE_MODEL = {
  countdown: path.join(MODELS_DIR, "countdown-base"),
  functions: path.join(MODELS_DIR, "functions-base"),
  translation: path.join(MODELS_DIR, "translation-base"),
  bbh: path.join(MODELS_DIR, "bbh-base"),
} as const;
/** Held-out puzzles come from this seed; pretraining corpora use (seed * 1_000_003 + step). */
export const HELD_OUT_SEED = 999_999;
