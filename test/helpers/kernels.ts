// Shared fixtures for the fused-kernel tests (test/kernels.*.test.ts):
//  - a dispatch watcher: the fused kernels (src/engine/kernels/) keep no record of which ran (its matmul even keeps
//    the stock "BatchMatMul" name), but every module it compiles carries a wasm "name" section
//    labelled with its cache key ("mm:nn:129:12:true.mm", "attn:13:2:12:false.bwd", ...).
//    Wrapping WebAssembly.Instance counts calls per label, which tells a test whether the SIMD
//    path ran, which variant (nn / tn, masked or not) and whether it was built with FMA;
//  - float64 references (matmul, LayerNorm, GELU, causal attention and their gradients, AdamW);
//  - seeded data and tolerance checks.
import * as tf from "@tensorflow/tfjs";
import type { GPT } from "../../src/engine/gpt.js";
import { Rng } from "../../src/util/rng.js";

// ---------------------------------------------------------------------------------------
// Dispatch watcher
// ---------------------------------------------------------------------------------------

interface WasmInstance {
  exports: Record<string, unknown>;
}
type InstanceCtor = new (module: object, imports: Record<string, Record<string, unknown>>) => WasmInstance;
interface WasmNamespace {
  Instance: InstanceCtor;
  Module: { customSections(module: object, name: string): ArrayBuffer[] };
  validate(bytes: Uint8Array): boolean;
}

/** The WebAssembly namespace (the project's lib settings leave it untyped). */
export const WA = (globalThis as unknown as { WebAssembly: WasmNamespace }).WebAssembly;

/** Labels of the modules the fused kernels generate: `<key>.<function>`. */
const KERNEL_LABEL = /^(mm|attn|ln|gelu|step|layer|embed|adam)[:.]/;

/** Function names from a wasm "name" custom section (subsection 1, the function names). */
function functionNames(section: ArrayBuffer): string[] {
  const b = new Uint8Array(section);
  let o = 0;
  const uleb = (): number => {
    let r = 0;
    let s = 0;
    let x: number;
    do {
      x = b[o++] as number;
      r += (x & 0x7f) * 2 ** s;
      s += 7;
    } while (x & 0x80);
    return r;
  };
  const names: string[] = [];
  while (o < b.length) {
    const id = b[o++] as number;
    const size = uleb();
    const end = o + size;
    if (id === 1) {
      const n = uleb();
      for (let i = 0; i < n; i++) {
        const idx = uleb();
        const len = uleb();
        names[idx] = new TextDecoder().decode(b.subarray(o, o + len));
        o += len;
      }
    }
    o = end;
  }
  return names;
}

export interface KernelWatch {
  /** Calls per label since installation, e.g. "mm:tn:12:8:true.mm" -> 3. */
  readonly counts: ReadonlyMap<string, number>;
  /** Labels of every module compiled since installation. */
  readonly compiled: readonly string[];
  /** Runs fn and returns the calls it made, per label. */
  during<T>(fn: () => T): { result: T; calls: Map<string, number> };
}

let watch: KernelWatch | undefined;

/**
 * Starts counting calls into the fused kernels' generated modules. Call it before the kernels compile
 * anything (first thing in the file's beforeAll); modules compiled earlier are not seen.
 */
export function watchKernels(): KernelWatch {
  if (watch) return watch;
  const counts = new Map<string, number>();
  const compiled: string[] = [];
  const Real = WA.Instance;
  function Watched(module: object, imports: Record<string, Record<string, unknown>>): WasmInstance {
    const inst = new Real(module, imports);
    const sections = WA.Module.customSections(module, "name");
    const names = sections[0] ? functionNames(sections[0]) : [];
    if (!names.some((n) => KERNEL_LABEL.test(n))) return inst;
    compiled.push(...names);
    const exports: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(inst.exports)) {
      if (typeof v !== "function") {
        exports[k] = v;
        continue;
      }
      const label = names.find((n) => n.endsWith(`.${k}`)) ?? k;
      const f = v as (...args: number[]) => unknown;
      exports[k] = (...args: number[]): unknown => {
        counts.set(label, (counts.get(label) ?? 0) + 1);
        return f(...args);
      };
    }
    return { exports };
  }
  // A constructor returning an object replaces `this`, so `new WA.Instance(...)` yields the wrapper.
  WA.Instance = Watched as unknown as InstanceCtor;
  watch = {
    counts,
    compiled,
    during<T>(fn: () => T) {
      const before = new Map(counts);
      const result = fn();
      const calls = new Map<string, number>();
      for (const [k, n] of counts) {
        const d = n - (before.get(k) ?? 0);
        if (d > 0) calls.set(k, d);
      }
      return { result, calls };
    },
  };
  return watch;
}

