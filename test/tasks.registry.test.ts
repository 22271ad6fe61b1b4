// The task registry: every pretrainable task's corpus fits its model's context and speaks its
// tokenizer; pretraining runs for each task and writes a loadable checkpoint; the generic
// evaluator reports fractions; and Countdown's pretraining batches are bit-for-bit those the
// shipped models/countdown-base was trained on.
import { createHash } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { initBackend } from "../src/engine/backend.js";
import { LanguageModel } from "../src/engine/language-model.js";
import { Tokenizer } from "../src/engine/tokenizer.js";
import { Rng } from "../src/util/rng.js";
import { encodeSegments } from "../src/train/segments.js";
import { COUNTDOWN_BASE, pretrain, pretrainBatch, type PretrainConfig } from "../src/train/pretrain.js";
import { DEFAULT_MIX } from "../src/tasks/countdown/corpus.js";
import { COUNTDOWN_TOKENIZER } from "../src/tasks/countdown/prompts.js";
import { evaluateTask } from "../src/tasks/evaluate.js";
import { PRETRAINABLE_TASKS, TASK_REGISTRY, taskEntry } from "../src/tasks/registry.js";

// sha256 over steps 0..99 of (ids.buffer, weights.buffer) for COUNTDOWN_BASE, measured before
// the registry existed: the shipped base model was trained on exactly these batches.
const COUNTDOWN_BATCH_HASH = "c86a7229b372e4f9a6f14a734fc4ee5b7f0882eed9f1cf1dd72e8cf598334dc0";

const TINY_MODEL = { dModel: 8, nLayers: 1, nHeads: 2, mlpRatio: 1, valueHead: false };

let root: string;

beforeAll(async () => {
  await initBackend("wasm");
  root = fs.mkdtempSync(path.join(os.tmpdir(), "selfimprove-registry-"));
});

afterAll(() => {
  fs.rmSync(root, { recursive: true, force: true });
});

describe("registry entries", () => {
  test.each(PRETRAINABLE_TASKS)("%s: 2000 corpus examples fit the default context and have no <|unk|>", (name) => {
    const entry = taskEntry(name);
    const tok = new Tokenizer(entry.spec.tokenizer);
    const rng = new Rng(4242);
    let longest = 0;
    for (let i = 0; i < 2000; i++) {
      const { tokens } = encodeSegments(tok, entry.corpusExample(rng, entry.spec.generate(rng)).segments);
      longest = Math.max(longest, tokens.length);
      expect(tokens.includes(tok.unk), `example ${i} has <|unk|>`).toBe(false);
    }
    expect(longest).toBeLessThanOrEqual(entry.pretrain.model.contextLength);
    expect(entry.pretrain.task).toBe(name);
  });

  test.each(PRETRAINABLE_TASKS)("%s: right answers verify, wrong ones do not", (name) => {
    const entry = taskEntry(name);
    const rng = new Rng(7);
    for (const p of entry.heldOut(30)) {
      const right = entry.rightAnswer(rng, p);
      if (right !== undefined) expect(entry.spec.verify(p, right).correct).toBe(true);
      expect(entry.spec.verify(p, entry.wrongAnswer(rng, p)).correct).toBe(false);
    }
  });

  test("countdown's entry is the shipped configuration", () => {
    expect(TASK_REGISTRY.countdown.pretrain).toBe(COUNTDOWN_BASE);
    expect(TASK_REGISTRY.countdown.spec.tokenizer).toBe(COUNTDOWN_TOKENIZER);
  });

  test("an unknown task fails with the known tasks listed", () => {
    expect(() => taskEntry("nope")).toThrow(
      /unknown task "nope" \(known tasks: countdown, functions, translation, bbh\)/,
    );
    expect(taskEntry("bbh").spec.name).toBe("bbh");
  });
});

