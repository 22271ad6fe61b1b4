// Code patterns the kernels share, on top of the assembler (src/engine/wasm/): the loops over
// rows and over the vectors of a row, element and row addresses, whole-vector copies and sums,
// and the pieces of a masked softmax. Each emits exactly what the kernels wrote out by hand
// before, so the generated modules are unchanged (test/kernels.modules.test.ts).
import {
  type Expr,
  type Local,
  type Stmt,
  add,
  and,
  forRange,
  get,
  i32,
  iadd4,
  ile4,
  isplat,
  loadV,
  mul,
  set,
  storeV,
  sub,
  v4,
} from "../wasm/asm.js";
import { type Consts, vexp } from "../wasm/simd-math.js";

/** A v128 constant with x in every lane. */
export const splat4 = (x: number): Expr => v4(x, x, x, x);

/** n rounded up to a multiple of 4 (whole vectors). */
export const ceil4 = (n: number): number => Math.ceil(n / 4) * 4;

/** for (r = 0; r < count; r++) body. */
export const eachRow = (r: Local, count: Expr, ...body: Array<Stmt | Stmt[]>): Stmt =>
  forRange(r, i32(0), count, 1, ...body);

/** for (i = 0; i < nbytes; i += 16) body: one f32x4 per iteration, i a byte offset. */
export const eachVector = (i: Local, nbytes: Expr, ...body: Array<Stmt | Stmt[]>): Stmt =>
  forRange(i, i32(0), nbytes, 16, ...body);

/** Over the whole vectors of n floats (the first n & ~3), i a byte offset. */
export const wholeVectors = (i: Local, n: Expr, ...body: Array<Stmt | Stmt[]>): Stmt =>
  forRange(i, i32(0), mul(and(n, i32(-4)), i32(4)), 16, ...body);

/** Over the last n % 4 of n floats, one at a time, i a byte offset. */
export const tailFloats = (i: Local, n: Expr, ...body: Array<Stmt | Stmt[]>): Stmt =>
  forRange(i, mul(and(n, i32(-4)), i32(4)), mul(n, i32(4)), 4, ...body);

/** Address of row r of a row-major matrix at base whose rows are rowBytes long. */
export const rowAt = (base: Expr, r: Local, rowBytes: number): Expr => add(base, mul(get(r), i32(rowBytes)));

/** Address of the float (or i32) at index i from base. */
export const elemAt = (base: Expr, i: Expr): Expr => add(base, mul(i, i32(4)));

/** The f32x4 at byte offset i from base. */
export const vecAt = (base: Expr, i: Local): Expr => loadV(add(base, get(i)));

/** dst = a + b over nbytes, a vector at a time (i: the byte-offset local). */
export const addVectors = (i: Local, dst: Expr, a: Expr, b: Expr, nbytes: Expr): Stmt =>
  eachVector(i, nbytes, [storeV(add(dst, get(i)), add(vecAt(a, i), vecAt(b, i)))]);

/** n vectors from src + srcOffset bytes to dst, unrolled. */
export const copyVectors = (dst: Expr, src: Expr, n: number, srcOffset = 0): Stmt[] =>
  Array.from({ length: n }, (_, c) => storeV(dst, loadV(src, srcOffset + c * 16), c * 16));

/** Lane mask of the four indices j..j+3 that are <= limit (the keys a query may see). */
export const lanesUpTo = (k: Consts, j: Local, limit: Local): Expr =>
  ile4(iadd4(isplat(get(j)), k.iota()), isplat(get(limit)));

/** Scratch locals for a softmax over a row: the running max, sum and value, and vexp's two. */
export interface SoftmaxLocals {
  mv: Local;
  sum: Local;
  sv: Local;
  t1: Local;
  t2: Local;
}

/**
 * p_j = e^(s_j − max) on the lanes `valid` keeps (0 elsewhere), summed into sum: over j < n in
 * steps of 4, reading s_j at src(j) and writing p_j at dst(j). mv holds the max in every lane.
 */
export const expAndSum = (
  k: Consts,
  j: Local,
  n: Expr,
  L: SoftmaxLocals,
  src: (j: Expr) => Expr,
  dst: (j: Expr) => Expr,
  valid: () => Expr,
): Stmt =>
  forRange(j, i32(0), n, 4, [
    set(L.sv, and(vexp(k, sub(loadV(src(get(j))), get(L.mv)), L.t1, L.t2), valid())),
    storeV(dst(get(j)), get(L.sv)),
    set(L.sum, add(get(L.sum), get(L.sv))),
  ]);
