// Checkpoint directory format (version 1):
//   checkpoint.json  { format, version, config, tokenizer, tensors: [{name, shape, offset}], optimizer?, meta }
//   weights.bin      float32 little-endian, tensors back to back in manifest order
//   optimizer.bin    (optional) AdamW m then v, same order
// Written atomically; loading validates every shape against the config and names what differs.
import fs from "node:fs";
import path from "node:path";
import { z } from "zod";
import { parseModelConfig, type ModelConfig } from "./config.js";
import { parameterShapes } from "./gpt.js";
import type { OptimizerState } from "./optim.js";
import type { TokenizerSpec } from "./tokenizer.js";
import { recoverDir, stageDir, type StagedDir } from "../util/atomic.js";

export const CHECKPOINT_FORMAT = "selfimprove-checkpoint";
export const CHECKPOINT_VERSION = 1;

/**
 * A model on disk, in memory: configuration, tokenizer, weights, and optionally the optimizer's
 * state (to resume training).
 */
export interface Checkpoint {
  config: ModelConfig;
  tokenizer: TokenizerSpec;
  weights: Map<string, Float32Array>;
  optimizer?: OptimizerState;
  /** Free-form provenance: task, seed, steps, metrics. */
  meta: Record<string, unknown>;
}

const ManifestSchema = z.object({
  format: z.literal(CHECKPOINT_FORMAT),
  version: z.number().int(),
  config: z.unknown(),
  tokenizer: z.object({ version: z.literal(1), specials: z.array(z.string()), chars: z.string() }),
  tensors: z.array(
    z.object({
      name: z.string(),
      shape: z.array(z.number().int().nonnegative()),
      offset: z.number().int().nonnegative(),
    }),
  ),
  optimizer: z.object({ step: z.number().int().nonnegative() }).optional(),
  meta: z.record(z.unknown()).default({}),
});

function concatFloats(arrays: Float32Array[]): Uint8Array {
  const total = arrays.reduce((a, x) => a + x.length, 0);
  const out = new Float32Array(total);
  let o = 0;
  for (const a of arrays) {
    out.set(a, o);
    o += a.length;
  }
  // Float32Array is little-endian on every platform Node runs on.
  return new Uint8Array(out.buffer);
}

/**
 * Writes a checkpoint directory atomically (a crash leaves the previous one intact). Use
 * {@link LanguageModel.save} for a model in hand.
 */
export function saveCheckpoint(dir: string, ckpt: Checkpoint): void {
  recoverDir(dir);
  stageCheckpoint(dir, ckpt).commit();
}

/**
 * Writes a checkpoint beside `dir` and flushes it, without putting it in place: `commit()` does
 * that. A run stages its checkpoint, appends the step's logs, then commits, so a crash can never
 * leave a checkpoint that is ahead of the logs.
 */
export function stageCheckpoint(dir: string, ckpt: Checkpoint): StagedDir {
  const shapes = parameterShapes(ckpt.config);
  const tensors: Array<{ name: string; shape: number[]; offset: number }> = [];
  const arrays: Float32Array[] = [];
  let offset = 0;
  for (const [name, shape] of shapes) {
    const w = ckpt.weights.get(name);
    const size = shape.reduce((a, b) => a * b, 1);
    if (!w || w.length !== size) throw new Error(`checkpoint: weight ${name} missing or of wrong size`);
    tensors.push({ name, shape, offset });
    arrays.push(w);
    offset += size * 4;
  }
  const manifest = {
    format: CHECKPOINT_FORMAT,
    version: CHECKPOINT_VERSION,
    config: ckpt.config,
    tokenizer: ckpt.tokenizer,
    tensors,
    ...(ckpt.optimizer ? { optimizer: { step: ckpt.optimizer.step } } : {}),
    meta: ckpt.meta,
  };
  return stageDir(dir, (tmp) => {
    fs.writeFileSync(path.join(tmp, "weights.bin"), concatFloats(arrays));
    if (ckpt.optimizer) {
      const opt = ckpt.optimizer;
      const get = (m: Map<string, Float32Array>, n: string, label: string): Float32Array => {
        const a = m.get(n);
        if (!a) throw new Error(`checkpoint: optimizer ${label}.${n} missing`);
        return a;
      };
      fs.writeFileSync(
        path.join(tmp, "optimizer.bin"),
        concatFloats([...shapes.map(([n]) => get(opt.m, n, "m")), ...shapes.map(([n]) => get(opt.v, n, "v"))]),
      );
    }
    // The manifest goes last: a directory with a manifest is complete.
    fs.writeFileSync(path.join(tmp, "checkpoint.json"), JSON.stringify(manifest, null, 1) + "\n");
  });
}

function readFloats(file: string, expectedBytes: number, where: string): Float32Array {
  if (!fs.existsSync(file)) throw new Error(`${where}: missing ${path.basename(file)}`);
  const buf = fs.readFileSync(file);
  if (buf.length !== expectedBytes)
    throw new Error(`${where}: ${path.basename(file)} has ${buf.length} bytes, expected ${expectedBytes}`);
  // Copy into an aligned buffer: Buffer slices may not be 4-byte aligned.
  const copy = new Uint8Array(buf.length);
  copy.set(buf);
  return new Float32Array(copy.buffer);
}

