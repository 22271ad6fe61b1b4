// Attention for one decoding step: append the new key/value rows to copies of the caches and
// attend the new query over them, in one pass, as one wasm kernel (no gradient). qkv [B, 3D];
// caches [B·H, t, hd] -> [B·H, t+1, hd]; optional additive mask [B, t+1]; y [B, D]. The copies
// keep the caches immutable tensors (the caller disposes the old ones), at the cost of one
// memcpy instead of a strided concat. stepEmit is also the attention of the decoder layer.
import * as tf from "@tensorflow/tfjs";
import {
  type Expr,
  type Local,
  type Stmt,
  add,
  bitselect,
  copyBytes,
  div,
  divs as div_s,
  f32,
  forRange,
  get,
  i32,
  loadF,
  loadI,
  loadSplat,
  loadV,
  mul,
  pmax,
  seq,
  set,
  splat,
  storeF,
  storeV,
  sub,
} from "../wasm/asm.js";
import { Func } from "../wasm/module.js";
import { Consts, hmax, hsum } from "../wasm/simd-math.js";
import {
  type ModuleSpec,
  type TensorInfo,
  type WasmBackend,
  compiled,
  expectShape,
  fn,
  ptr,
  registerWasmKernel,
  scratch,
  writeArgs,
} from "../wasm/runtime.js";
import { ceil4, copyVectors, elemAt, expAndSum, lanesUpTo } from "./emit.js";

export interface StepPtrs {
  /** [B, 3D] rows of q | k | v for the new position. */
  qkv: Expr;
  kc: Expr;
  vc: Expr;
  /** Additive [B, t+1] mask (ignored unless masked). */
  mask: Expr;
  /** [B, D] output, heads merged. */
  y: Expr;
  k2: Expr;
  v2: Expr;
  /** Score row scratch, at least ceil4(t+1) floats. */
  scr: Expr;
  nb: Expr;
  t: Expr;
}

/** a / n for i32 a and a constant n. */
const div32 = (a: Expr, n: number): Expr => div_s(a, i32(n));

/** The decoding-step attention over every (sequence, head); see stepModule. */
export function stepEmit(f: Func, k: Consts, H: number, hd: number, masked: boolean, P: StepPtrs): Stmt {
  const D = H * hd;
  const scale = 1 / Math.sqrt(hd);
  const t = f.local("i32");
  const bh = f.local("i32");
  const b = f.local("i32");
  const h = f.local("i32");
  const j = f.local("i32");
  const q = f.local("i32");
  const kd = f.local("i32");
  const vd = f.local("i32");
  const row = f.local("i32");
  const n4 = f.local("i32");
  const sv = f.local("v128");
  const mv = f.local("v128");
  const sum = f.local("v128");
  const t1 = f.local("v128");
  const t2 = f.local("v128");
  const pv = f.local("v128");
  const nvec = hd / 4;
  const group = 8; // accumulators per pass over the keys
  const acc = Array.from({ length: Math.min(nvec, group) }, () => f.local("v128"));
  const dotAcc = f.local("v128");
  const cacheBytes = (len: Expr): Expr => mul(len, i32(hd * 4));
  const sAt = (jj: Expr): Expr => elemAt(P.scr, jj);
  // Lane j (+0..3) exists when j < t+1, i.e. j <= t.
  const validMask = (): Expr => lanesUpTo(k, j, t);
  const body: Stmt[] = [
    set(b, div32(get(bh), H)),
    set(h, sub(get(bh), mul(get(b), i32(H)))),
    set(q, elemAt(P.qkv, add(mul(get(b), i32(3 * D)), mul(get(h), i32(hd))))),
    // Copy the caches and append this step's key and value rows.
    set(kd, add(P.k2, mul(get(bh), cacheBytes(add(get(t), i32(1)))))),
    set(vd, add(P.v2, mul(get(bh), cacheBytes(add(get(t), i32(1)))))),
    copyBytes(get(kd), add(P.kc, mul(get(bh), cacheBytes(get(t)))), cacheBytes(get(t))),
    copyBytes(get(vd), add(P.vc, mul(get(bh), cacheBytes(get(t)))), cacheBytes(get(t))),
    ...copyVectors(add(get(kd), cacheBytes(get(t))), get(q), nvec, D * 4),
    ...copyVectors(add(get(vd), cacheBytes(get(t))), get(q), nvec, 2 * D * 4),
    // Scores s_j = q·k_j·scale (+ mask), j = 0..t.
    forRange(j, i32(0), add(get(t), i32(1)), 1, [
      set(row, add(get(kd), cacheBytes(get(j)))),
      set(dotAcc, mul(loadV(get(q)), loadV(get(row)))),
      ...Array.from({ length: nvec - 1 }, (_, c) =>
        set(dotAcc, add(get(dotAcc), mul(loadV(get(q), (c + 1) * 16), loadV(get(row), (c + 1) * 16)))),
      ),
      storeF(
        sAt(get(j)),
        masked
          ? add(mul(hsum(dotAcc), f32(scale)), loadF(elemAt(P.mask, add(mul(get(b), add(get(t), i32(1))), get(j)))))
          : mul(hsum(dotAcc), f32(scale)),
      ),
    ]),
    // Softmax over the t+1 scores, four at a time; lanes past t are excluded.
    set(mv, k.f(-Infinity)),
    forRange(j, i32(0), get(n4), 4, [
      set(mv, pmax(get(mv), bitselect(loadV(sAt(get(j))), k.f(-Infinity), validMask()))),
    ]),
    set(mv, splat(hmax(mv))),
    set(sum, k.f(0)),
    expAndSum(k, j, get(n4), { mv, sum, sv, t1, t2 }, sAt, sAt, validMask),
    set(sum, splat(div(f32(1), hsum(sum)))),
  ];
  // y = Σ_j p_j v_j, in passes of up to 8 vectors of the head.
  for (let c0 = 0; c0 < nvec; c0 += group) {
    const n = Math.min(group, nvec - c0);
    body.push(
      ...acc.slice(0, n).map((a) => set(a, k.f(0))),
      forRange(j, i32(0), add(get(t), i32(1)), 1, [
        set(pv, loadSplat(sAt(get(j)))),
        set(row, add(get(vd), cacheBytes(get(j)))),
        ...acc.slice(0, n).map((a, c) => set(a, add(get(a), mul(get(pv), loadV(get(row), (c0 + c) * 16))))),
      ]),
      ...acc
        .slice(0, n)
        .map((a, c) =>
          storeV(elemAt(P.y, add(mul(get(b), i32(D)), mul(get(h), i32(hd)))), mul(get(a), get(sum)), (c0 + c) * 16),
        ),
    );
  }
  return seq(
    set(t, P.t),
    set(n4, mul(div32(add(get(t), i32(4)), 4), i32(4))),
    forRange(bh, i32(0), mul(P.nb, i32(H)), 1, body),
  );
}

