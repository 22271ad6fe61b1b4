// Backend selection. The native TensorFlow backends are optional (their install downloads
// libtensorflow); wasm is the embedded default and cpu the last resort. Whatever is picked is
// reported with the reason, so a user always knows why their run is slow or fast.
import * as tf from "@tensorflow/tfjs";
import { createRequire } from "node:module";
import path from "node:path";
import { installWasmGradients } from "./kernels/index.js";

/** The values `--backend` and {@link initBackend} accept; `auto` picks the fastest one that loads. */
export const BACKEND_NAMES = ["auto", "tensorflow-gpu", "tensorflow", "wasm", "cpu"] as const;
/** A backend to ask {@link initBackend} for: one of {@link BACKEND_NAMES}. */
export type BackendRequest = (typeof BACKEND_NAMES)[number];

/** What {@link initBackend} settled on and why: print it so a user knows which backend ran. */
export interface BackendChoice {
  /** The tfjs backend that is now active: "tensorflow", "wasm" or "cpu". */
  active: string;
  /** What was asked for. */
  requested: BackendRequest;
  /** Human-readable reasons, one per candidate tried. */
  reasons: string[];
}

const NATIVE_PACKAGES = {
  "tensorflow-gpu": "@tensorflow/tfjs-node-gpu",
  tensorflow: "@tensorflow/tfjs-node",
} as const;

let current: BackendChoice | undefined;

async function tryNative(kind: keyof typeof NATIVE_PACKAGES): Promise<string | undefined> {
  const pkg = NATIVE_PACKAGES[kind];
  try {
    // A variable specifier keeps bundlers and the type checker from requiring the package.
    const specifier: string = pkg;
    await import(specifier);
    await tf.setBackend("tensorflow");
    await tf.ready();
    return undefined;
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    const how = `npm install ${pkg}${kind === "tensorflow-gpu" ? " on a machine with CUDA" : ""}`;
    if (code === "ERR_MODULE_NOT_FOUND" || code === "MODULE_NOT_FOUND") return `${pkg} is not installed (${how})`;
    const msg = err instanceof Error ? err.message.split("\n")[0] : String(err);
    return `${pkg} failed to load: ${msg} (reinstall with ${how})`;
  }
}

async function tryWasm(): Promise<string | undefined> {
  try {
    const wasm = await import("@tensorflow/tfjs-backend-wasm");
    const require = createRequire(import.meta.url);
    const dist =
      path.join(path.dirname(require.resolve("@tensorflow/tfjs-backend-wasm/package.json")), "dist") + path.sep;
    wasm.setWasmPaths(dist);
    if (!(await tf.setBackend("wasm"))) return "the wasm backend failed to initialise";
    await tf.ready();
    installWasmGradients();
    return undefined;
  } catch (err) {
    return `@tensorflow/tfjs-backend-wasm failed to load (${err instanceof Error ? err.message : String(err)})`;
  }
}

/**
 * Activates a backend. `auto` walks tensorflow-gpu → tensorflow → wasm → cpu; an explicit
 * request that cannot be met throws with the reason instead of silently running elsewhere.
 */
export async function initBackend(requested: BackendRequest = "auto"): Promise<BackendChoice> {
  if (current && (current.requested === requested || requested === "auto")) return current;
  const reasons: string[] = [];
  const order: Exclude<BackendRequest, "auto">[] =
    requested === "auto" ? ["tensorflow-gpu", "tensorflow", "wasm", "cpu"] : [requested];
  for (const kind of order) {
    let failure: string | undefined;
    if (kind === "tensorflow-gpu" || kind === "tensorflow") failure = await tryNative(kind);
    else if (kind === "wasm") failure = await tryWasm();
    else {
      await tf.setBackend("cpu");
      await tf.ready();
    }
    if (failure === undefined) {
      reasons.push(`using ${kind}`);
      current = { active: tf.getBackend(), requested, reasons };
      return current;
    }
    reasons.push(failure);
  }
  throw new Error(`backend "${requested}" is not available: ${reasons.join("; ")}`);
}

/** A one-line description for logs and `--json` output. */
export function describeBackend(choice: BackendChoice): string {
  return `${choice.active} (requested ${choice.requested}: ${choice.reasons.join("; ")})`;
}
