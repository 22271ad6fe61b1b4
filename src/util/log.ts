// Append-only JSONL logs. Each record is one write() of a complete line, so a crash can cut the
// file only between records; readers skip a torn last line.
import fs from "node:fs";
import path from "node:path";

export function appendJsonl(file: string, record: unknown): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.appendFileSync(file, JSON.stringify(record) + "\n");
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
