// Piscina's entry for a generation worker. Worker threads do not inherit the main thread's
// tsx loader on Node 20, so each worker registers tsx itself before importing the TypeScript
// worker module; the default export (the task handler) is what Piscina calls. Plain JS on
// purpose: this file must load before any TypeScript can.
import { register } from "tsx/esm/api";

register();
const mod = await import("./worker.ts");

export default mod.default;