describe("pretraining", () => {
  test("countdown batches are unchanged bit for bit (first 100 steps of COUNTDOWN_BASE)", () => {
    // Batches depend on the tokenizer only, so a tiny model stands in for the real one.
    const lm = LanguageModel.create({ ...COUNTDOWN_BASE.model, ...TINY_MODEL }, COUNTDOWN_TOKENIZER, 0);
    const h = createHash("sha256");
    for (let step = 0; step < 100; step++) {
      const b = pretrainBatch(COUNTDOWN_BASE, lm, step);
      h.update(new Uint8Array(b.ids.buffer));
      h.update(new Uint8Array(b.weights.buffer));
    }
    lm.dispose();
    expect(h.digest("hex")).toBe(COUNTDOWN_BATCH_HASH);
  });

  test("an explicit DEFAULT_MIX gives countdown the same batches as no mix", () => {
    const lm = LanguageModel.create({ ...COUNTDOWN_BASE.model, ...TINY_MODEL }, COUNTDOWN_TOKENIZER, 0);
    const a = pretrainBatch(COUNTDOWN_BASE, lm, 3);
    const b = pretrainBatch({ ...COUNTDOWN_BASE, mix: DEFAULT_MIX }, lm, 3);
    lm.dispose();
    expect(Buffer.from(b.ids.buffer).equals(Buffer.from(a.ids.buffer))).toBe(true);
    expect(Buffer.from(b.weights.buffer).equals(Buffer.from(a.weights.buffer))).toBe(true);
  });

  test("a Countdown mix is refused for other tasks", () => {
    const entry = TASK_REGISTRY.functions;
    const lm = LanguageModel.create({ ...entry.pretrain.model, ...TINY_MODEL }, entry.spec.tokenizer, 0);
    expect(() => pretrainBatch({ ...entry.pretrain, mix: DEFAULT_MIX }, lm, 0)).toThrow(/Countdown's corpus mix/);
    lm.dispose();
  });

  test.each(PRETRAINABLE_TASKS)("%s: 3 steps on a tiny model write a loadable checkpoint", async (name) => {
    const entry = taskEntry(name);
    const cfg: PretrainConfig = {
      ...entry.pretrain,
      steps: 3,
      batchSize: 4,
      warmup: 1,
      checkpointEvery: 0,
      model: { ...entry.pretrain.model, ...TINY_MODEL },
    };
    const out = path.join(root, `pretrain-${name}`);
    const losses: number[] = [];
    const lm = await pretrain(cfg, out, { onStep: (s) => losses.push(s.loss) });
    lm.dispose();
    expect(losses).toHaveLength(3);
    for (const l of losses) expect(Number.isFinite(l)).toBe(true);
    const back = LanguageModel.load(path.join(out, "checkpoint"));
    expect(back.meta.task).toBe(name);
    expect(back.meta.step).toBe(3);
    expect(back.tokenizer.spec).toEqual(entry.spec.tokenizer);
    expect(back.model.config.contextLength).toBe(entry.pretrain.model.contextLength);
    back.dispose();
  });
});

describe("generic evaluator", () => {
  test.each(["functions", "translation", "countdown"] as const)(
    "%s: fractions in [0, 1] on a tiny random model",
    (name) => {
      const entry = taskEntry(name);
      const lm = LanguageModel.create({ ...entry.pretrain.model, ...TINY_MODEL }, entry.spec.tokenizer, 1);
      const r = evaluateTask(lm, entry, entry.heldOut(4), { seed: 3, batchSize: 4 });
      lm.dispose();
      expect(r.task).toBe(name);
      expect(r.n).toBe(4);
      for (const x of [r.firstTry, r.secondTry, r.retryFixRate, r.judge.accuracy, r.judge.yesRate]) {
        expect(x).toBeGreaterThanOrEqual(0);
        expect(x).toBeLessThanOrEqual(1);
      }
      expect(r.secondTry).toBeGreaterThanOrEqual(r.firstTry);
      expect(r.judge.n).toBeGreaterThan(0);
    },
  );
});
