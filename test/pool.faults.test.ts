// Worker faults: a worker that exits mid-batch, hangs, answers garbage or throws is replaced or
// retried, and every request is answered exactly once — with the very tokens an in-process
// model gives for the same seed and weights, so a retry is indistinguishable from no fault.
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { initBackend } from "../src/engine/backend.js";
import { ModelConfigSchema } from "../src/engine/config.js";
import { GPT } from "../src/engine/gpt.js";
import { LanguageModel } from "../src/engine/language-model.js";
import type { Sample, SampleOptions } from "../src/engine/sample.js";
import { Tokenizer } from "../src/engine/tokenizer.js";
import { COUNTDOWN_TOKENIZER } from "../src/tasks/countdown/prompts.js";
import { PoolError, PoolPolicy, type PoolEvent, type PoolOptions } from "../src/pool/pool-policy.js";
import type { WorkerFault } from "../src/pool/protocol.js";
import { Rng } from "../src/util/rng.js";
import { spreadParameters } from "./helpers/engine.js";

const tokenizer = new Tokenizer(COUNTDOWN_TOKENIZER);
const config = ModelConfigSchema.parse({
  vocabSize: tokenizer.vocabSize,
  contextLength: 32,
  dModel: 16,
  nLayers: 1,
  nHeads: 2,
  mlpRatio: 2,
});
const weights0 = spreadParameters(config, 8, 0.3);
const TIMEOUT_MS = 1500;

type FaultHook = NonNullable<PoolOptions["faults"]>;
let inject: FaultHook | undefined;
const events: PoolEvent[] = [];
let lm: LanguageModel;
let pool: PoolPolicy;
let baselineTensors = 0;

beforeAll(async () => {
  await initBackend("wasm");
  lm = new LanguageModel(new GPT(config, weights0), tokenizer);
  pool = await PoolPolicy.start(
    { config, tokenizer: COUNTDOWN_TOKENIZER, weights: weights0 },
    {
      workers: 2,
      taskTimeoutMs: TIMEOUT_MS,
      maxRetries: 2,
      faults: (info) => inject?.(info),
      onEvent: (e) => events.push(e),
    },
  );
  // Warm each worker's kernels so the first real task is far inside the timeout.
  await Promise.all([
    pool.complete(["<|bos|>1=1<|ans|>"], { maxTokens: 4, seed: 0 }),
    pool.complete(["<|bos|>2=2<|ans|>"], { maxTokens: 4, seed: 0 }),
  ]);
  baselineTensors = Math.max(...(await pool.health()).map((h) => h.numTensors));
}, 60_000);

afterAll(async () => {
  await pool?.close();
  lm?.dispose();
});

