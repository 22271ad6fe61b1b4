// The answer format of the function-calling task: one compact JSON object, the tool under "n" and
// its arguments under "a", e.g. {"n":"weather","a":{"city":"oslo","unit":"f"}}. Short keys
// because every character costs context in a character-level model.

import { toolByName, type ArgValue } from "./catalogue.js";
import { isJsonObject, parseStrictJson, type JsonObject, type StrictJsonLimits } from "./strict-json.js";

/** A call with trusted contents: a problem's reference call, or one built by our own code. */
export interface FunctionCall {
  tool: string;
  /** Argument values by parameter name; optional parameters left at their default may be absent. */
  args: Readonly<Record<string, ArgValue>>;
}

/** A call parsed from untrusted text: arguments stay in a Map, never on an object. */
export interface ParsedCall {
  tool: string;
  args: JsonObject;
}

/** The outcome of {@link parseCall}: a call or an error message, never an exception. */
export type ParseCallResult = { ok: true; call: ParsedCall } | { ok: false; error: string };

/** Answers are a few dozen characters; anything near these limits is not a call. */
export const CALL_LIMITS: StrictJsonLimits = { maxLength: 2048, maxDepth: 4, maxNumberLength: 24 };

/** Parses an answer into a call: {"n": string, "a"?: object} and nothing else. Never throws. */
export function parseCall(text: string): ParseCallResult {
  const r = parseStrictJson(typeof text === "string" ? text.trim() : "", CALL_LIMITS);
  if (!r.ok) return { ok: false, error: r.error };
  const root = r.value;
  if (!isJsonObject(root)) return { ok: false, error: "not a JSON object" };
  for (const key of root.keys()) {
    if (key !== "n" && key !== "a") return { ok: false, error: `unknown key ${JSON.stringify(key)}` };
  }
  const tool = root.get("n");
  if (typeof tool !== "string") return { ok: false, error: 'missing tool name "n"' };
  const args = root.get("a") ?? new Map();
  if (!isJsonObject(args)) return { ok: false, error: 'arguments "a" are not an object' };
  return { ok: true, call: { tool, args } };
}

/**
 * The canonical text of a call: compact JSON, arguments in the schema's order (unknown tools and
 * parameters keep their given order after the known ones).
 */
export function formatCall(call: FunctionCall): string {
  const schema = toolByName(call.tool);
  const names = Object.keys(call.args);
  const order = schema ? schema.params.map((p) => p.name).filter((n) => Object.hasOwn(call.args, n)) : [];
  const rest = names.filter((n) => !order.includes(n));
  // Built as [key, value] pairs and serialised by hand so no key is ever assigned onto an object.
  const parts = [...order, ...rest].map((n) => `${JSON.stringify(n)}:${JSON.stringify(call.args[n])}`);
  return `{"n":${JSON.stringify(call.tool)},"a":{${parts.join(",")}}}`;
}

/**
 * A plain call from a parsed one, keeping the arguments with scalar values. Object.fromEntries
 * defines properties (it never invokes a setter such as __proto__), and the parser has already
 * refused prototype-related keys.
 */
export function toFunctionCall(parsed: ParsedCall): FunctionCall {
  const scalar = [...parsed.args].filter((e): e is [string, ArgValue] =>
    ["string", "number", "boolean"].includes(typeof e[1]),
  );
  return { tool: parsed.tool, args: Object.fromEntries(scalar) };
}
