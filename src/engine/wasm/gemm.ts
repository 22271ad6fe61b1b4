// GEMM code generation for the fused kernels: C (+)= A·B with a 4×8 register block, i.e. eight
// f32x4 accumulators, where every pair of B vectors loaded feeds four rows' multiply-adds.
// Measured here at 31–39 GFLOP/s with separate multiply and add and ~50 GFLOP/s with relaxed
// SIMD's fused multiply-add, against ~27 for tfjs-wasm's XNNPACK matmul, which has no FMA.
//
// A is addressed through two strides, so the same code reads A or Aᵀ (the weight gradient
// xᵀ·dy needs no transpose). K ranges and column ends can depend on the row block, which is
// how attention's causal triangles skip their zero half. B's columns must be contiguous and
// N a multiple of 4; rows left over after the 4-row blocks run through a 1-row block.
import {
  type Expr,
  type Local,
  type Stmt,
  get,
  i32,
  add,
  mul,
  and,
  madd,
  loadV,
  loadSplat,
  storeV,
  set,
  inc,
  forRange,
  when,
  lts,
  select,
  v4,
} from "./asm.js";
import type { Func } from "./module.js";

export interface GemmSpec {
  /** Rows of C: a constant, or a runtime value. */
  M: number | Expr;
  /** Columns of C, a multiple of 4. */
  N: number;
  a: Expr;
  /** Bytes between the A entries of consecutive C rows (K·4 for A, 4 for Aᵀ). */
  aRow: number;
  /** Bytes between consecutive k in A (4 for A, rows·4 for Aᵀ). */
  aK: number;
  b: Expr;
  /** Bytes between consecutive k rows of B. */
  bK: number;
  c: Expr;
  cRow: number;
  kLo: (i0: Expr) => Expr;
  kHi: (i0: Expr) => Expr;
  /** Columns at or past this end are not needed for the row block (default N). */
  jEnd?: (i0: Expr) => Expr;
  /** Add into C instead of overwriting it (for k split into chunks). */
  accumulate?: boolean;
  /** Use relaxed SIMD's fused multiply-add. */
  fma: boolean;
}

export interface GemmLocals {
  i0: Local;
  j0: Local;
  k: Local;
  kh: Local;
  je: Local;
  pa: Local;
  pb: Local;
  pc: Local;
  m4: Local;
  acc: Local[];
  b0: Local;
  b1: Local;
  av: Local;
}

/** Scratch locals for gemm(); one set can serve every gemm in a function. */
export function gemmLocals(f: Func): GemmLocals {
  const l = (): Local => f.local("i32");
  const v = (): Local => f.local("v128");
  return {
    i0: l(),
    j0: l(),
    k: l(),
    kh: l(),
    je: l(),
    pa: l(),
    pb: l(),
    pc: l(),
    m4: l(),
    acc: [v(), v(), v(), v(), v(), v(), v(), v()],
    b0: v(),
    b1: v(),
    av: v(),
  };
}

export const imin = (a: Expr, b: Expr): Expr => select(a, b, lts(a, b));

export function gemm(L: GemmLocals, g: GemmSpec): Stmt {
  if (g.N % 4 !== 0) throw new Error(`gemm: N=${g.N} is not a multiple of 4`);
  const N8 = g.N - (g.N % 8);
  const zero = v4(0, 0, 0, 0);
  const fmadd = (acc: Local, a: Local, b: Local): Stmt =>
    set(acc, g.fma ? madd(get(a), get(b), get(acc)) : add(get(acc), mul(get(a), get(b))));
  const block = (rows: number, wide: boolean, j0: Expr): Stmt[] => {
    const used: Array<[Local, number]> = []; // accumulator and its byte offset in C
    const body: Stmt[] = [];
    for (let r = 0; r < rows; r++) {
      body.push(set(L.av, loadSplat(get(L.pa), r * g.aRow)));
      body.push(fmadd(L.acc[2 * r] as Local, L.av, L.b0));
      used.push([L.acc[2 * r] as Local, r * g.cRow]);
      if (wide) {
        body.push(fmadd(L.acc[2 * r + 1] as Local, L.av, L.b1));
        used.push([L.acc[2 * r + 1] as Local, r * g.cRow + 16]);
      }
    }
    return [
      set(L.pc, add(add(g.c, mul(get(L.i0), i32(g.cRow))), mul(j0, i32(4)))),
      ...used.map(([a, off]) => set(a, g.accumulate ? loadV(get(L.pc), off) : zero)),
      set(L.k, g.kLo(get(L.i0))),
      set(L.pa, add(add(g.a, mul(get(L.i0), i32(g.aRow))), mul(get(L.k), i32(g.aK)))),
      set(L.pb, add(add(g.b, mul(get(L.k), i32(g.bK))), mul(j0, i32(4)))),
      forRange(L.k, get(L.k), get(L.kh), 1, [
        set(L.b0, loadV(get(L.pb))),
        ...(wide ? [set(L.b1, loadV(get(L.pb), 16))] : []),
        ...body,
        inc(L.pa, g.aK),
        inc(L.pb, g.bK),
      ]),
      ...used.map(([a, off]) => storeV(get(L.pc), get(a), off)),
    ];
  };
  const end = (i0: Expr): Expr => (g.jEnd ? g.jEnd(i0) : i32(g.N));
  const rowBlocks = (rows: number, from: Expr, to: Expr): Stmt =>
    forRange(L.i0, from, to, rows, [
      set(L.kh, g.kHi(get(L.i0))),
      set(L.je, g.jEnd ? imin(end(get(L.i0)), i32(N8)) : i32(N8)),
      forRange(L.j0, i32(0), get(L.je), 8, block(rows, true, get(L.j0))),
      ...(g.N % 8 === 4 ? [when(lts(i32(g.N - 4), end(get(L.i0))), block(rows, false, i32(g.N - 4)))] : []),
    ]);
  if (typeof g.M === "number") {
    const M4 = g.M - (g.M % 4);
    const out: Stmt[] = [rowBlocks(4, i32(0), i32(M4))];
    if (M4 < g.M) out.push(rowBlocks(1, i32(M4), i32(g.M)));
    return (o) => {
      for (const s of out) s(o);
    };
  }
  const M = g.M;
  return (o) => {
    set(L.m4, and(M, i32(-4)))(o);
    rowBlocks(4, i32(0), get(L.m4))(o);
    rowBlocks(1, get(L.m4), M)(o);
  };
}
