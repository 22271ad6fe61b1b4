// The 2-D matmul, replacing tfjs-wasm's BatchMatMul for unbatched float32 products whose
// output width is a multiple of 4 (every linear layer here): C = A·B, C = Aᵀ·B (weight
// gradients, no transpose materialised) and, by transposing the small B first, A·Bᵀ and Aᵀ·Bᵀ.
// Anything else goes to the original kernel. Also BatchMatMul's gradient, which keeps every
// product on a fast path.
import * as tf from "@tensorflow/tfjs";
import { type Local, add, forRange, get, i32, inc, loadF, mul, set, storeF, zeroBytes } from "../wasm/asm.js";
import { gemm, gemmLocals, imin } from "../wasm/gemm.js";
import { Func } from "../wasm/module.js";
import { eachRow, elemAt } from "./emit.js";
import {
  type ModuleSpec,
  type TensorInfo,
  backendOf,
  compiled,
  fmaEnabled,
  fn,
  fusedAvailable,
  overrideWasmKernel,
  ptr,
  scratch,
} from "../wasm/runtime.js";

/** k rows per chunk in Aᵀ·B: keeps the strided reads of A and the B rows in cache. */
const TN_CHUNK = 64;
/** Largest B (bytes) an A·B pass rereads whole per row block; beyond it k is chunked. */
const NN_PANEL_BYTES = 512 * 1024;

function matmulModule(mode: "nn" | "tn", dim: number, N: number, fma: boolean): Func[] {
  const f = new Func("mm", ["i32", "i32", "i32", "i32"]);
  const [a, b, c, rows] = f.params as [Local, Local, Local, Local];
  const L = gemmLocals(f);
  if (mode === "nn" && dim * N * 4 <= NN_PANEL_BYTES) {
    // C[M, N] = A[M, K]·B[K, N]; dim = K, rows = M.
    f.body = [
      gemm(L, {
        M: get(rows),
        N,
        a: get(a),
        aRow: dim * 4,
        aK: 4,
        b: get(b),
        bK: N * 4,
        c: get(c),
        cRow: N * 4,
        fma,
        kLo: () => i32(0),
        kHi: () => i32(dim),
      }),
    ];
  } else if (mode === "nn") {
    // The same with k in chunks whose slice of B stays in cache (every row block rereads B).
    const kc = Math.max(4, Math.floor(NN_PANEL_BYTES / (N * 4)));
    const k0 = f.local("i32");
    f.body = [
      zeroBytes(get(c), mul(get(rows), i32(N * 4))),
      forRange(k0, i32(0), i32(dim), kc, [
        gemm(L, {
          M: get(rows),
          N,
          a: get(a),
          aRow: dim * 4,
          aK: 4,
          b: get(b),
          bK: N * 4,
          c: get(c),
          cRow: N * 4,
          fma,
          accumulate: true,
          kLo: () => get(k0),
          kHi: () => imin(add(get(k0), i32(kc)), i32(dim)),
        }),
      ]),
    ];
  } else {
    // C[M, N] = Aᵀ·B with A [R, M], B [R, N]; dim = M, rows = R.
    const k0 = f.local("i32");
    f.body = [
      zeroBytes(get(c), i32(dim * N * 4)),
      forRange(k0, i32(0), get(rows), TN_CHUNK, [
        gemm(L, {
          M: dim,
          N,
          a: get(a),
          aRow: 4,
          aK: dim * 4,
          b: get(b),
          bK: N * 4,
          c: get(c),
          cRow: N * 4,
          fma,
          accumulate: true,
          kLo: () => get(k0),
          kHi: () => imin(add(get(k0), i32(TN_CHUNK)), get(rows)),
        }),
      ]),
    ];
  }
  const tr = new Func("transpose", ["i32", "i32", "i32", "i32"]);
  {
    // dst[c, r] = src[r, c] for src [rows, cols].
    const [src, dst, nr, nc] = tr.params as [Local, Local, Local, Local];
    const r = tr.local("i32");
    const cc = tr.local("i32");
    const ps = tr.local("i32");
    const pd = tr.local("i32");
    tr.body = [
      eachRow(r, get(nr), [
        set(ps, elemAt(get(src), mul(get(r), get(nc)))),
        set(pd, elemAt(get(dst), get(r))),
        forRange(cc, i32(0), get(nc), 1, [
          storeF(get(pd), loadF(get(ps))),
          inc(ps, 4),
          set(pd, add(get(pd), mul(get(nr), i32(4)))),
        ]),
      ]),
    ];
  }
  return [f, tr];
}

/** The matmul module: mode nn (C = A·B, dim = K) or tn (C = Aᵀ·B, dim = M), N columns. */
export const matmulModuleSpec = (mode: "nn" | "tn", dim: number, N: number, fma: boolean): ModuleSpec => ({
  key: `mm:${mode}:${dim}:${N}:${fma}`,
  build: () => matmulModule(mode, dim, N, fma),
});

interface MatMulPlan {
  M: number;
  K: number;
  N: number;
}

