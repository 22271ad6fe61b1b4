// A whole decoder layer for one decoding step, as one wasm kernel: LayerNorm, Q/K/V, the
// cached attention, projection and residual, LayerNorm, MLP and residual. Decoding a small
// batch is dominated by per-op dispatch (~20 µs each here), and this is ~15 ops per layer
// otherwise. Same arithmetic, in the same order, as the op-by-op step (it is built from the
// same emitters as the LayerNorm, attention-step and GELU kernels).
import * as tf from "@tensorflow/tfjs";
import { type Expr, type Local, type Stmt, add, get, i32, loadI, mul, set } from "../wasm/asm.js";
import { gemm, gemmLocals } from "../wasm/gemm.js";
import { Func } from "../wasm/module.js";
import { Consts } from "../wasm/simd-math.js";
import {
  type ModuleSpec,
  type TensorInfo,
  compiled,
  expectShape,
  fmaEnabled,
  fn,
  ptr,
  registerWasmKernel,
  scratch,
  writeArgs,
} from "../wasm/runtime.js";
import { attentionSupported } from "./attention.js";
import { expectCaches, grownCaches, stepEmit, stepShape } from "./attention-step.js";
import { addVectors, ceil4 } from "./emit.js";
import { geluEmit } from "./gelu.js";
import { lnEmit } from "./layernorm.js";

export interface LayerShape {
  H: number;
  hd: number;
  F: number;
  masked: boolean;
}

/** Byte offsets (from the args block) of the per-call scratch buffers, for a batch of B. */
function layerScratch(s: LayerShape, B: number, t: number): { offsets: number[]; bytes: number } {
  const D = s.H * s.hd;
  const sizes = [B * D, B * 3 * D, B * D, B * D, B * D, B * s.F, B * D, ceil4(t + 1) + 4];
  const offsets: number[] = [];
  let o = 64; // the args block itself
  for (const n of sizes) {
    offsets.push(o);
    o += n * 4;
  }
  return { offsets, bytes: o };
}

function decodeLayerModule(s: LayerShape, fma: boolean): Func[] {
  const { H, hd, F, masked } = s;
  const D = H * hd;
  const names = [
    "x",
    "kc",
    "vc",
    "mask",
    "g1",
    "b1",
    "wq",
    "wk",
    "wv",
    "wp",
    "g2",
    "b2",
    "wfc",
    "wout",
    "xo",
    "k2",
    "v2",
    "args",
  ] as const;
  const f = new Func(
    "layer",
    names.map(() => "i32" as const),
  );
  const P = Object.fromEntries(names.map((n, i) => [n, f.params[i] as Local])) as Record<(typeof names)[number], Local>;
  const k = new Consts(f);
  const L = gemmLocals(f);
  const nb = f.local("i32");
  const sp = Array.from({ length: 8 }, () => f.local("i32"));
  const [h1, qkv, y, pj, h2, ff, o2, srow] = sp as [Local, Local, Local, Local, Local, Local, Local, Local];
  const r = f.local("i32");
  const mm = (a: Local, aCols: number, w: Local, c: Expr, cRow: number, N: number): Stmt =>
    gemm(L, {
      M: get(nb),
      N,
      a: get(a),
      aRow: aCols * 4,
      aK: 4,
      b: get(w),
      bK: N * 4,
      c,
      cRow,
      fma,
      kLo: () => i32(0),
      kHi: () => i32(aCols),
    });
  /** dst = base + delta (all [B, D]). */
  const residual = (dst: Expr, base: Expr, delta: Expr): Stmt =>
    addVectors(r, dst, base, delta, mul(get(nb), i32(D * 4)));
  const body: Stmt[] = [
    set(nb, loadI(get(P.args))),
    ...sp.map((l, i) => set(l, add(get(P.args), loadI(get(P.args), 8 + 4 * i)))),
    lnEmit(f, D, get(P.x), get(P.g1), get(P.b1), get(h1), undefined, get(nb)),
    mm(h1, D, P.wq, get(qkv), 3 * D * 4, D),
    mm(h1, D, P.wk, add(get(qkv), i32(D * 4)), 3 * D * 4, D),
    mm(h1, D, P.wv, add(get(qkv), i32(2 * D * 4)), 3 * D * 4, D),
    stepEmit(f, k, H, hd, masked, {
      qkv: get(qkv),
      kc: get(P.kc),
      vc: get(P.vc),
      mask: get(P.mask),
      y: get(y),
      k2: get(P.k2),
      v2: get(P.v2),
      scr: get(srow),
      nb: get(nb),
      t: loadI(get(P.args), 4),
    }),
    mm(y, D, P.wp, get(pj), D * 4, D),
    residual(get(P.xo), get(P.x), get(pj)),
    lnEmit(f, D, get(P.xo), get(P.g2), get(P.b2), get(h2), undefined, get(nb)),
    mm(h2, D, P.wfc, get(ff), F * 4, F),
    geluEmit(f, k, get(ff), get(ff), mul(get(nb), i32(F * 4))),
    mm(ff, F, P.wout, get(o2), D * 4, D),
    residual(get(P.xo), get(P.xo), get(o2)),
  ];
  f.body = [k.init(), ...body];
  return [f];
}

