// Flags shared by several commands, parsed and validated in one place.
import { Option } from "commander";
import { BACKEND_NAMES, initBackend, describeBackend, type BackendRequest } from "../engine/backend.js";
import { CliError } from "./errors.js";

export const backendOption = (): Option =>
  new Option("--backend <name>", "compute backend").choices([...BACKEND_NAMES]).default("auto");

/** Activates the backend and tells the user (stderr) which one runs and why. */
export async function useBackend(name: string, opts: { quiet?: boolean } = {}): Promise<string> {
  try {
    const choice = await initBackend(name as BackendRequest);
    const text = describeBackend(choice);
    if (!opts.quiet) process.stderr.write(`backend: ${text}\n`);
    return text;
  } catch (err) {
    throw new CliError(err instanceof Error ? err.message : String(err), 3);
  }
}

/** Parses a positive integer flag, naming the flag when it is not one. */
export function intFlag(flag: string, min = 1): (value: string) => number {
  return (value: string) => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < min) throw new CliError(`${flag} must be an integer >= ${min} (got "${value}")`, 2);
    return n;
  };
}

export function numberFlag(flag: string, min = -Infinity, max = Infinity): (value: string) => number {
  return (value: string) => {
    const n = Number(value);
    if (!Number.isFinite(n) || n < min || n > max)
      throw new CliError(`${flag} must be a number in [${min}, ${max}] (got "${value}")`, 2);
    return n;
  };
}

/** `--seeds 0,1,2`: a comma-separated list of non-negative integers. */
export function seedList(value: string): number[] {
  const seeds = value.split(",").map((s) => Number(s.trim()));
  if (seeds.length === 0 || seeds.some((s) => !Number.isInteger(s) || s < 0))
    throw new CliError(`--seeds must be a comma-separated list of non-negative integers (got "${value}")`, 2);
  return seeds;
}

/**
 * `--set key=value`, repeatable, collected into an object. Values read as JSON where they parse
 * (numbers, booleans, quoted strings) and as plain strings otherwise; the scenario's schema then
 * validates them.
 */
export function collectSetting(value: string, previous: Record<string, unknown> = {}): Record<string, unknown> {
  const eq = value.indexOf("=");
  if (eq <= 0) throw new CliError(`--set expects key=value (got "${value}")`, 2);
  const key = value.slice(0, eq).trim();
  const raw = value.slice(eq + 1).trim();
  let parsed: unknown = raw;
  try {
    parsed = JSON.parse(raw);
  } catch {
    // Not JSON: a bare string such as failure-set.
  }
  return { ...previous, [key]: parsed };
}