/** Labels among `calls` matching re. */
export function labelsMatching(calls: ReadonlyMap<string, number>, re: RegExp): string[] {
  return [...calls.keys()].filter((k) => re.test(k)).sort();
}

// ---------------------------------------------------------------------------------------
// Data and comparisons
// ---------------------------------------------------------------------------------------

export function normals(seed: number, n: number, std = 1, mean = 0): Float32Array {
  const rng = new Rng(seed);
  return Float32Array.from({ length: n }, () => mean + rng.normal() * std);
}

/**
 * Largest |actual - expected| / (atol + rtol·|expected|) with its index; ≤ 1 is within
 * tolerance. NaN anywhere counts as Infinity.
 */
export function worst(
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  rtol: number,
  atol: number,
): { ratio: number; at: number } {
  if (actual.length !== expected.length) throw new Error(`length mismatch ${actual.length} vs ${expected.length}`);
  let ratio = 0;
  let at = -1;
  for (let i = 0; i < actual.length; i++) {
    const a = actual[i] as number;
    const e = expected[i] as number;
    const r =
      Number.isNaN(a) || Number.isNaN(e)
        ? Number.isNaN(a) && Number.isNaN(e)
          ? 0
          : Infinity
        : a === e
          ? 0
          : Math.abs(a - e) / (atol + rtol * Math.abs(e));
    if (r > ratio) {
      ratio = r;
      at = i;
    }
  }
  return { ratio, at };
}

/** A readable failure message for a tolerance check. */
export function describeWorst(
  label: string,
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  rtol: number,
  atol: number,
): string {
  const w = worst(actual, expected, rtol, atol);
  return w.at < 0
    ? `${label}: exact`
    : `${label}: worst ratio ${w.ratio.toExponential(3)} at [${w.at}] actual ${actual[w.at]} expected ${expected[w.at]}`;
}

export function maxAbs(a: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] as number));
  return m;
}

/** True when both arrays hold the same float32 bit patterns. */
export function sameBits(a: Float32Array, b: Float32Array): boolean {
  if (a.length !== b.length) return false;
  const x = new Uint32Array(a.buffer, a.byteOffset, a.length);
  const y = new Uint32Array(b.buffer, b.byteOffset, b.length);
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return false;
  return true;
}

// ---------------------------------------------------------------------------------------
// float64 references
// ---------------------------------------------------------------------------------------

/** Element (r, c) of a row-major [rows, cols] matrix, read as its transpose when t. */
const at2 = (x: ArrayLike<number>, cols: number, t: boolean, r: number, c: number): number =>
  t ? (x[c * cols + r] as number) : (x[r * cols + c] as number);

/**
 * C = op(A)·op(B) in float64 for the requested rows of C (all by default), with Σ|a|·|b| per
 * entry (the scale of float32 rounding error). a is [M, K] ([K, M] when tA), b [K, N] ([N, K] when tB).
 */
export function matmul64(
  a: ArrayLike<number>,
  b: ArrayLike<number>,
  M: number,
  K: number,
  N: number,
  tA: boolean,
  tB: boolean,
  rows?: readonly number[],
): { c: Float64Array; abs: Float64Array; rows: number[] } {
  const rs = rows ? [...rows] : Array.from({ length: M }, (_, i) => i);
  const c = new Float64Array(rs.length * N);
  const abs = new Float64Array(rs.length * N);
  const aCols = tA ? M : K;
  const bCols = tB ? K : N;
  rs.forEach((i, ri) => {
    for (let k = 0; k < K; k++) {
      const av = at2(a, aCols, tA, i, k);
      for (let j = 0; j < N; j++) {
        const bv = at2(b, bCols, tB, k, j);
        c[ri * N + j] = (c[ri * N + j] as number) + av * bv;
        abs[ri * N + j] = (abs[ri * N + j] as number) + Math.abs(av * bv);
      }
    }
  });
  return { c, abs, rows: rs };
}

export const LN_EPS = 1e-5;

