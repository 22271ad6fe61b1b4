// A JSON parser for untrusted model output. JSON.parse is not enough for a reward function: it
// recurses (deep nesting overflows the stack), silently keeps the last of duplicate keys, turns
// huge numbers into Infinity or rounds them, and hands back plain objects where a "__proto__"
// key is one careless copy away from prototype pollution. This one:
// - is iterative with an explicit stack and a depth cap, and linear in the input length;
// - rejects input over a size cap, duplicate keys, the keys __proto__ / constructor / prototype,
//   and numbers that are not exactly representable as safe doubles (overflow, underflow, > 2^53);
// - builds objects as Maps, so no key ever reaches an object through assignment.
// It never throws: every failure is a value with a reason and the offset where it happened.

/** A JSON value as {@link parseStrictJson} returns it (objects are Maps). */
export type JsonValue = null | boolean | number | string | JsonValue[] | JsonObject;
/** Objects are Maps (insertion order kept) so that keys are data, never properties. */
export type JsonObject = Map<string, JsonValue>;

/** Bounds that keep parsing hostile model output cheap (length, depth, number length). */
export interface StrictJsonLimits {
  /** Longest input accepted, in UTF-16 code units. */
  maxLength: number;
  /** Deepest nesting of arrays and objects; a bare scalar has depth 0, `{}` depth 1. */
  maxDepth: number;
  /** Longest number literal accepted (longer ones cannot be safe anyway). */
  maxNumberLength: number;
}

export const DEFAULT_JSON_LIMITS: StrictJsonLimits = { maxLength: 4096, maxDepth: 8, maxNumberLength: 32 };

export const FORBIDDEN_KEYS: ReadonlySet<string> = new Set(["__proto__", "constructor", "prototype"]);

/** The outcome of {@link parseStrictJson}: a value, or an error with its offset. */
export type StrictJsonResult = { ok: true; value: JsonValue } | { ok: false; error: string; at: number };

type Frame = { kind: "array"; items: JsonValue[] } | { kind: "object"; map: JsonObject; key: string };

class Fail {
  constructor(
    readonly error: string,
    readonly at: number,
  ) {}
}

const NUMBER = /-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?/y;
// Simple escapes: the char code after the backslash → the code unit it stands for (-1: none).
// A flat table: this lookup runs once per escape of a possibly megabyte-long input.
const ESCAPES = new Int16Array(128).fill(-1);
for (const [from, to] of [
  ['"', 0x22],
  ["\\", 0x5c],
  ["/", 0x2f],
  ["b", 0x08],
  ["f", 0x0c],
  ["n", 0x0a],
  ["r", 0x0d],
  ["t", 0x09],
] as const) {
  ESCAPES[from.charCodeAt(0)] = to;
}

/** The code unit a simple escape stands for, or -1 (also for codes past the table or NaN). */
function simpleEscape(c: number): number {
  return c < 128 ? (ESCAPES[c] ?? -1) : -1;
}

function hexDigit(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x61 && c <= 0x66) return c - 0x57;
  if (c >= 0x41 && c <= 0x46) return c - 0x37;
  return -1;
}

/** The code unit written by four hex digits at `at`, or -1. */
function hex4(s: string, at: number): number {
  let v = 0;
  for (let k = 0; k < 4; k++) {
    const d = hexDigit(s.charCodeAt(at + k)); // NaN past the end compares false everywhere: -1
    if (d < 0) return -1;
    v = v * 16 + d;
  }
  return v;
}

// Code units per String.fromCharCode call: well below engines' argument-count limits.
const CHUNK = 8192;

/** Decodes the (already validated) body of a string with escapes, s[from..to). */
function decodeEscapes(s: string, from: number, to: number): string {
  // Decoded text is never longer than its source; a typed buffer avoids one string per escape.
  const units = new Uint16Array(to - from);
  let n = 0;
  for (let i = from; i < to;) {
    const c = s.charCodeAt(i);
    if (c !== 0x5c) {
      units[n++] = c;
      i++;
    } else if (s.charCodeAt(i + 1) === 0x75) {
      units[n++] = hex4(s, i + 2);
      i += 6;
    } else {
      units[n++] = simpleEscape(s.charCodeAt(i + 1));
      i += 2;
    }
  }
  let out = "";
  for (let k = 0; k < n; k += CHUNK) {
    // apply() takes any array-like and is far faster than spreading a typed array.
    out += String.fromCharCode.apply(null, units.subarray(k, Math.min(n, k + CHUNK)) as unknown as number[]);
  }
  return out;
}

class Parser {
  private i = 0;
  private readonly stack: Frame[] = [];

  constructor(
    private readonly s: string,
    private readonly limits: StrictJsonLimits,
  ) {}

  parse(): JsonValue | Fail {
    let value: JsonValue | Fail = this.value();
    for (;;) {
      if (value instanceof Fail) return value;
      const top = this.stack[this.stack.length - 1];
      if (top === undefined) break;
      // A value just finished: attach it to the open container, then read "," or the closer.
      if (top.kind === "array") top.items.push(value);
      else top.map.set(top.key, value);
      this.ws();
      const c = this.s[this.i];
      if (c === ",") {
        this.i++;
        if (top.kind === "object") {
          const key = this.key(top.map);
          if (key instanceof Fail) return key;
          top.key = key;
        }
        value = this.value();
      } else if ((c === "]" && top.kind === "array") || (c === "}" && top.kind === "object")) {
        this.i++;
        this.stack.pop();
        value = top.kind === "array" ? top.items : top.map;
      } else {
        return this.fail(c === undefined ? "unexpected end" : `unexpected character ${JSON.stringify(c)}`);
      }
    }
    this.ws();
    if (this.i < this.s.length) return this.fail("trailing characters");
    return value;
  }

