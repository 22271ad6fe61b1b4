// Append-only JSONL logs. Each record is one write() of a complete line, so a crash can cut the
// file only between records; readers skip a torn last line.
import fs from "node:fs";
import path from "node:path";
import { fsyncDir } from "./atomic.js";

export function appendJsonl(file: string, record: unknown): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.appendFileSync(file, JSON.stringify(record) + "\n");
}

/**
 * Appends records and flushes them to disk before returning: a run appends a step's lines this
 * way before the step's checkpoint is put in place, so a checkpoint never gets ahead of its logs.
 * One write() for all the lines; a crash can still cut the last one, which readers skip.
 */
export function appendJsonlDurable(file: string, records: readonly unknown[]): void {
  const dir = path.dirname(file);
  fs.mkdirSync(dir, { recursive: true });
  const created = !fs.existsSync(file);
  const fd = fs.openSync(file, "a");
  try {
    if (records.length > 0) fs.writeSync(fd, records.map((r) => JSON.stringify(r) + "\n").join(""));
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  // A new file is an entry in its directory: flush that too, or the file itself can vanish.
  if (created) fsyncDir(dir);
}

/** Reads a JSONL log, ignoring a torn final line (an interrupted write). */
export function readJsonlLog<T>(file: string): T[] {
  if (!fs.existsSync(file)) return [];
  const lines = fs.readFileSync(file, "utf8").split("\n");
  const out: T[] = [];
  lines.forEach((line, i) => {
    if (line.trim() === "") return;
    try {
      out.push(JSON.parse(line) as T);
    } catch (err) {
      if (i < lines.length - 1 && lines.slice(i + 1).some((l) => l.trim() !== "")) {
        throw new Error(`${file}:${i + 1}: corrupt log line (${err instanceof Error ? err.message : String(err)})`);
      }
    }
  });
  return out;
}