/** LayerNorm over rows of D (eps 1e-5) and its gradient for upstream dy, in float64. */
export function layerNorm64(
  x: ArrayLike<number>,
  g: ArrayLike<number>,
  b: ArrayLike<number>,
  D: number,
  dy?: ArrayLike<number>,
): { y: Float64Array; dx: Float64Array; dg: Float64Array; db: Float64Array } {
  const rows = x.length / D;
  const y = new Float64Array(x.length);
  const dx = new Float64Array(x.length);
  const dg = new Float64Array(D);
  const db = new Float64Array(D);
  const xh = new Float64Array(D);
  for (let r = 0; r < rows; r++) {
    let mean = 0;
    for (let c = 0; c < D; c++) mean += x[r * D + c] as number;
    mean /= D;
    let v = 0;
    for (let c = 0; c < D; c++) v += ((x[r * D + c] as number) - mean) ** 2;
    v /= D;
    const rstd = 1 / Math.sqrt(v + LN_EPS);
    for (let c = 0; c < D; c++) {
      xh[c] = ((x[r * D + c] as number) - mean) * rstd;
      y[r * D + c] = (xh[c] as number) * (g[c] as number) + (b[c] as number);
    }
    if (!dy) continue;
    let m1 = 0;
    let m2 = 0;
    for (let c = 0; c < D; c++) {
      const d = (dy[r * D + c] as number) * (g[c] as number);
      m1 += d;
      m2 += d * (xh[c] as number);
      dg[c] = (dg[c] as number) + (dy[r * D + c] as number) * (xh[c] as number);
      db[c] = (db[c] as number) + (dy[r * D + c] as number);
    }
    m1 /= D;
    m2 /= D;
    for (let c = 0; c < D; c++)
      dx[r * D + c] = rstd * ((dy[r * D + c] as number) * (g[c] as number) - m1 - (xh[c] as number) * m2);
  }
  return { y, dx, dg, db };
}

const GELU_C = Math.sqrt(2 / Math.PI);
const GELU_A = 0.044715;

/** GELU, tanh approximation, and its derivative, in float64. */
export function gelu64(x: number): number {
  return 0.5 * x * (1 + Math.tanh(GELU_C * (x + GELU_A * x ** 3)));
}
export function geluGrad64(x: number): number {
  const u = GELU_C * (x + GELU_A * x ** 3);
  const th = Math.tanh(u);
  return 0.5 * (1 + th) + 0.5 * x * (1 - th * th) * GELU_C * (1 + 3 * GELU_A * x * x);
}

export interface AttentionRef {
  /** [B·T, D], heads merged. */
  y: Float64Array;
  /** [B·T, 3D] gradient for the upstream dy (when given). */
  dqkv: Float64Array;
  /** Per query row b·T+i: whether any key j <= i is unmasked (rows that mean something). */
  visible: boolean[];
}

/**
 * Causal multi-head attention on a fused projection qkv [B·T, 3D] (q | k | v, heads contiguous),
 * additive key mask [B, T] (0 keep, -1e9 drop), and its backward, in float64. Rows whose every
 * visible key is masked are left at zero (and must get no upstream gradient).
 */
export function attention64(
  qkv: ArrayLike<number>,
  B: number,
  T: number,
  H: number,
  mask?: ArrayLike<number>,
  dy?: ArrayLike<number>,
): AttentionRef {
  const D = qkv.length / (B * T) / 3;
  const hd = D / H;
  const scale = 1 / Math.sqrt(hd);
  const y = new Float64Array(B * T * D);
  const dqkv = new Float64Array(B * T * 3 * D);
  const visible: boolean[] = [];
  const q = (b: number, i: number, h: number, d: number): number => qkv[(b * T + i) * 3 * D + h * hd + d] as number;
  const k = (b: number, i: number, h: number, d: number): number => qkv[(b * T + i) * 3 * D + D + h * hd + d] as number;
  const v = (b: number, i: number, h: number, d: number): number =>
    qkv[(b * T + i) * 3 * D + 2 * D + h * hd + d] as number;
  const m = (b: number, j: number): number => (mask ? (mask[b * T + j] as number) : 0);
  for (let b = 0; b < B; b++) {
    for (let i = 0; i < T; i++) {
      let any = false;
      for (let j = 0; j <= i; j++) if (m(b, j) === 0) any = true;
      visible.push(any);
    }
    for (let h = 0; h < H; h++) {
      const P = new Float64Array(T * T);
      for (let i = 0; i < T; i++) {
        if (!visible[b * T + i]) continue;
        let mx = -Infinity;
        for (let j = 0; j <= i; j++) {
          let s = 0;
          for (let d = 0; d < hd; d++) s += q(b, i, h, d) * k(b, j, h, d);
          P[i * T + j] = s * scale + m(b, j);
          mx = Math.max(mx, P[i * T + j] as number);
        }
        let z = 0;
        for (let j = 0; j <= i; j++) {
          P[i * T + j] = Math.exp((P[i * T + j] as number) - mx);
          z += P[i * T + j] as number;
        }
        for (let j = 0; j <= i; j++) P[i * T + j] = (P[i * T + j] as number) / z;
        for (let d = 0; d < hd; d++) {
          let acc = 0;
          for (let j = 0; j <= i; j++) acc += (P[i * T + j] as number) * v(b, j, h, d);
          y[(b * T + i) * D + h * hd + d] = acc;
        }
      }
      if (!dy) continue;
      const g = (i: number, d: number): number => dy[(b * T + i) * D + h * hd + d] as number;
      for (let i = 0; i < T; i++) {
        if (!visible[b * T + i]) continue;
        const dP = new Float64Array(i + 1);
        let dot = 0;
        for (let j = 0; j <= i; j++) {
          let s = 0;
          for (let d = 0; d < hd; d++) s += g(i, d) * v(b, j, h, d);
          dP[j] = s;
          dot += (P[i * T + j] as number) * s;
        }
        for (let j = 0; j <= i; j++) {
          const p = P[i * T + j] as number;
          const dS = p * ((dP[j] as number) - dot) * scale;
          for (let d = 0; d < hd; d++) {
            const qi = (b * T + i) * 3 * D + h * hd + d;
            const kj = (b * T + j) * 3 * D + D + h * hd + d;
            const vj = (b * T + j) * 3 * D + 2 * D + h * hd + d;
            dqkv[qi] = (dqkv[qi] as number) + dS * k(b, j, h, d);
            dqkv[kj] = (dqkv[kj] as number) + dS * q(b, i, h, d);
            dqkv[vj] = (dqkv[vj] as number) + p * g(i, d);
          }
        }
      }
    }
  }
  return { y, dqkv, visible };
}