  private fail(error: string, at = this.i): Fail {
    return new Fail(error, at);
  }

  private ws(): void {
    const s = this.s;
    while (this.i < s.length) {
      const c = s.charCodeAt(this.i);
      if (c !== 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d) break;
      this.i++;
    }
  }

  /** Reads one value; a container is opened (pushed) and its first element read on the next turn. */
  private value(): JsonValue | Fail {
    for (;;) {
      this.ws();
      const c = this.s[this.i];
      if (c === "{" || c === "[") {
        if (this.stack.length >= this.limits.maxDepth) return this.fail("nesting too deep");
        this.i++;
        this.ws();
        if (c === "[") {
          if (this.s[this.i] === "]") {
            this.i++;
            return [];
          }
          this.stack.push({ kind: "array", items: [] });
          continue;
        }
        if (this.s[this.i] === "}") {
          this.i++;
          return new Map();
        }
        const map: JsonObject = new Map();
        const key = this.key(map);
        if (key instanceof Fail) return key;
        this.stack.push({ kind: "object", map, key });
        continue;
      }
      if (c === '"') return this.string();
      if (c === "-" || (c !== undefined && c >= "0" && c <= "9")) return this.number();
      for (const [word, v] of [
        ["true", true],
        ["false", false],
        ["null", null],
      ] as const) {
        if (this.s.startsWith(word, this.i)) {
          this.i += word.length;
          return v;
        }
      }
      return this.fail(c === undefined ? "unexpected end" : `unexpected character ${JSON.stringify(c)}`);
    }
  }

  /** Reads `"key" :` for an object, refusing duplicates and prototype-related names. */
  private key(map: JsonObject): string | Fail {
    this.ws();
    const at = this.i;
    if (this.s[this.i] !== '"') return this.fail("expected a string key");
    const key = this.string();
    if (key instanceof Fail) return key;
    if (FORBIDDEN_KEYS.has(key)) return this.fail(`forbidden key ${JSON.stringify(key)}`, at);
    if (map.has(key)) return this.fail(`duplicate key ${JSON.stringify(key)}`, at);
    this.ws();
    if (this.s[this.i] !== ":") return this.fail("expected ':'");
    this.i++;
    return key;
  }

  /**
   * Reads a string in two linear passes: one to validate and find the closing quote (nothing is
   * built for a string that turns out broken), one to decode escapes into a code-unit buffer.
   */
  private string(): string | Fail {
    const s = this.s;
    const begin = this.i + 1; // past the opening quote
    let i = begin;
    let escaped = false;
    for (;;) {
      if (i >= s.length) return this.fail("unterminated string", i);
      const code = s.charCodeAt(i);
      if (code === 0x22) break;
      if (code < 0x20) return this.fail("control character in string", i);
      if (code !== 0x5c) {
        i++;
        continue;
      }
      escaped = true;
      const e = s.charCodeAt(i + 1);
      if (e === 0x75) {
        if (hex4(s, i + 2) < 0) return this.fail("bad \\u escape", i);
        i += 6;
      } else {
        if (simpleEscape(e) < 0) return this.fail("bad escape", i);
        i += 2;
      }
    }
    this.i = i + 1;
    return escaped ? decodeEscapes(s, begin, i) : s.slice(begin, i);
  }

  private number(): number | Fail {
    const at = this.i;
    NUMBER.lastIndex = at;
    const m = NUMBER.exec(this.s);
    if (m === null) return this.fail("bad number");
    const literal = m[0];
    this.i = at + literal.length;
    if (literal.length > this.limits.maxNumberLength) return this.fail("unsafe number", at);
    const value = Number(literal);
    const mantissa = literal.split(/[eE]/)[0] ?? "";
    // Overflow (Infinity), integers beyond 2^53 and underflow to zero all change the value.
    const underflow = value === 0 && /[1-9]/.test(mantissa);
    if (!Number.isFinite(value) || Math.abs(value) > Number.MAX_SAFE_INTEGER || underflow)
      return this.fail("unsafe number", at);
    // -0 and 0 are the same number to anyone reading a call.
    return value === 0 ? 0 : value;
  }
}

/** Parses untrusted JSON text under `limits`. Never throws. */
export function parseStrictJson(text: string, limits: Partial<StrictJsonLimits> = {}): StrictJsonResult {
  const l: StrictJsonLimits = { ...DEFAULT_JSON_LIMITS, ...limits };
  try {
    if (typeof text !== "string") return { ok: false, error: "not a string", at: 0 };
    if (text.length > l.maxLength) return { ok: false, error: "input too long", at: l.maxLength };
    const r = new Parser(text, l).parse();
    return r instanceof Fail ? { ok: false, error: r.error, at: r.at } : { ok: true, value: r };
  } catch {
    // Unreachable by design (no recursion, no throwing calls); a reward must still never crash a run.
    return { ok: false, error: "internal error", at: 0 };
  }
}

export function isJsonObject(v: JsonValue | undefined): v is JsonObject {
  return v instanceof Map;
}