function stepModule(H: number, hd: number, masked: boolean): Func[] {
  const f = new Func("step", ["i32", "i32", "i32", "i32", "i32", "i32", "i32", "i32", "i32"]);
  const [qkv, kc, vc, mask, y, k2, v2, scr, args] = f.params as [
    Local,
    Local,
    Local,
    Local,
    Local,
    Local,
    Local,
    Local,
    Local,
  ];
  const k = new Consts(f);
  const body = stepEmit(f, k, H, hd, masked, {
    qkv: get(qkv),
    kc: get(kc),
    vc: get(vc),
    mask: get(mask),
    y: get(y),
    k2: get(k2),
    v2: get(v2),
    scr: get(scr),
    nb: loadI(get(args)),
    t: loadI(get(args), 4),
  });
  f.body = [k.init(), body];
  return [f];
}
/** The step module for H heads of size hd, masked or not. */
export const stepModuleSpec = (H: number, hd: number, masked: boolean): ModuleSpec => ({
  key: `step:${H}:${hd}:${masked}`,
  build: () => stepModule(H, hd, masked),
});

const K_STEP = "SiAttentionStep";

/** Checks a decoding step's caches [B·H, t, hd] and, when masked, its mask [B, t+1]. */
export function expectCaches(
  inputs: tf.NamedTensorInfoMap,
  names: { k: string; v: string },
  B: number,
  H: number,
  t: number,
  hd: number,
  masked: boolean,
): void {
  expectShape("key cache", inputs[names.k], [B * H, t, hd]);
  expectShape("value cache", inputs[names.v], [B * H, t, hd]);
  if (masked) expectShape("step mask", inputs.mask, [B, t + 1]);
}

/** Outputs for the caches grown by one position. */
export function grownCaches(be: WasmBackend, B: number, H: number, t: number, hd: number): [TensorInfo, TensorInfo] {
  return [be.makeOutput([B * H, t + 1, hd], "float32"), be.makeOutput([B * H, t + 1, hd], "float32")];
}

/** A decoding step's heads, head size, cache length (kc [B·H, t, hd]) and masking, for width D. */
export function stepShape(
  attrs: tf.NamedAttrMap | undefined,
  D: number,
  kc: TensorInfo,
): { H: number; hd: number; t: number; masked: boolean } {
  const H = attrs?.H as number;
  return { H, hd: D / H, t: kc.shape[1] as number, masked: attrs?.masked === true };
}

export function registerStep(): void {
  registerWasmKernel(K_STEP, (be, inputs, attrs) => {
    const qkv = inputs.qkv as TensorInfo;
    const kc = inputs.k as TensorInfo;
    const vc = inputs.v as TensorInfo;
    const B = qkv.shape[0] as number;
    const D = (qkv.shape[1] as number) / 3;
    const { H, hd, t, masked } = stepShape(attrs, D, kc);
    expectCaches(inputs, { k: "k", v: "v" }, B, H, t, hd, masked);
    const y = be.makeOutput([B, D], "float32");
    const [k2, v2] = grownCaches(be, B, H, t, hd);
    // Scratch: two i32 arguments (batch, cache length) then the score row.
    const scr = scratch(be, 16 + (ceil4(t + 1) + 4) * 4);
    writeArgs(scr, [B, t]);
    const m = compiled(stepModuleSpec(H, hd, masked));
    const maskPtr = masked ? ptr(be, inputs.mask as TensorInfo) : 0;
    fn(m, "step")(ptr(be, qkv), ptr(be, kc), ptr(be, vc), maskPtr, ptr(be, y), ptr(be, k2), ptr(be, v2), scr + 16, scr);
    return [y, k2, v2];
  });
}

/**
 * Decoding-step attention (no gradient): returns the merged-head output [B, D] and the grown
 * caches. mask: additive [B, t+1] over every cached position plus the new one.
 */
export function attentionStep(
  qkv: tf.Tensor2D,
  k: tf.Tensor3D,
  v: tf.Tensor3D,
  H: number,
  mask?: tf.Tensor2D,
): { y: tf.Tensor2D; k: tf.Tensor3D; v: tf.Tensor3D } {
  const inputs: tf.NamedTensorMap = { qkv, k, v };
  if (mask) inputs.mask = mask;
  const [y, k2, v2] = tf.engine().runKernel(K_STEP, inputs, { H, masked: mask !== undefined }) as [
    tf.Tensor2D,
    tf.Tensor3D,
    tf.Tensor3D,
  ];
  return { y, k: k2, v: v2 };
}