/** The product's dimensions when the SIMD matmul handles it, else undefined. */
function matMulPlan(
  aShape: readonly number[],
  bShape: readonly number[],
  tA: boolean,
  tB: boolean,
): MatMulPlan | undefined {
  const lead = (s: readonly number[]): boolean => s.slice(0, -2).every((d) => d === 1);
  if (aShape.length < 2 || bShape.length < 2 || !lead(aShape) || !lead(bShape)) return undefined;
  const [ar, ac] = aShape.slice(-2) as [number, number];
  const [br, bc] = bShape.slice(-2) as [number, number];
  const M = tA ? ac : ar;
  const K = tA ? ar : ac;
  const N = tB ? br : bc;
  if ((tB ? bc : br) !== K || N % 4 !== 0 || M < 1 || K < 1) return undefined;
  return { M, K, N };
}

/** Whether tf.matMul with these shapes and flags runs on the SIMD matmul (no slow path). */
export function fastMatMul(aShape: readonly number[], bShape: readonly number[], tA: boolean, tB: boolean): boolean {
  return fusedAvailable() && matMulPlan(aShape, bShape, tA, tB) !== undefined;
}

export function registerMatMul(): void {
  overrideWasmKernel("BatchMatMul", (args, stock) => {
    const a = args.inputs.a as TensorInfo;
    const b = args.inputs.b as TensorInfo;
    const tA = args.attrs?.transposeA === true;
    const tB = args.attrs?.transposeB === true;
    const plan = a.dtype === "float32" && b.dtype === "float32" ? matMulPlan(a.shape, b.shape, tA, tB) : undefined;
    if (!plan) return stock(args);
    const { M, K, N } = plan;
    const be = backendOf(args.backend);
    const out = be.makeOutput(
      [...new Array<number>(Math.max(a.shape.length, b.shape.length) - 2).fill(1), M, N],
      "float32",
    );
    const fma = fmaEnabled();
    const m = compiled(tA ? matmulModuleSpec("tn", M, N, fma) : matmulModuleSpec("nn", K, N, fma));
    let bPtr = ptr(be, b);
    if (tB) {
      const tmp = scratch(be, K * N * 4);
      fn(m, "transpose")(ptr(be, b), tmp, N, K);
      bPtr = tmp;
    }
    fn(m, "mm")(ptr(be, a), bPtr, ptr(be, out), tA ? K : M);
    return out;
  });
}

// ---- gradient ----
// tfjs-wasm's matmul is fast only for plain 2-D products without transpose flags (XNNPACK, or
// the kernel above, which also takes Aᵀ·B); the stock BatchMatMul gradient passes transpose flags
// and drops to a ~2 GFLOP/s loop. Transposing explicitly first where the kernel above cannot
// take the flags keeps the backward pass on a fast path (about 10x faster).

/** Swaps the last two axes, materialising the result so the next matmul sees a plain layout. */
function swapLast(x: tf.Tensor): tf.Tensor {
  const perm = x.shape.map((_, i) => i);
  const r = perm.length;
  perm[r - 1] = r - 2;
  perm[r - 2] = r - 1;
  return tf.transpose(x, perm);
}

/** Sums away broadcast batch axes so a gradient has its input's shape. */
function reduceTo(g: tf.Tensor, shape: number[]): tf.Tensor {
  if (g.shape.length === shape.length && g.shape.every((d, i) => d === shape[i])) return g;
  const lead = g.shape.length - shape.length;
  const axes: number[] = [];
  for (let i = 0; i < g.shape.length; i++) {
    const target = i < lead ? 1 : shape[i - lead];
    if (i < lead || (target === 1 && g.shape[i] !== 1)) axes.push(i);
  }
  return tf.reshape(tf.sum(g, axes), shape);
}

/** BatchMatMul's gradient as the textbook products, each on a fast path. */
export function registerMatMulGradient(): void {
  tf.registerGradient({
    kernelName: "BatchMatMul",
    inputsToSave: ["a", "b"],
    gradFunc: (dy, saved, attrs) => {
      const [a, b] = saved as [tf.Tensor, tf.Tensor];
      const { transposeA, transposeB } = attrs as unknown as { transposeA: boolean; transposeB: boolean };
      const g = dy as tf.Tensor;
      // The textbook gradients, each product run with transpose flags where the SIMD matmul
      // handles them natively (2-D; xᵀ·dy without materialising xᵀ) and with explicit
      // transposes where flags would hit the slow loop.
      const mm = (x: tf.Tensor, y: tf.Tensor, tx: boolean, ty: boolean): tf.Tensor =>
        fastMatMul(x.shape, y.shape, tx, ty)
          ? tf.matMul(x, y, tx, ty)
          : tf.matMul(tx ? swapLast(x) : x, ty ? swapLast(y) : y);
      return {
        a: () => {
          let da: tf.Tensor;
          if (!transposeA && !transposeB) da = mm(g, b, false, true);
          else if (!transposeA && transposeB) da = mm(g, b, false, false);
          else if (transposeA && !transposeB) da = mm(b, g, false, true);
          else da = mm(b, g, true, true);
          return reduceTo(da, a.shape);
        },
        b: () => {
          let db: tf.Tensor;
          if (!transposeA && !transposeB) db = mm(a, g, true, false);
          else if (!transposeA && transposeB) db = mm(g, a, true, false);
          else if (transposeA && !transposeB) db = mm(a, g, false, false);
          else db = mm(g, a, true, true);
          return reduceTo(db, b.shape);
        },
      };
    },
  });
}
