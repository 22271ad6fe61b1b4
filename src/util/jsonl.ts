// JSON Lines reading with errors a person can act on: every problem names FILE:LINE and the field.
// Each line is checked on its own and in order of cost: its size before anything is parsed, then
// NUL bytes and UTF-8, then JSON, then the schema, so one hostile line (megabytes long, binary,
// a million bad numbers) costs little and yields a short message.

import type { z } from "zod";

/** A JSONL line that is not valid JSON or does not match its schema. */
export class JsonlError extends Error {
  constructor(
    readonly file: string,
    readonly line: number,
    readonly problem: string,
  ) {
    super(`${file}:${line}: ${problem}`);
    this.name = "JsonlError";
  }
}

/** Lines longer than this are refused unparsed (a record is a problem and an answer, not a corpus). */
export const MAX_LINE_BYTES = 256 * 1024;
/** Schema problems listed per line; the rest are counted. */
export const MAX_ISSUES_SHOWN = 5;
/** Each listed problem is clipped to this many characters. */
const MAX_ISSUE_CHARS = 200;

export interface JsonlRecord<T> {
  /** 1-based line number in the file. */
  line: number;
  /** The line after schema validation (unknown keys dropped or kept as the schema decides). */
  value: T;
  /** The line exactly as parsed, including fields the schema does not know. */
  raw: Record<string, unknown>;
}

function fieldPath(path: ReadonlyArray<string | number>): string {
  let out = "";
  for (const part of path) out += typeof part === "number" ? `[${part}]` : out === "" ? part : `.${part}`;
  return out;
}

function lowerFirst(s: string): string {
  return s.length === 0 ? s : s[0]?.toLowerCase() + s.slice(1);
}

/** Printable ASCII as is, everything else escaped (\n, \u001b, \u00e9...): safe to print anywhere. */
export function escapeText(s: string): string {
  return s.replace(/[^\x20-\x7e]/g, (c) => {
    if (c === "\n") return "\\n";
    if (c === "\t") return "\\t";
    if (c === "\r") return "\\r";
    const code = c.codePointAt(0) ?? 0;
    return `\\u${code.toString(16).padStart(4, "0")}`;
  });
}

/** `s` escaped and clipped to `max` characters, with an ellipsis when clipped. */
export function clipText(s: string, max: number): string {
  const e = escapeText(s);
  return e.length <= max ? e : `${e.slice(0, max - 1)}…`;
}

/**
 * "field "nums": expected array, received string" for the first few issues, joined by "; ", with
 * "and N more" after: a line with a million bad numbers yields a short message, not megabytes.
 */
export function describeZodError(error: z.ZodError, maxIssues = MAX_ISSUES_SHOWN): string {
  const shown = error.issues.slice(0, maxIssues).map((issue) => {
    const what = lowerFirst(issue.message);
    return clipText(
      issue.path.length === 0 ? what : `field ${JSON.stringify(fieldPath(issue.path))}: ${what}`,
      MAX_ISSUE_CHARS,
    );
  });
  const more = error.issues.length - shown.length;
  return shown.join("; ") + (more > 0 ? `; and ${more} more` : "");
}

export type LineCheck<T> = { ok: true; value: T; raw: Record<string, unknown> } | { ok: false; problem: string };

/** One line of text (no newline) checked against `schema`; never throws. */
export function checkJsonlLine<S extends z.ZodTypeAny>(text: string, schema: S): LineCheck<z.output<S>> {
  // Characters, not bytes: a string cheap to measure; at most 3 bytes per UTF-16 unit.
  if (text.length * 3 > MAX_LINE_BYTES && Buffer.byteLength(text) > MAX_LINE_BYTES)
    return { ok: false, problem: tooLong(Buffer.byteLength(text)) };
  const nul = text.indexOf("\0");
  if (nul >= 0) return { ok: false, problem: `contains a NUL byte at column ${nul + 1} (is this a binary file?)` };
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    // V8 quotes part of the line in its message: escape it, so binary never reaches the terminal.
    return {
      ok: false,
      problem: `invalid JSON (${clipText(err instanceof Error ? err.message : String(err), MAX_ISSUE_CHARS)})`,
    };
  }
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) {
    const kind = raw === null ? "null" : Array.isArray(raw) ? "an array" : typeof raw;
    return { ok: false, problem: `expected a JSON object, got ${kind}` };
  }
  const parsed = schema.safeParse(raw);
  if (!parsed.success) return { ok: false, problem: describeZodError(parsed.error) };
  return { ok: true, value: parsed.data as z.output<S>, raw: raw as Record<string, unknown> };
}

