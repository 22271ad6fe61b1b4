// Piscina's entry for a generation worker; the default export (the task handler) is what Piscina
// calls. Plain JS on purpose: this file must load before any TypeScript can.
//
// In the installed package it sits in dist/src/pool/ beside the compiled worker.js, which Node
// imports as is (no tsx). In a checkout it sits in src/pool/ beside worker.ts only; worker threads
// do not inherit the main thread's tsx loader on Node 20, so the worker registers tsx itself.
import fs from "node:fs";
import { fileURLToPath } from "node:url";

const compiled = new URL("./worker.js", import.meta.url);
let mod;
if (fs.existsSync(fileURLToPath(compiled))) {
  mod = await import(compiled.href);
} else {
  const { register } = await import("tsx/esm/api");
  register();
  mod = await import("./worker.ts");
}

export default mod.default;
