#!/usr/bin/env node
// The `selfimprove` command. The installed package runs the compiled CLI in dist/ with plain Node.
// A checkout (it has src/) runs its TypeScript sources through tsx instead, so an edit takes
// effect without a build and the tests, which spawn this file, always exercise the current
// sources rather than a dist/ left over from an earlier build. (A git install is packed with
// `files`, so it has no src/ and runs dist/ like a registry install.) The shipped scenarios import
// the package by name ("selfimprove"); in a checkout scripts/source-condition.mjs resolves that
// name to the sources too, never to dist/.
import fs from "node:fs";
import { register as registerHooks } from "node:module";
import { fileURLToPath } from "node:url";

const sources = new URL("../src/cli/main.ts", import.meta.url);
const compiled = new URL("../dist/src/cli/main.js", import.meta.url);
if (fs.existsSync(fileURLToPath(sources))) {
  registerHooks(new URL("../scripts/source-condition.mjs", import.meta.url));
  const { register } = await import("tsx/esm/api");
  register();
  await import(sources.href);
} else if (fs.existsSync(fileURLToPath(compiled))) {
  await import(compiled.href);
} else {
  process.stderr.write(
    `selfimprove: this copy of the package has neither src/ nor dist/ (${fileURLToPath(new URL("..", import.meta.url))}): reinstall it, or run \`npm run build\` there\n`,
  );
  process.exit(2);
}
