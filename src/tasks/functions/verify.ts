// The function-calling reward (APIGen's execution-free check): an answer is correct only if it
// parses as a call, names the expected tool, and every argument matches after normalisation.
// An optional parameter left out counts as its default, and its default may be written out.

import { toolByName, type ParamSpec } from "./catalogue.js";
import { parseCall, type FunctionCall } from "./call.js";
import { sameArg } from "./normalise.js";
import type { JsonValue } from "./strict-json.js";

/** Why {@link verifyCall} accepted or rejected a call. */
export type CallReason =
  "ok" | "unparsable" | "wrong tool" | "missing argument" | "unexpected argument" | "wrong value";

/** The function-calling verifier's verdict on one answer. */
export interface CallVerdict {
  correct: boolean;
  reason: CallReason;
  /** The argument the reason is about, for missing/unexpected/wrong-value verdicts. */
  argument?: string;
  /** Why the answer did not parse, for "unparsable". */
  error?: string;
}

function wrong(reason: CallReason, extra: { argument?: string; error?: string } = {}): CallVerdict {
  return { correct: false, reason, ...extra };
}

/** The verdict on one parameter, or undefined when it matches. null counts as left out. */
function checkParam(
  param: ParamSpec,
  actual: JsonValue | undefined,
  expected: FunctionCall["args"],
): CallVerdict | undefined {
  const given = actual === null ? undefined : actual;
  const want = Object.hasOwn(expected, param.name) ? expected[param.name] : undefined;
  const dflt = param.default;
  if (given === undefined && want === undefined) return undefined;
  if (given === undefined) {
    return want !== undefined && dflt !== undefined && sameArg(param, dflt, want)
      ? undefined
      : wrong("missing argument", { argument: param.name });
  }
  if (want === undefined) {
    return dflt !== undefined && sameArg(param, given, dflt)
      ? undefined
      : wrong("unexpected argument", { argument: param.name });
  }
  return sameArg(param, given, want) ? undefined : wrong("wrong value", { argument: param.name });
}

function verify(expected: FunctionCall, answer: string): CallVerdict {
  const parsed = parseCall(answer);
  if (!parsed.ok) return wrong("unparsable", { error: parsed.error });
  const { tool, args } = parsed.call;
  const schema = toolByName(expected.tool);
  // A reference call to a tool outside the catalogue cannot be matched: no answer is right.
  if (schema === undefined || tool.trim().toLowerCase() !== schema.name) return wrong("wrong tool");
  for (const name of args.keys()) {
    if (!schema.params.some((p) => p.name === name)) return wrong("unexpected argument", { argument: name });
  }
  for (const param of schema.params) {
    const v = checkParam(param, args.get(param.name), expected.args);
    if (v !== undefined) return v;
  }
  return { correct: true, reason: "ok" };
}

/** Checks an answer against the expected call. Never throws, whatever `answer` holds. */
export function verifyCall(expected: FunctionCall, answer: string): CallVerdict {
  try {
    if (typeof answer !== "string") return wrong("unparsable", { error: "not a string" });
    return verify(expected, answer);
  } catch {
    // Unreachable by design; a reward function must still never crash a training run.
    return wrong("unparsable", { error: "internal error" });
  }
}

/** The candidate call in a model completion: its first non-blank line, trimmed. */
export function extractCall(text: string): string {
  const trimmed = typeof text === "string" ? text.trim() : "";
  const nl = trimmed.search(/\r|\n/);
  return (nl === -1 ? trimmed : trimmed.slice(0, nl)).trimEnd();
}
