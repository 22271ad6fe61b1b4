// Wrong calls of the kinds a model makes, each with exactly one error so that one reflection can
// name it: the wrong tool, a missing or an extra argument, a wrong value, or broken JSON.

import type { Rng } from "../../util/rng.js";
import { CATALOGUE, toolByName, type ArgValue, type ParamSpec } from "./catalogue.js";
import { formatCall, type FunctionCall } from "./call.js";
import { sameArg } from "./normalise.js";
import { REQUESTS } from "./requests.js";
import { verifyCall } from "./verify.js";

export type MistakeKind = "tool" | "missing" | "unexpected" | "value" | "garbled";
export const MISTAKE_KINDS: readonly MistakeKind[] = ["tool", "missing", "unexpected", "value", "garbled"];

/** A valid value for `param` other than `not` (undefined when the parameter has only one value). */
export function otherValue(rng: Rng, tool: string, param: ParamSpec, not: ArgValue | undefined): ArgValue | undefined {
  const differs = (v: ArgValue): boolean => not === undefined || !sameArg(param, v, not);
  if (param.type === "boolean") return not === undefined ? !(param.default ?? false) : !not;
  if (param.type === "enum") {
    const rest = param.values.filter(differs);
    return rest.length > 0 ? rng.pick(rest) : undefined;
  }
  const pools = REQUESTS[tool]?.pools;
  const pool = pools && Object.hasOwn(pools, param.name) ? pools[param.name] : undefined;
  for (let i = 0; pool !== undefined && i < 20; i++) {
    const v = pool(rng).value;
    if (differs(v)) return v;
  }
  if (param.type === "integer" || param.type === "number") {
    const base = typeof not === "number" ? not : param.min;
    return base + 1 <= param.max ? base + 1 : base - 1;
  }
  return undefined;
}

function withArgs(call: FunctionCall, edit: (args: Record<string, ArgValue>) => void): string {
  const args = { ...call.args };
  edit(args);
  return formatCall({ tool: call.tool, args });
}

function isDefault(param: ParamSpec, v: ArgValue): boolean {
  return param.default !== undefined && sameArg(param, v, param.default);
}

/** One attempt with a mistake of `kind`, or undefined when the problem leaves no room for that kind. */
export function mistake(rng: Rng, p: FunctionCall, kind: MistakeKind): string | undefined {
  const schema = toolByName(p.tool);
  if (schema === undefined) return undefined;
  const has = (name: string): boolean => Object.hasOwn(p.args, name);
  switch (kind) {
    case "tool": {
      const other = rng.pick(CATALOGUE.filter((t) => t.name !== p.tool));
      return formatCall({ tool: other.name, args: p.args });
    }
    case "missing": {
      const cands = schema.params.filter((q) => has(q.name) && !isDefault(q, p.args[q.name] as ArgValue));
      if (cands.length === 0) return undefined;
      const q = rng.pick(cands);
      return withArgs(p, (a) => delete a[q.name]);
    }
    case "unexpected": {
      const cands = schema.params.filter((q) => !has(q.name));
      if (cands.length === 0) return undefined;
      const q = rng.pick(cands);
      const v = otherValue(rng, p.tool, q, q.default);
      return v === undefined ? undefined : withArgs(p, (a) => (a[q.name] = v));
    }
    case "value": {
      const cands = schema.params.filter((q) => has(q.name));
      if (cands.length === 0) return undefined;
      const q = rng.pick(cands);
      const v = otherValue(rng, p.tool, q, p.args[q.name]);
      // Changing an argument to its default reads as dropping it: still wrong, but a different mistake.
      return v === undefined || isDefault(q, v) ? undefined : withArgs(p, (a) => (a[q.name] = v));
    }
    case "garbled": {
      const text = formatCall(p);
      return rng.next() < 0.5 ? text.slice(0, rng.int(1, text.length - 1)) : text.replace('"', "");
    }
  }
}

/** A wrong attempt: one mistake drawn from `kinds` (garbled JSON when no other kind fits). */
export function wrongCall(
  rng: Rng,
  p: FunctionCall,
  kinds: readonly MistakeKind[] = MISTAKE_KINDS,
): { text: string; kind: MistakeKind } {
  for (let tries = 0; tries < 20; tries++) {
    const kind = rng.pick(kinds);
    const text = mistake(rng, p, kind);
    if (text !== undefined && !verifyCall(p, text).correct) return { text, kind };
  }
  return { text: formatCall(p).slice(0, -1), kind: "garbled" };
}