function tooLong(bytes: number): string {
  return `line is ${bytes} bytes, over the ${MAX_LINE_BYTES}-byte limit (not parsed)`;
}

export type RawLine = { line: number; text: string } | { line: number; problem: string };

const utf8 = new TextDecoder("utf-8", { fatal: true });

/** Up to `n` bytes from `at`, printable ASCII as is and every other byte as \xNN. */
function byteExcerpt(bytes: Uint8Array, at: number, n = 24): string {
  let out = "";
  for (let i = at; i < Math.min(bytes.length, at + n); i++) {
    const b = bytes[i] as number;
    out += b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : `\\x${b.toString(16).padStart(2, "0")}`;
  }
  return out;
}

/** Where the first byte of a sequence that is not UTF-8 sits (the line is known to be invalid). */
function firstBadUtf8(bytes: Uint8Array): number {
  let i = 0;
  while (i < bytes.length) {
    const b = bytes[i] as number;
    const len = b < 0x80 ? 1 : b >= 0xc2 && b <= 0xdf ? 2 : b >= 0xe0 && b <= 0xef ? 3 : b >= 0xf0 && b <= 0xf4 ? 4 : 0;
    if (len === 0 || i + len > bytes.length) return i;
    try {
      utf8.decode(bytes.subarray(i, i + len));
    } catch {
      return i;
    }
    i += len;
  }
  return 0;
}

/**
 * Splits raw file bytes into lines (blank lines skipped, a leading BOM and trailing \r removed)
 * and decodes each as UTF-8; a line over the byte limit or not UTF-8 comes back as a problem
 * with an escaped excerpt, and is never decoded or parsed.
 */
export function* splitJsonlBytes(bytes: Uint8Array): Generator<RawLine> {
  let start = bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? 3 : 0;
  let lineNo = 0;
  while (start <= bytes.length) {
    let end = bytes.indexOf(0x0a, start);
    if (end < 0) end = bytes.length;
    lineNo += 1;
    const stop = end > start && bytes[end - 1] === 0x0d ? end - 1 : end;
    const slice = bytes.subarray(start, stop);
    start = end + 1;
    if (slice.length > MAX_LINE_BYTES) {
      yield { line: lineNo, problem: tooLong(slice.length) };
      continue;
    }
    const nul = slice.indexOf(0);
    if (nul >= 0) {
      yield {
        line: lineNo,
        problem: `contains a NUL byte at column ${nul + 1} (is this a binary file?): "${byteExcerpt(slice, Math.max(0, nul - 8))}"`,
      };
      continue;
    }
    let text: string;
    try {
      text = utf8.decode(slice);
    } catch {
      const at = firstBadUtf8(slice);
      yield { line: lineNo, problem: `not valid UTF-8 (byte ${at + 1}): "${byteExcerpt(slice, Math.max(0, at - 8))}"` };
      continue;
    }
    if (text.trim() === "") continue;
    yield { line: lineNo, text };
  }
}

/**
 * Parses JSONL text: one JSON object per line, blank lines skipped, each validated by `schema`.
 * Throws JsonlError naming `fileName` and the line at the first bad line.
 */
export function readJsonl<S extends z.ZodTypeAny>(
  text: string,
  schema: S,
  fileName: string,
): Array<JsonlRecord<z.output<S>>> {
  const out: Array<JsonlRecord<z.output<S>>> = [];
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    let line = lines[i] ?? "";
    if (i === 0 && line.charCodeAt(0) === 0xfeff) line = line.slice(1);
    if (line.trim() === "") continue;
    const checked = checkJsonlLine(line, schema);
    if (!checked.ok) throw new JsonlError(fileName, i + 1, checked.problem);
    out.push({ line: i + 1, value: checked.value, raw: checked.raw });
  }
  return out;
}

/** One JSON object per line, newline-terminated; "" for no records. */
export function toJsonl(records: readonly unknown[]): string {
  let out = "";
  for (const r of records) {
    const json = JSON.stringify(r);
    // JSON.stringify returns undefined for undefined/functions, which would write a bogus line.
    if (json === undefined) throw new TypeError("toJsonl: record is not JSON-serialisable");
    out += json + "\n";
  }
  return out;
}