export interface AdamW64Param {
  p: Float64Array;
  m: Float64Array;
  v: Float64Array;
  decay: boolean;
}

/**
 * One AdamW step in float64 as optim.ts specifies it: global-norm clip (clipNorm 0 = off),
 * decoupled weight decay p·(1 - lr·wd) on `decay` parameters only, bias-corrected moments.
 * Returns the pre-clip global norm.
 */
export function adamw64(
  params: AdamW64Param[],
  grads: ArrayLike<number>[],
  step: number,
  c: { lr: number; beta1: number; beta2: number; eps: number; weightDecay: number; clipNorm: number },
): number {
  let sq = 0;
  for (const g of grads) for (let i = 0; i < g.length; i++) sq += (g[i] as number) ** 2;
  const norm = Math.sqrt(sq);
  const scale = c.clipNorm > 0 && norm > c.clipNorm ? c.clipNorm / norm : 1;
  const bc1 = 1 - c.beta1 ** step;
  const bc2 = 1 - c.beta2 ** step;
  params.forEach((P, j) => {
    const g = grads[j] as ArrayLike<number>;
    for (let i = 0; i < P.p.length; i++) {
      const gi = (g[i] as number) * scale;
      P.m[i] = c.beta1 * (P.m[i] as number) + (1 - c.beta1) * gi;
      P.v[i] = c.beta2 * (P.v[i] as number) + (1 - c.beta2) * gi * gi;
      const upd = (P.m[i] as number) / bc1 / (Math.sqrt((P.v[i] as number) / bc2) + c.eps);
      P.p[i] = (P.p[i] as number) * (P.decay && c.weightDecay > 0 ? 1 - c.lr * c.weightDecay : 1) - c.lr * upd;
    }
  });
  return norm;
}

// ---------------------------------------------------------------------------------------
// Model helpers
// ---------------------------------------------------------------------------------------

/** Analytic gradient of lossOf(model) w.r.t. every parameter, by parameter name, and the loss. */
export function modelGrads(
  model: GPT,
  lossOf: (m: GPT) => tf.Scalar,
): { loss: number; grads: Map<string, Float32Array> } {
  const nameOf = new Map<string, string>();
  for (const [name, v] of model.params) nameOf.set(v.name, name);
  const { value, grads } = tf.variableGrads(() => lossOf(model), [...model.params.values()]);
  const out = new Map<string, Float32Array>();
  for (const [varName, g] of Object.entries(grads)) {
    out.set(nameOf.get(varName) ?? varName, g.dataSync() as Float32Array);
    g.dispose();
  }
  const loss = value.dataSync()[0] as number;
  value.dispose();
  return { loss, grads: out };
}

/** The wasm backend's heap size in bytes (grows only; a leak of _malloc'd scratch shows here). */
export function wasmHeapBytes(): number {
  const be = tf.backend() as unknown as { wasm?: { asm?: { memory?: { buffer: ArrayBuffer } } } };
  return be.wasm?.asm?.memory?.buffer.byteLength ?? 0;
}