/** The decoder-layer module for one shape. */
export const decodeLayerModuleSpec = (s: LayerShape, fma: boolean): ModuleSpec => ({
  key: `layer:${s.H}:${s.hd}:${s.F}:${s.masked}:${fma}`,
  build: () => decodeLayerModule(s, fma),
});

const K_LAYER = "SiDecodeLayer";
const LAYER_INPUTS = ["x", "kc", "vc", "mask", "g1", "b1", "wq", "wk", "wv", "wp", "g2", "b2", "wfc", "wout"] as const;

export function registerDecodeLayer(): void {
  registerWasmKernel(K_LAYER, (be, inputs, attrs) => {
    const x = inputs.x as TensorInfo;
    const [B, D] = x.shape as [number, number];
    const { H, hd, t, masked } = stepShape(attrs, D, inputs.kc as TensorInfo);
    const F = (inputs.wfc as TensorInfo).shape[1] as number;
    const shape: LayerShape = { H, hd, F, masked };
    expectCaches(inputs, { k: "kc", v: "vc" }, B, H, t, hd, masked);
    for (const [n, sh] of [
      ["g1", [D]],
      ["b1", [D]],
      ["wq", [D, D]],
      ["wk", [D, D]],
      ["wv", [D, D]],
      ["wp", [D, D]],
      ["g2", [D]],
      ["b2", [D]],
      ["wfc", [D, F]],
      ["wout", [F, D]],
    ] as const) {
      expectShape(n, inputs[n], sh);
    }
    const xo = be.makeOutput([B, D], "float32");
    const [k2, v2] = grownCaches(be, B, H, t, hd);
    const { offsets, bytes } = layerScratch(shape, B, t);
    const args = scratch(be, bytes);
    writeArgs(args, [B, t, ...offsets]);
    const fma = fmaEnabled();
    const m = compiled(decodeLayerModuleSpec(shape, fma));
    const ptrs = LAYER_INPUTS.map((n) => (n === "mask" && !masked ? 0 : ptr(be, inputs[n] as TensorInfo)));
    fn(m, "layer")(...ptrs, ptr(be, xo), ptr(be, k2), ptr(be, v2), args);
    return [xo, k2, v2];
  });
}

export interface DecodeLayerWeights {
  g1: tf.Tensor;
  b1: tf.Tensor;
  wq: tf.Tensor;
  wk: tf.Tensor;
  wv: tf.Tensor;
  wp: tf.Tensor;
  g2: tf.Tensor;
  b2: tf.Tensor;
  wfc: tf.Tensor;
  wout: tf.Tensor;
}

/** Whether decodeLayer runs for this width (the MLP width must be a multiple of 4 too). */
export function decodeLayerSupported(dModel: number, H: number, hidden: number): boolean {
  return attentionSupported(dModel, H) && dModel % 4 === 0 && hidden % 4 === 0;
}

/** One decoder layer for one decoding step (no gradient). x [B, D]; caches [B·H, t, hd]. */
export function decodeLayer(
  x: tf.Tensor2D,
  k: tf.Tensor3D,
  v: tf.Tensor3D,
  w: DecodeLayerWeights,
  H: number,
  mask?: tf.Tensor2D,
): { x: tf.Tensor2D; k: tf.Tensor3D; v: tf.Tensor3D } {
  const inputs: tf.NamedTensorMap = { x, kc: k, vc: v, ...w };
  if (mask) inputs.mask = mask;
  const [xo, k2, v2] = tf.engine().runKernel(K_LAYER, inputs, { H, masked: mask !== undefined }) as [
    tf.Tensor2D,
    tf.Tensor3D,
    tf.Tensor3D,
  ];
  return { x: xo, k: k2, v: v2 };
}