async function until(cond: () => boolean, ms: number): Promise<void> {
  const end = performance.now() + ms;
  while (!cond()) {
    if (performance.now() > end) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Fault the first `times` tasks that run on their first attempt. */
function once(fault: WorkerFault, times = 1): FaultHook {
  let left = times;
  return (info) => {
    if (info.attempt === 1 && left > 0) {
      left -= 1;
      return fault;
    }
    return undefined;
  };
}

const PROMPTS = [
  "<|bos|>3 5 7=12<|ans|>",
  "<|bos|>1 2=3<|ans|>",
  "<|bos|>10 20 30=60<|ans|>",
  "<|bos|>9=9<|ans|>",
  "<|bos|>4 4 4 4=16<|ans|>",
  "<|bos|>2 8=10<|ans|>",
];

interface Job {
  kind: "complete" | "logProb";
  prompts: string[];
  opts: SampleOptions;
}

function jobs(n: number, seed: number, withLogProb = false): Job[] {
  const rng = new Rng(seed);
  return Array.from({ length: n }, (_, i) => ({
    kind: withLogProb && i % 3 === 2 ? ("logProb" as const) : ("complete" as const),
    prompts: Array.from({ length: rng.int(1, 4) }, () => rng.pick(PROMPTS)),
    opts: { maxTokens: 10, temperature: 1, seed: seed * 100 + i },
  }));
}

function essence(samples: readonly Sample[]): unknown {
  return samples.map((s) => ({ tokens: s.tokens, logprobs: s.logprobs, text: s.text, finishReason: s.finishReason }));
}

function expected(job: Job): unknown {
  return job.kind === "complete"
    ? essence(lm.complete(job.prompts, job.opts))
    : lm.logProb(job.prompts.map((p) => ({ prompt: p, continuation: "1+2" })));
}

/**
 * Runs every job concurrently and checks each was answered exactly once with the in-process
 * answer. Returns the stats delta.
 */
async function runAll(list: Job[]): Promise<ReturnType<PoolPolicy["stats"]>> {
  const before = pool.stats();
  const answers = list.map(() => 0);
  const results = await Promise.allSettled(
    list.map(async (job, i) => {
      const r =
        job.kind === "complete"
          ? essence(await pool.complete(job.prompts, job.opts))
          : await pool.logProb(job.prompts.map((p) => ({ prompt: p, continuation: "1+2" })));
      answers[i] = (answers[i] as number) + 1;
      return r;
    }),
  );
  for (const r of results) if (r.status === "rejected") throw r.reason;
  expect(answers).toEqual(list.map(() => 1));
  list.forEach((job, i) => expect((results[i] as PromiseFulfilledResult<unknown>).value).toEqual(expected(job)));
  const after = pool.stats();
  expect(after.calls - before.calls).toBe(list.length);
  expect(after.duplicatesDropped).toBe(0);
  return {
    ...after,
    retries: after.retries - before.retries,
    faults: {
      exit: after.faults.exit - before.faults.exit,
      timeout: after.faults.timeout - before.faults.timeout,
      garbage: after.faults.garbage - before.faults.garbage,
      error: after.faults.error - before.faults.error,
    },
    workerStarts: after.workerStarts - before.workerStarts,
    failedCalls: after.failedCalls - before.failedCalls,
  };
}

describe("a faulty worker never loses or duplicates a request", () => {
  test("a worker that exits mid-batch is replaced and its calls retried", async () => {
    inject = once("exit");
    const d = await runAll(jobs(6, 1));
    expect(d.faults.exit).toBe(1);
    expect(d.retries).toBeGreaterThanOrEqual(1);
    expect(d.failedCalls).toBe(0);
    // The replacement loads in the background; wait for it to report in.
    await until(() => pool.stats().workerStarts >= 3, 20_000);
    expect(events.some((e) => e.type === "fault" && e.kind === "exit")).toBe(true);
  });

  test("a worker that hangs is terminated after the timeout and its calls retried", async () => {
    inject = once("hang");
    const t0 = performance.now();
    const d = await runAll(jobs(4, 2));
    expect(d.faults.timeout).toBe(1);
    expect(d.failedCalls).toBe(0);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(TIMEOUT_MS - 50);
  });

  test("a worker that returns garbage (wrong count, NaN log-probs) is not believed", async () => {
    inject = once("garbage", 2);
    const d = await runAll(jobs(6, 3, true));
    expect(d.faults.garbage).toBe(2);
    expect(d.failedCalls).toBe(0);
  });

  test("a worker that throws is retried", async () => {
    inject = once("throw");
    const d = await runAll(jobs(3, 4));
    expect(d.faults.error).toBe(1);
  });

  test("chaos: a third of first attempts fail in assorted ways", async () => {
    const rng = new Rng(5);
    const kinds: WorkerFault[] = ["exit", "garbage", "throw"];
    inject = (info) => (info.attempt === 1 && rng.next() < 0.35 ? rng.pick(kinds) : undefined);
    const d = await runAll(jobs(16, 6, true));
    expect(d.failedCalls).toBe(0);
    expect(d.faults.exit + d.faults.garbage + d.faults.error).toBeGreaterThan(0);
  });

  test("a call that fails on every attempt is rejected once, with its history; others are unaffected", async () => {
    inject = (info) => (info.kind === "logProb" ? "throw" : undefined);
    const doomed = pool.logProb([{ prompt: PROMPTS[0] as string, continuation: "1" }]);
    const fine = jobs(3, 7);
    const [bad, ...good] = await Promise.allSettled([doomed, ...fine.map((j) => pool.complete(j.prompts, j.opts))]);
    expect(bad?.status).toBe("rejected");
    const reason = (bad as PromiseRejectedResult).reason as Error;
    expect(reason).toBeInstanceOf(PoolError);
    expect(reason.message).toMatch(/failed after 3 attempt/);
    good.forEach((r, i) =>
      expect(essence((r as PromiseFulfilledResult<Sample[]>).value)).toEqual(expected(fine[i] as Job)),
    );
  });

  test("a replacement worker comes up on the current weights", async () => {
    const rng = new Rng(9);
    const weights1 = new Map([...weights0].map(([k, v]) => [k, v.map((x) => x + 0.2 * rng.normal())]));
    pool.publish(weights1, 1);
    lm.model.setWeights(weights1);
    // Both workers die on their next task; their replacements must load version 1 from the board.
    inject = once("exit", 2);
    const list = jobs(4, 8);
    const got = await Promise.all(list.map((j) => pool.complete(j.prompts, j.opts)));
    list.forEach((j, i) => expect(essence(got[i] as Sample[])).toEqual(expected(j)));
    for (const s of got.flat()) expect(s.weightVersion).toBe(1);
  });

  test("after all that, every worker is alive and holds no leaked tensors", async () => {
    inject = undefined;
    const health = await pool.health();
    expect(health).toHaveLength(2);
    for (const h of health) expect(h.numTensors).toBe(baselineTensors);
    expect(pool.stats().duplicatesDropped).toBe(0);
  });
});
