// R3 reflections for function calling: one short edit to the failed call, written so a small model
// can produce it and a retry can act on it.
//
//   use weather      the right tool is "weather"
//   add unit=f       an argument is missing
//   set city=oslo    an argument has the wrong value
//   drop unit        an argument should not be there
//
// Because a reflection is an edit, its quality is measurable: apply it to the attempt and verify.

import { paramOf, toolByName, type ArgValue, type ParamSpec } from "./catalogue.js";
import { formatCall, parseCall, toFunctionCall, type FunctionCall } from "./call.js";
import { verifyCall } from "./verify.js";

export type ReflectionEdit =
  { op: "use"; tool: string } | { op: "add" | "set"; name: string; value: ArgValue } | { op: "drop"; name: string };

const REFLECTION = /^(use|add|set|drop) ([a-z]{1,12})(?:=(.{1,40}))?$/;

export function formatReflection(edit: ReflectionEdit): string {
  switch (edit.op) {
    case "use":
      return `use ${edit.tool}`;
    case "drop":
      return `drop ${edit.name}`;
    default:
      return `${edit.op} ${edit.name}=${String(edit.value)}`;
  }
}

/** A value written in a reflection, typed by the parameter it is for; undefined if it does not fit. */
function readValue(param: ParamSpec, text: string): ArgValue | undefined {
  const t = text.trim();
  switch (param.type) {
    case "string":
      return t === "" ? undefined : t;
    case "enum":
      return param.values.includes(t) ? t : undefined;
    case "integer":
    case "number": {
      if (!/^\d{1,9}(\.\d{1,6})?$/.test(t)) return undefined;
      const n = Number(t);
      return param.type === "integer" && !Number.isInteger(n) ? undefined : n;
    }
    case "boolean":
      return t === "true" ? true : t === "false" ? false : undefined;
  }
}

/**
 * Parses a reflection (untrusted text) as an edit of a call to `tool`, the tool the attempt names;
 * undefined when malformed or naming a parameter the tool does not have.
 */
export function parseReflection(text: string, tool: string | undefined): ReflectionEdit | undefined {
  if (typeof text !== "string") return undefined;
  const m = REFLECTION.exec(text.trim());
  if (m === null) return undefined;
  const [, op, name, value] = m as unknown as [string, ReflectionEdit["op"], string, string | undefined];
  if (op === "use") return value === undefined && toolByName(name) ? { op, tool: name } : undefined;
  const schema = tool === undefined ? undefined : toolByName(tool);
  const param = schema && paramOf(schema, name);
  if (param === undefined) return undefined;
  if (op === "drop") return value === undefined ? { op, name } : undefined;
  const v = value === undefined ? undefined : readValue(param, value);
  return v === undefined ? undefined : { op, name, value: v };
}

/** The call an attempt becomes when the reflection's edit is applied; undefined if it cannot be. */
export function applyReflection(attempt: string, reflection: string): FunctionCall | undefined {
  const parsed = parseCall(attempt);
  const call = parsed.ok ? toFunctionCall(parsed.call) : undefined;
  const edit = parseReflection(reflection, call?.tool);
  if (edit === undefined) return undefined;
  if (edit.op === "use") return { tool: edit.tool, args: call?.args ?? {} };
  if (call === undefined) return undefined;
  const args = Object.fromEntries(Object.entries(call.args).filter(([k]) => k !== edit.name));
  // edit.name was checked against the catalogue, so this assignment cannot touch a prototype.
  if (edit.op !== "drop") args[edit.name] = edit.value;
  return { tool: call.tool, args };
}

/** Whether acting on the reflection turns the failed attempt into a correct call. */
export function reflectionFixes(expected: FunctionCall, attempt: string, reflection: string): boolean {
  const fixed = applyReflection(attempt, reflection);
  return fixed !== undefined && verifyCall(expected, formatCall(fixed)).correct;
}

/** The reflection that names the first error the verifier finds in a parsable attempt. */
export function goodReflection(expected: FunctionCall, attempt: string): string | undefined {
  const v = verifyCall(expected, attempt);
  if (v.correct) return undefined;
  if (v.reason === "wrong tool" || v.reason === "unparsable")
    return formatReflection({ op: "use", tool: expected.tool });
  const name = v.argument ?? "";
  if (v.reason === "unexpected argument") return formatReflection({ op: "drop", name });
  const value = Object.hasOwn(expected.args, name) ? expected.args[name] : undefined;
  if (value === undefined) return formatReflection({ op: "drop", name });
  return formatReflection({ op: v.reason === "missing argument" ? "add" : "set", name, value });
}
