// Causal multi-head attention for training, as one wasm kernel with a one-kernel gradient, on
// the fused projection qkv [B·T, 3D] (q | k | v columns, heads contiguous inside each),
// optional additive key mask [B, T]; y [B·T, D] with heads merged. Works per (sequence, head)
// on zero-padded scratch copies, so no transposes or batched matmuls are ever materialised as
// tensors. The backward recomputes the probabilities (FlashAttention-style) instead of keeping
// them: cheaper than the engine's bookkeeping.
//
// Masked attention differs from the stock ops only on rows whose every visible key is masked
// (left-padding queries): stock attends there uniformly over all T keys, this kernel over keys
// <= i; both are meaningless, receive no gradient and are never read by unmasked positions.
import * as tf from "@tensorflow/tfjs";
import {
  type Expr,
  type Local,
  type Stmt,
  add,
  bitselect,
  div,
  f32,
  forRange,
  get,
  i32,
  loadF,
  loadV,
  mul,
  pmax,
  set,
  splat,
  storeF,
  storeV,
  sub,
  zeroBytes,
} from "../wasm/asm.js";
import { gemm, gemmLocals } from "../wasm/gemm.js";
import { Func, type WasmFn } from "../wasm/module.js";
import { Consts, hmax, hsum } from "../wasm/simd-math.js";
import {
  type ModuleSpec,
  type TensorInfo,
  type WasmBackend,
  compiled,
  expectShape,
  fmaEnabled,
  fn,
  fusedAvailable,
  ptr,
  registerWasmKernel,
  scratch,
} from "../wasm/runtime.js";
import { ceil4, copyVectors, eachRow, elemAt, expAndSum, lanesUpTo, rowAt, splat4 } from "./emit.js";
export interface AttnShape {
  T: number;
  H: number;
  hd: number;
  masked: boolean;
}

function attnLayout(s: AttnShape) {
  const Tp = ceil4(s.T);
  const mat = Tp * s.hd * 4;
  const sq = Tp * Tp * 4;
  let o = 0;
  const at = (bytes: number): number => {
    const r = o;
    o += bytes;
    return r;
  };
  const L = {
    QS: at(mat),
    KS: at(mat),
    KT: at(mat),
    VS: at(mat),
    VT: at(mat),
    DYS: at(mat),
    DQS: at(mat),
    DKS: at(mat),
    DVS: at(mat),
    YS: at(mat),
    SS: at(sq),
    PS: at(sq),
    DPS: at(sq),
    MS: at(Tp * 4),
    bytes: 0,
    Tp,
  };
  L.bytes = o;
  return L;
}

