// A generation worker: one model replica on its own backend, serving PoolPolicy's tasks. It is
// built once from the config, tokenizer and the weight board handed over at start; before each
// task it installs the newest published weights if the board moved on, so every answer names
// the one weight version it was computed with. Piscina replaces a worker that dies; the
// replacement starts from the board too, so it comes up on the current weights.
import * as tf from "@tensorflow/tfjs";
import v8 from "node:v8";
import vm from "node:vm";
import { parentPort, threadId, workerData } from "node:worker_threads";
import { initBackend } from "../engine/backend.js";
import { GPT } from "../engine/gpt.js";
import { LanguageModel } from "../engine/language-model.js";
import type { Sample } from "../engine/sample.js";
import { Tokenizer } from "../engine/tokenizer.js";
import { generateGroups, groupProblem, type SampleGroup } from "../engine/sample.js";
import type { CallError, TaskStarted, WorkerHealth, WorkerInit, WorkerResult, WorkerTask } from "./protocol.js";
import { WeightBoard } from "./weights.js";

const init = workerData as WorkerInit;
await initBackend(init.backend);
const board = WeightBoard.attach(init.board, init.config);
let snapshot = board.read();
const lm = new LanguageModel(new GPT(init.config, snapshot.weights), new Tokenizer(init.tokenizer));
let version = snapshot.version;

/** Installs the published weights when they differ from the replica's; returns the ms it took. */
function sync(): number {
  if (board.version === version) return 0;
  const t0 = performance.now();
  // The previous snapshot's arrays are reused: the model copied them into tensors already.
  snapshot = board.read(snapshot.weights);
  lm.model.setWeights(snapshot.weights);
  version = snapshot.version;
  return performance.now() - t0;
}

function health(computeMs: number, syncMs: number): WorkerHealth {
  return {
    threadId,
    weightVersion: version,
    numTensors: tf.memory().numTensors,
    heapUsed: v8.getHeapStatistics().used_heap_size,
    computeMs,
    syncMs,
  };
}

let gc: (() => void) | undefined;

/** A full GC, for health checks: without it heapUsed is mostly garbage not yet collected. */
function collectGarbage(): void {
  if (!gc) {
    // Workers run without --expose-gc; this is the documented way to reach gc() at run time.
    v8.setFlagsFromString("--expose-gc");
    gc = vm.runInNewContext("gc") as () => void;
  }
  gc();
}

function hang(): never {
  // A real hang: the thread never yields, so only terminating it gets it back.
  for (;;) Atomics.load(new Int32Array(1), 0);
}

function complete(
  task: Extract<WorkerTask, { kind: "complete" }>,
): Extract<WorkerResult, { kind: "complete" }>["results"] {
  const ctx = lm.model.config.contextLength;
  const groups: SampleGroup[] = [];
  const errors = new Map<number, string>();
  for (const call of task.calls) {
    const group: SampleGroup = {
      prompts: call.prompts.map((p) => lm.tokenizer.encode(p)),
      opts: call.opts,
      ...(call.padTo !== undefined ? { padTo: call.padTo } : {}),
    };
    const problem = groupProblem(group, ctx);
    if (problem) errors.set(call.id, problem);
    else groups.push(group);
  }
  const sampled = generateGroups(lm.model, lm.tokenizer, groups);
  let g = 0;
  return task.calls.map((call): { id: number; samples: Sample[] } | CallError => {
    const error = errors.get(call.id);
    if (error !== undefined) return { id: call.id, error };
    return { id: call.id, samples: sampled[g++] as Sample[] };
  });
}

function logProb(
  task: Extract<WorkerTask, { kind: "logProb" }>,
): Extract<WorkerResult, { kind: "logProb" }>["results"] {
  // Calls are scored one by one so a bad pair (too long for the context) fails only its own call.
  // Scoring is batch-invariant on wasm, so merging would change no value, only the batch shape.
  const all = task.calls.flatMap((c) => c.pairs);
  try {
    const scores = lm.logProb(all);
    let o = 0;
    return task.calls.map((c) => {
      const logProbs = scores.slice(o, o + c.pairs.length);
      o += c.pairs.length;
      return { id: c.id, logProbs };
    });
  } catch {
    return task.calls.map((c) => {
      try {
        return { id: c.id, logProbs: lm.logProb(c.pairs) };
      } catch (err) {
        return { id: c.id, error: err instanceof Error ? err.message : String(err) };
      }
    });
  }
}

export default async function handle(task: WorkerTask): Promise<WorkerResult> {
  // Piscina relays any non-internal message to the pool's "message" event.
  parentPort?.postMessage({ type: "selfimprove-pool-task-started", task: task.task } satisfies TaskStarted);
  const syncMs = sync();
  if (task.fault === "throw") throw new Error("injected fault: throw");
  if (task.fault === "hang") hang();
  const t0 = performance.now();
  if (task.kind === "ping") {
    if (task.gc) collectGarbage();
    return { kind: "ping", ...health(0, syncMs) };
  }
  if (task.kind === "complete") {
    const results = complete(task);
    // Exit after the work but before the answer: the batch is lost mid-flight.
    if (task.fault === "exit") process.exit(3);
    if (task.fault === "garbage") {
      const first = results[0];
      if (first && "samples" in first)
        first.samples = first.samples.slice(1).map((s) => ({ ...s, logprobs: s.logprobs.map(() => NaN) }));
    }
    return { kind: "complete", results, ...health(performance.now() - t0, syncMs) };
  }
  const results = logProb(task);
  if (task.fault === "exit") process.exit(3);
  if (task.fault === "garbage") results.pop();
  return { kind: "logProb", results, ...health(performance.now() - t0, syncMs) };
}
