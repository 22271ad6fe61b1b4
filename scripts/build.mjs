// `npm run build` (and `prepare`, so `npm pack` and a git install build too): a clean dist/ from
// tsconfig.build.json, plus the files tsc does not emit. Clean first: a module deleted or moved in
// src/ must not live on in dist/ (a stale scenario there would still be listed as shipped).
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const dist = path.join(root, "dist");

/** Runtime files that are not TypeScript, copied to the same place under dist/. */
const ASSETS = ["src/pool/worker-entry.js", "src/inspect/page"];

fs.rmSync(dist, { recursive: true, force: true });
const tsc = createRequire(import.meta.url).resolve("typescript/bin/tsc");
const r = spawnSync(process.execPath, [tsc, "-p", path.join(root, "tsconfig.build.json")], { stdio: "inherit" });
if (r.status !== 0) {
  process.stderr.write(`build: tsc failed (exit ${r.status ?? r.signal})\n`);
  process.exit(1);
}
for (const rel of ASSETS) fs.cpSync(path.join(root, rel), path.join(dist, rel), { recursive: true });
process.stdout.write(`build: ${path.relative(process.cwd(), dist) || "."} ready\n`);
