// JSON Lines reading with errors a person can act on: every problem names FILE:LINE and the field.

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

/** "field "nums": expected array, received string" for each issue, joined by "; ". */
export function describeZodError(error: z.ZodError): string {
  return error.issues
    .map((issue) => {
      const what = lowerFirst(issue.message);
      return issue.path.length === 0 ? what : `field ${JSON.stringify(fieldPath(issue.path))}: ${what}`;
    })
    .join("; ");
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
    const lineNo = i + 1;
    let raw: unknown;
    try {
      raw = JSON.parse(line);
    } catch (err) {
      const why = err instanceof Error ? err.message : String(err);
      throw new JsonlError(fileName, lineNo, `invalid JSON (${why})`);
    }
    if (typeof raw !== "object" || raw === null || Array.isArray(raw)) {
      const kind = raw === null ? "null" : Array.isArray(raw) ? "an array" : typeof raw;
      throw new JsonlError(fileName, lineNo, `expected a JSON object, got ${kind}`);
    }
    const parsed = schema.safeParse(raw);
    if (!parsed.success) throw new JsonlError(fileName, lineNo, describeZodError(parsed.error));
    out.push({ line: lineNo, value: parsed.data, raw: raw as Record<string, unknown> });
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
