// When an argument in an answer counts as the expected value. Values must have the parameter's
// JSON type (the string "5" is not the integer 5: a call with wrong types would fail against a
// real API); within a type, differences a real API would ignore are forgiven:
// - strings: surrounding and repeated whitespace; case too where the schema folds it;
// - enums: case and surrounding whitespace;
// - numbers: notation (1 == 1.0 == 1e0, -0 == 0), since they compare as parsed values.

import type { ArgValue, ParamSpec } from "./catalogue.js";
import type { JsonValue } from "./strict-json.js";

export function normaliseText(s: string, fold: boolean): string {
  const t = s.trim().replace(/\s+/g, " ");
  return fold ? t.toLowerCase() : t;
}

/** Whether `actual` (from an answer) equals `expected` (trusted) for parameter `param`. */
export function sameArg(param: ParamSpec, actual: JsonValue, expected: ArgValue): boolean {
  switch (param.type) {
    case "string":
      return (
        typeof actual === "string" &&
        typeof expected === "string" &&
        normaliseText(actual, param.fold) === normaliseText(expected, param.fold)
      );
    case "enum":
      return (
        typeof actual === "string" &&
        typeof expected === "string" &&
        normaliseText(actual, true) === normaliseText(expected, true)
      );
    case "integer":
      return typeof actual === "number" && Number.isInteger(actual) && actual === expected;
    case "number":
      return typeof actual === "number" && actual === expected;
    case "boolean":
      return typeof actual === "boolean" && actual === expected;
  }
}

/** Whether a value is well-typed for a parameter and within its range or enum. */
export function validArg(param: ParamSpec, v: unknown): v is ArgValue {
  switch (param.type) {
    case "string":
      return typeof v === "string" && v.trim() !== "";
    case "enum":
      return typeof v === "string" && param.values.includes(v);
    case "integer":
      return typeof v === "number" && Number.isSafeInteger(v) && v >= param.min && v <= param.max;
    case "number":
      return typeof v === "number" && Number.isFinite(v) && v >= param.min && v <= param.max;
    case "boolean":
      return typeof v === "boolean";
  }
}