function attentionModule(s: AttnShape, fma: boolean): Func[] {
  const { T, H, hd, masked } = s;
  const D = H * hd;
  const lay = attnLayout(s);
  const Tp = lay.Tp;
  const rowQKV = 3 * D * 4;
  const scale = 1 / Math.sqrt(hd);

  /** Shared per-function pieces: staging copies, scores + softmax, the loop over heads. */
  function pieces(f: Func, qkv: Local, mask: Local, scr: Local, b: Local, h: Local) {
    const i = f.local("i32");
    const j = f.local("i32");
    const src = f.local("i32");
    const dst = f.local("i32");
    const rowS = f.local("i32");
    const rowP = f.local("i32");
    const mv = f.local("v128");
    const sv = f.local("v128");
    const sum = f.local("v128");
    const t1 = f.local("v128");
    const t2 = f.local("v128");
    const inv = f.local("v128");
    const L = gemmLocals(f);
    const k = new Consts(f);
    const at = (off: number): Expr => add(get(scr), i32(off));
    /** Element j of the scratch row at `row`. */
    const pj = (row: Local): Expr => elemAt(get(row), get(j));
    /** Address of row i of this (b, h) in a [B·T, cols] tensor, column offset col (floats). */
    const rowAddr = (base: Local, rowBytes: number, col: Expr): Expr =>
      elemAt(add(get(base), mul(add(mul(get(b), i32(T)), get(i)), i32(rowBytes))), col);
    const headCol = (part: number): Expr => add(i32(part * D), mul(get(h), i32(hd)));
    /** Copies rows i < T of one head into a [Tp, hd] scratch matrix. */
    const gatherRows = (base: Local, rowBytes: number, col: Expr, off: number): Stmt =>
      eachRow(i, i32(T), [
        set(src, rowAddr(base, rowBytes, col)),
        set(dst, rowAt(at(off), i, hd * 4)),
        ...copyVectors(get(dst), get(src), hd / 4),
      ]);
    /** Copies rows i < T of one head into an [hd, Tp] scratch matrix (transposed). */
    const gatherCols = (base: Local, rowBytes: number, col: Expr, off: number): Stmt =>
      eachRow(i, i32(T), [
        set(src, rowAddr(base, rowBytes, col)),
        set(dst, elemAt(at(off), get(i))),
        ...Array.from({ length: hd }, (_, d) => storeF(get(dst), loadF(get(src), d * 4), d * Tp * 4)),
      ]);
    /** Writes rows i < T of a [Tp, hd] scratch matrix into one head's columns. */
    const scatterRows = (base: Local, rowBytes: number, col: Expr, off: number): Stmt =>
      eachRow(i, i32(T), [
        set(src, rowAt(at(off), i, hd * 4)),
        set(dst, rowAddr(base, rowBytes, col)),
        ...copyVectors(get(dst), get(src), hd / 4),
      ]);
    const stageMask: Stmt[] = masked
      ? [
          forRange(j, i32(0), i32(T), 1, [
            storeF(elemAt(at(lay.MS), get(j)), loadF(elemAt(get(mask), add(mul(get(b), i32(T)), get(j))))),
          ]),
        ]
      : [];
    // Lane j (+0..3) is a valid key for query i when j <= i.
    const validMask = (): Expr => lanesUpTo(k, j, i);
    const probs: Stmt[] = [
      gemm(L, {
        M: Tp,
        N: Tp,
        a: at(lay.QS),
        aRow: hd * 4,
        aK: 4,
        b: at(lay.KT),
        bK: Tp * 4,
        c: at(lay.SS),
        cRow: Tp * 4,
        fma,
        kLo: () => i32(0),
        kHi: () => i32(hd),
        jEnd: (i0) => add(i0, i32(4)),
      }),
      eachRow(i, i32(Tp), [
        set(rowS, rowAt(at(lay.SS), i, Tp * 4)),
        set(rowP, rowAt(at(lay.PS), i, Tp * 4)),
        set(mv, k.f(-Infinity)),
        forRange(j, i32(0), i32(Tp), 4, [
          set(sv, mul(loadV(pj(rowS)), k.f(scale))),
          ...(masked ? [set(sv, add(get(sv), loadV(elemAt(at(lay.MS), get(j)))))] : []),
          set(sv, bitselect(get(sv), k.f(-Infinity), validMask())),
          storeV(pj(rowS), get(sv)),
          set(mv, pmax(get(mv), get(sv))),
        ]),
        set(mv, splat(hmax(mv))),
        set(sum, splat4(0)),
        expAndSum(
          k,
          j,
          i32(Tp),
          { mv, sum, sv, t1, t2 },
          (jj) => elemAt(get(rowS), jj),
          (jj) => elemAt(get(rowP), jj),
          validMask,
        ),
        set(inv, splat(div(f32(1), hsum(sum)))),
        forRange(j, i32(0), i32(Tp), 4, [storeV(pj(rowP), mul(loadV(pj(rowP)), get(inv)))]),
      ]),
    ];
    /** The function's body: body once per (sequence b < nb, head h), on zeroed scratch. */
    const eachHead = (nb: Local, body: Stmt[]): Stmt[] => [
      k.init(),
      zeroBytes(get(scr), i32(lay.bytes)),
      forRange(b, i32(0), get(nb), 1, [...stageMask, forRange(h, i32(0), i32(H), 1, body)]),
    ];
    return { i, j, k, rowP, sum, inv, L, at, pj, headCol, gatherRows, gatherCols, scatterRows, probs, eachHead };
  }

  // fwd(qkv, mask, y, scratch, B)
  const fwd = new Func("fwd", ["i32", "i32", "i32", "i32", "i32"]);
  {
    const [qkv, mask, y, scr, nb] = fwd.params as [Local, Local, Local, Local, Local];
    const b = fwd.local("i32");
    const h = fwd.local("i32");
    const P = pieces(fwd, qkv, mask, scr, b, h);
    fwd.body = P.eachHead(nb, [
      P.gatherRows(qkv, rowQKV, P.headCol(0), lay.QS),
      P.gatherCols(qkv, rowQKV, P.headCol(1), lay.KT),
      P.gatherRows(qkv, rowQKV, P.headCol(2), lay.VS),
      ...P.probs,
      gemm(P.L, {
        M: Tp,
        N: hd,
        a: P.at(lay.PS),
        aRow: Tp * 4,
        aK: 4,
        b: P.at(lay.VS),
        bK: hd * 4,
        c: P.at(lay.YS),
        cRow: hd * 4,
        fma,
        kLo: () => i32(0),
        kHi: (i0) => add(i0, i32(4)),
      }),
      P.scatterRows(y, D * 4, mul(get(h), i32(hd)), lay.YS),
    ]);
  }

  // bwd(qkv, mask, dy, dqkv, scratch, B)
  const bwd = new Func("bwd", ["i32", "i32", "i32", "i32", "i32", "i32"]);
  {
    const [qkv, mask, dy, dqkv, scr, nb] = bwd.params as [Local, Local, Local, Local, Local, Local];
    const b = bwd.local("i32");
    const h = bwd.local("i32");
    const rowD = bwd.local("i32");
    const P = pieces(bwd, qkv, mask, scr, b, h);
    const { i, j, at, pj } = P;
    bwd.body = P.eachHead(nb, [
      P.gatherRows(qkv, rowQKV, P.headCol(0), lay.QS),
      P.gatherRows(qkv, rowQKV, P.headCol(1), lay.KS),
      P.gatherCols(qkv, rowQKV, P.headCol(1), lay.KT),
      P.gatherCols(qkv, rowQKV, P.headCol(2), lay.VT),
      P.gatherRows(dy, D * 4, mul(get(h), i32(hd)), lay.DYS),
      ...P.probs,
      // dP = dY·Vᵀ on the causal blocks.
      gemm(P.L, {
        M: Tp,
        N: Tp,
        a: at(lay.DYS),
        aRow: hd * 4,
        aK: 4,
        b: at(lay.VT),
        bK: Tp * 4,
        c: at(lay.DPS),
        cRow: Tp * 4,
        fma,
        kLo: () => i32(0),
        kHi: () => i32(hd),
        jEnd: (i0) => add(i0, i32(4)),
      }),
      // dS = P ⊙ (dP − Σⱼ P·dP) · scale, in place of dP.
      eachRow(i, i32(Tp), [
        set(P.rowP, rowAt(at(lay.PS), i, Tp * 4)),
        set(rowD, rowAt(at(lay.DPS), i, Tp * 4)),
        set(P.sum, splat4(0)),
        forRange(j, i32(0), i32(Tp), 4, [set(P.sum, add(get(P.sum), mul(loadV(pj(P.rowP)), loadV(pj(rowD)))))]),
        set(P.inv, splat(hsum(P.sum))),
        forRange(j, i32(0), i32(Tp), 4, [
          storeV(pj(rowD), mul(mul(loadV(pj(P.rowP)), sub(loadV(pj(rowD)), get(P.inv))), P.k.f(scale))),
        ]),
      ]),
      // dQ = dS·K (keys j <= i), dK = dSᵀ·Q and dV = Pᵀ·dY (queries i >= j).
      gemm(P.L, {
        M: Tp,
        N: hd,
        a: at(lay.DPS),
        aRow: Tp * 4,
        aK: 4,
        b: at(lay.KS),
        bK: hd * 4,
        c: at(lay.DQS),
        cRow: hd * 4,
        fma,
        kLo: () => i32(0),
        kHi: (i0) => add(i0, i32(4)),
      }),
      gemm(P.L, {
        M: Tp,
        N: hd,
        a: at(lay.DPS),
        aRow: 4,
        aK: Tp * 4,
        b: at(lay.QS),
        bK: hd * 4,
        c: at(lay.DKS),
        cRow: hd * 4,
        fma,
        kLo: (i0) => i0,
        kHi: () => i32(Tp),
      }),
      gemm(P.L, {
        M: Tp,
        N: hd,
        a: at(lay.PS),
        aRow: 4,
        aK: Tp * 4,
        b: at(lay.DYS),
        bK: hd * 4,
        c: at(lay.DVS),
        cRow: hd * 4,
        fma,
        kLo: (i0) => i0,
        kHi: () => i32(Tp),
      }),
      P.scatterRows(dqkv, rowQKV, P.headCol(0), lay.DQS),
      P.scatterRows(dqkv, rowQKV, P.headCol(1), lay.DKS),
      P.scatterRows(dqkv, rowQKV, P.headCol(2), lay.DVS),
    ]);
  }
  return [fwd, bwd];
}