interface Manifest {
  manifest: z.infer<typeof ManifestSchema>;
  config: ModelConfig;
  expected: ReadonlyArray<readonly [string, number[]]>;
  byName: Map<string, { name: string; shape: number[]; offset: number }>;
  /** Parameters (floats) in weights.bin. */
  total: number;
}

function readManifest(dir: string, where: string): Manifest {
  const manifestPath = path.join(dir, "checkpoint.json");
  if (!fs.existsSync(manifestPath))
    throw new Error(`${where}: no checkpoint.json (not a checkpoint directory, or an interrupted write)`);
  let raw: unknown;
  try {
    raw = JSON.parse(fs.readFileSync(manifestPath, "utf8"));
  } catch (err) {
    throw new Error(
      `${where}: checkpoint.json is not valid JSON (${err instanceof Error ? err.message : String(err)})`,
    );
  }
  const parsed = ManifestSchema.safeParse(raw);
  if (!parsed.success) {
    const i = parsed.error.issues[0];
    throw new Error(`${where}: checkpoint.json field "${i?.path.join(".") ?? "?"}": ${i?.message ?? "invalid"}`);
  }
  const m = parsed.data;
  if (m.version !== CHECKPOINT_VERSION)
    throw new Error(`${where}: format version ${m.version} is not supported (this build reads ${CHECKPOINT_VERSION})`);
  const config = parseModelConfig(m.config, where);
  const expected = parameterShapes(config);
  const byName = new Map(m.tensors.map((t) => [t.name, t]));
  let total = 0;
  for (const [name, shape] of expected) {
    const t = byName.get(name);
    if (!t) throw new Error(`${where}: tensor ${name} is missing`);
    // Tensors lie back to back in parameter order: any other offset means a corrupt manifest.
    if (t.offset !== total * 4)
      throw new Error(`${where}: tensor ${name} has offset ${t.offset}, expected ${total * 4}`);
    if (t.shape.length !== shape.length || t.shape.some((d, i) => d !== shape[i])) {
      throw new Error(
        `${where}: tensor ${name} has shape [${t.shape.join(", ")}], the config needs [${shape.join(", ")}]`,
      );
    }
    total += shape.reduce((a, b) => a * b, 1);
  }
  const extra = m.tensors.filter((t) => !expected.some(([n]) => n === t.name));
  if (extra.length > 0) throw new Error(`${where}: unexpected tensors ${extra.map((t) => t.name).join(", ")}`);
  return { manifest: m, config, expected, byName, total };
}

function checkSize(file: string, expectedBytes: number, where: string): void {
  if (!fs.existsSync(file)) throw new Error(`${where}: missing ${path.basename(file)}`);
  const size = fs.statSync(file).size;
  if (size !== expectedBytes)
    throw new Error(
      `${where}: ${path.basename(file)} has ${size} bytes, the manifest needs ${expectedBytes}${size < expectedBytes ? " (truncated)" : ""}`,
    );
}

/**
 * Checks a checkpoint without loading it: the manifest parses and matches its config, and every
 * data file has the size the manifest needs (a truncated weights.bin is caught here, before any
 * tensor is built). Returns its metadata. Throws an Error naming the directory and the problem.
 */
export function checkCheckpoint(
  dir: string,
  opts: { withOptimizer?: boolean } = {},
): { meta: Record<string, unknown>; optimizer: boolean } {
  recoverDir(dir);
  const where = `checkpoint ${dir}`;
  const { manifest, total } = readManifest(dir, where);
  checkSize(path.join(dir, "weights.bin"), total * 4, where);
  if (opts.withOptimizer && manifest.optimizer) checkSize(path.join(dir, "optimizer.bin"), total * 8, where);
  return { meta: manifest.meta, optimizer: manifest.optimizer !== undefined };
}

/**
 * Reads and validates a checkpoint directory, with a clear error naming the file and the problem.
 * Use {@link LanguageModel.load} to get a model.
 */
export function loadCheckpoint(dir: string, opts: { withOptimizer?: boolean } = {}): Checkpoint {
  recoverDir(dir);
  const where = `checkpoint ${dir}`;
  const { manifest: m, config, expected, byName, total } = readManifest(dir, where);
  const flat = readFloats(path.join(dir, "weights.bin"), total * 4, where);
  const weights = new Map<string, Float32Array>();
  for (const [name, shape] of expected) {
    const t = byName.get(name) as { offset: number };
    const size = shape.reduce((a, b) => a * b, 1);
    weights.set(name, flat.slice(t.offset / 4, t.offset / 4 + size));
  }
  const ckpt: Checkpoint = { config, tokenizer: m.tokenizer, weights, meta: m.meta };
  if (opts.withOptimizer && m.optimizer) {
    const opt = readFloats(path.join(dir, "optimizer.bin"), total * 8, where);
    const mm = new Map<string, Float32Array>();
    const vv = new Map<string, Float32Array>();
    let o = 0;
    for (const [name, shape] of expected) {
      const size = shape.reduce((a, b) => a * b, 1);
      mm.set(name, opt.slice(o, o + size));
      vv.set(name, opt.slice(total + o, total + o + size));
      o += size;
    }
    ckpt.optimizer = { step: m.optimizer.step, m: mm, v: vv };
  }
  return ckpt;
}
