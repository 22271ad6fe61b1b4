// The tool catalogue of the function-calling task, in the spirit of APIGen: each tool has a short
// name and 1-3 typed parameters (strings, integers, numbers, booleans, enums), some optional.
// Names and values are short because the base models read 64-128 characters of context; the
// catalogue itself is never in the prompt: the model learns it in pretraining.

/** A tool argument's value. */
export type ArgValue = string | number | boolean;

interface ParamBase {
  name: string;
  required: boolean;
}

/** Free text; `fold` says whether case is insignificant when matching. */
export interface StringParam extends ParamBase {
  type: "string";
  fold: boolean;
  default?: string;
}

/** One of a fixed set of lowercase values, matched case-insensitively. */
export interface EnumParam extends ParamBase {
  type: "enum";
  values: readonly string[];
  default?: string;
}

/** An integer parameter, with its bounds. */
export interface IntegerParam extends ParamBase {
  type: "integer";
  min: number;
  max: number;
  default?: number;
}

/** A number parameter, with its bounds. */
export interface NumberParam extends ParamBase {
  type: "number";
  min: number;
  max: number;
  default?: number;
}

/** A true/false parameter. */
export interface BooleanParam extends ParamBase {
  type: "boolean";
  default?: boolean;
}

/** An optional parameter with a `default` may be left out wherever its value is the default. */
export type ParamSpec = StringParam | EnumParam | IntegerParam | NumberParam | BooleanParam;

/** A tool the model can call: its name and parameters. */
export interface ToolSchema {
  name: string;
  description: string;
  params: readonly ParamSpec[];
}

const ROOMS = ["kitchen", "bedroom", "bath", "hall"] as const;
const CURRENCIES = ["usd", "eur", "gbp", "jpy"] as const;
const DAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"] as const;
const LANGS = ["fr", "de", "es", "it"] as const;

/** Every tool of the function-calling task. */
export const CATALOGUE: readonly ToolSchema[] = [
  {
    name: "weather",
    description: "current weather in a city",
    params: [
      { name: "city", type: "string", required: true, fold: true },
      { name: "unit", type: "enum", required: false, values: ["c", "f"], default: "c" },
    ],
  },
  {
    name: "timer",
    description: "start a countdown timer",
    params: [
      { name: "min", type: "integer", required: true, min: 1, max: 90 },
      // Labels are shown back to the user as typed, so their case matters.
      { name: "label", type: "string", required: false, fold: false },
    ],
  },
  {
    name: "alarm",
    description: "set an alarm",
    params: [
      { name: "hour", type: "integer", required: true, min: 0, max: 23 },
      { name: "min", type: "integer", required: false, min: 0, max: 59, default: 0 },
    ],
  },
  {
    name: "convert",
    description: "convert an amount of money",
    params: [
      { name: "amt", type: "number", required: true, min: 0, max: 10000 },
      { name: "from", type: "enum", required: true, values: CURRENCIES },
      { name: "to", type: "enum", required: true, values: CURRENCIES },
    ],
  },
  {
    name: "play",
    description: "play a song",
    params: [
      { name: "song", type: "string", required: true, fold: true },
      { name: "shuffle", type: "boolean", required: false, default: false },
    ],
  },
  {
    name: "light",
    description: "switch the lights of a room",
    params: [
      { name: "room", type: "enum", required: true, values: ROOMS },
      { name: "on", type: "boolean", required: true },
    ],
  },
  {
    name: "remind",
    description: "add a reminder",
    params: [
      { name: "task", type: "string", required: true, fold: true },
      { name: "day", type: "enum", required: true, values: DAYS },
    ],
  },
  {
    name: "call",
    description: "phone a contact",
    params: [
      { name: "who", type: "string", required: true, fold: true },
      { name: "video", type: "boolean", required: false, default: false },
    ],
  },
  {
    name: "say",
    description: "translate a phrase",
    params: [
      { name: "text", type: "string", required: true, fold: true },
      { name: "lang", type: "enum", required: true, values: LANGS },
    ],
  },
  {
    name: "heat",
    description: "set the thermostat",
    params: [
      { name: "temp", type: "integer", required: true, min: 10, max: 30 },
      { name: "room", type: "enum", required: false, values: ROOMS },
    ],
  },
  {
    name: "search",
    description: "search the web",
    params: [{ name: "q", type: "string", required: true, fold: true }],
  },
  {
    name: "email",
    description: "send an email",
    params: [
      { name: "to", type: "string", required: true, fold: true },
      { name: "subj", type: "string", required: true, fold: false },
    ],
  },
];

const BY_NAME: ReadonlyMap<string, ToolSchema> = new Map(CATALOGUE.map((t) => [t.name, t]));

/** The schema of a tool, or undefined (a Map lookup: "constructor" and friends are not tools). */
export function toolByName(name: string): ToolSchema | undefined {
  return BY_NAME.get(name);
}

export function paramOf(tool: ToolSchema, name: string): ParamSpec | undefined {
  return tool.params.find((p) => p.name === name);
}