/** The attention module for one shape (the key leaves out fma, which is fixed per process). */
export const attentionModuleSpec = (s: AttnShape, fma: boolean): ModuleSpec => ({
  key: `attn:${s.T}:${s.H}:${s.hd}:${s.masked}`,
  build: () => attentionModule(s, fma),
});

const K_ATTN = "SiCausalAttention";
const K_ATTN_MASKED = "SiCausalAttentionMasked";
const K_ATTN_GRAD = "SiCausalAttentionGrad";

function attnShapeOf(qkv: TensorInfo, attrs: tf.NamedAttrMap | undefined): AttnShape & { B: number } {
  const B = attrs?.B as number;
  const H = attrs?.H as number;
  const T = (qkv.shape[0] as number) / B;
  const hd = (qkv.shape[1] as number) / 3 / H;
  return { B, T, H, hd, masked: attrs?.masked === true };
}

export function registerAttention(): void {
  const moduleFor = (s: AttnShape): Map<string, WasmFn> => compiled(attentionModuleSpec(s, fmaEnabled()));
  const forward = (be: WasmBackend, inputs: tf.NamedTensorInfoMap, attrs: tf.NamedAttrMap | undefined): TensorInfo => {
    const qkv = inputs.qkv as TensorInfo;
    const s = attnShapeOf(qkv, attrs);
    if (!Number.isInteger(s.T) || !Number.isInteger(s.hd))
      throw new Error(`fused attention: qkv [${qkv.shape.join(", ")}] does not split into B=${s.B}, H=${s.H}`);
    if (s.masked) expectShape("attention mask", inputs.mask, [s.B, s.T]);
    const y = be.makeOutput([s.B * s.T, s.H * s.hd], "float32");
    const scr = scratch(be, attnLayout(s).bytes);
    const mask = s.masked ? ptr(be, inputs.mask as TensorInfo) : 0;
    fn(moduleFor(s), "fwd")(ptr(be, qkv), mask, ptr(be, y), scr, s.B);
    return y;
  };
  // Two kernel names, because the gradient's list of saved inputs cannot be optional.
  registerWasmKernel(K_ATTN, forward);
  registerWasmKernel(K_ATTN_MASKED, forward);
  registerWasmKernel(K_ATTN_GRAD, (be, inputs, attrs) => {
    const qkv = inputs.qkv as TensorInfo;
    const s = attnShapeOf(qkv, attrs);
    expectShape("attention gradient", inputs.dy, [s.B * s.T, s.H * s.hd]);
    const dqkv = be.makeOutput(qkv.shape, "float32");
    const scr = scratch(be, attnLayout(s).bytes);
    const mask = s.masked ? ptr(be, inputs.mask as TensorInfo) : 0;
    fn(moduleFor(s), "bwd")(ptr(be, qkv), mask, ptr(be, inputs.dy as TensorInfo), ptr(be, dqkv), scr, s.B);
    return dqkv;
  });
  tf.registerGradient({
    kernelName: K_ATTN,
    inputsToSave: ["qkv"],
    gradFunc: (dy, saved, attrs) => {
      const [qkv] = saved as [tf.Tensor];
      return { qkv: () => tf.engine().runKernel(K_ATTN_GRAD, { qkv, dy: dy as tf.Tensor }, attrs) as tf.Tensor };
    },
  });
  tf.registerGradient({
    kernelName: K_ATTN_MASKED,
    inputsToSave: ["qkv", "mask"],
    gradFunc: (dy, saved, attrs) => {
      const [qkv, mask] = saved as [tf.Tensor, tf.Tensor];
      return {
        qkv: () => tf.engine().runKernel(K_ATTN_GRAD, { qkv, mask, dy: dy as tf.Tensor }, attrs) as tf.Tensor,
        // The mask is data, never trained; a gradient is only asked for if it depends on one.
        mask: () => tf.zerosLike(mask),
      };
    },
  });
}

/**
 * Causal self-attention on a fused projection. qkv: [B·T, 3D] with q, k, v column blocks;
 * mask: additive [B, T] key mask or undefined. Returns [B·T, D] with heads merged.
 * Only for the wasm path (see attentionSupported); gpt.ts keeps the stock formulation.
 */
export function causalAttention(qkv: tf.Tensor2D, B: number, H: number, mask?: tf.Tensor2D): tf.Tensor2D {
  const attrs = { B, H, masked: mask !== undefined };
  if (mask) return tf.engine().runKernel(K_ATTN_MASKED, { qkv, mask }, attrs) as tf.Tensor2D;
  return tf.engine().runKernel(K_ATTN, { qkv }, attrs) as tf.Tensor2D;
}

/** Whether causalAttention runs for this shape: wasm active and a head size multiple of 4. */
export function attentionSupported(dModel: number, H: number): boolean {
  return fusedAvailable() && (dModel / H) % 4 === 0;
}
