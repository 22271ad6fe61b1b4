// Fused LayerNorm (forward + one-kernel backward giving dx, dg, db) and GELU (forward +
// backward, SIMD body with a scalar tail) on wasm, against the stock-op formulation on the cpu
// backend (layerNormStock / geluStock, the fallback the fused path must agree with) and a
// float64 reference. Inputs include ordinary rows, rows with large values, rows with a large
// common offset, near-constant rows (variance ~0, where 1/sqrt(var + eps) is ~316) and exactly
// constant rows, widths with and without a fused kernel (D % 4), and GELU over ±1e4 and sizes
// with a scalar tail. Tolerances are set relative to how far the cpu stock result itself is
// from float64, so an ill-conditioned row cannot make a loose bound pass a wrong kernel.
import * as tf from "@tensorflow/tfjs";
import { beforeAll, describe, expect, test } from "vitest";
import { initBackend } from "../src/engine/backend.js";
import { gelu, geluStock } from "../src/engine/kernels/gelu.js";
import { layerNorm, layerNormStock } from "../src/engine/kernels/layernorm.js";
import {
  describeWorst,
  gelu64,
  geluGrad64,
  labelsMatching,
  layerNorm64,
  maxAbs,
  normals,
  watchKernels,
  worst,
  type KernelWatch,
} from "./helpers/kernels.js";
import { Rng } from "../src/util/rng.js";

let watch: KernelWatch;

beforeAll(async () => {
  watch = watchKernels();
  const choice = await initBackend("wasm");
  expect(choice.active).toBe("wasm");
});

type RowKind = "normal" | "large" | "offset" | "nearConstant" | "constant" | "tiny";

/** One row of D values of the given kind. */
function row(kind: RowKind, D: number, rng: Rng): number[] {
  const n = (): number => rng.normal();
  switch (kind) {
    case "normal":
      return Array.from({ length: D }, () => n());
    case "large":
      return Array.from({ length: D }, () => 3e3 * n());
    case "offset":
      return Array.from({ length: D }, () => 500 + n());
    case "nearConstant":
      return Array.from({ length: D }, () => 2.5 + 1e-4 * n());
    case "constant":
      return Array.from({ length: D }, () => -1.75);
    case "tiny":
      return Array.from({ length: D }, () => 1e-6 * n());
  }
}

interface LnResult {
  y: Float32Array;
  dx: Float32Array;
  dg: Float32Array;
  db: Float32Array;
}

/** y and the gradients of sum(y ⊙ r) w.r.t. x, g, b with the given implementation. */
function lnRun(
  impl: (x: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => tf.Tensor,
  x: Float32Array,
  shape: number[],
  g: Float32Array,
  b: Float32Array,
  r: Float32Array,
): LnResult {
  return tf.tidy(() => {
    const D = shape[shape.length - 1] as number;
    const xt = tf.tensor(x, shape);
    const gt = tf.tensor1d(g);
    const bt = tf.tensor1d(b);
    const rt = tf.tensor(r, shape);
    const y = impl(xt, gt, bt);
    const [dx, dg, db] = tf.grads((a: tf.Tensor, c: tf.Tensor, d: tf.Tensor) => tf.sum(tf.mul(impl(a, c, d), rt)))([
      xt,
      gt,
      bt,
    ]);
    expect(dg?.shape).toEqual([D]);
    return {
      y: y.dataSync() as Float32Array,
      dx: (dx as tf.Tensor).dataSync() as Float32Array,
      dg: (dg as tf.Tensor).dataSync() as Float32Array,
      db: (db as tf.Tensor).dataSync() as Float32Array,
    };
  });
}

async function onCpu<T>(fn: () => T): Promise<T> {
  await tf.setBackend("cpu");
  try {
    return fn();
  } finally {
    await tf.setBackend("wasm");
  }
}

const U = 2 ** -24;

/** Per row: mean|x| / sqrt(var + eps), how much float32 rounding of the mean is amplified. */
function rowConditions(x: ArrayLike<number>, D: number): number[] {
  const out: number[] = [];
  for (let s = 0; s < x.length; s += D) {
    let mean = 0;
    let mabs = 0;
    for (let i = s; i < s + D; i++) {
      mean += x[i] as number;
      mabs += Math.abs(x[i] as number);
    }
    mean /= D;
    let v = 0;
    for (let i = s; i < s + D; i++) v += ((x[i] as number) - mean) ** 2;
    out.push(mabs / D / Math.sqrt(v / D + 1e-5));
  }
  return out;
}

/**
 * Group by group (a row of D, or a whole vector), the fused result's largest distance from
 * float64 must be within what float32 can do: 4× the cpu stock result's own distance (cpu
 * reductions accumulate in float64, so this is often the tighter term) or the rounding bound
 * u·(16 + 4·D·cond)·scale, cond being the group's conditioning (rowConditions).
 */
function expectFloat32Accurate(
  label: string,
  fused: Float32Array,
  stock: Float32Array,
  ref: Float64Array,
  group: number,
  conds: number[],
  D: number,
): void {
  for (let s = 0; s < ref.length; s += group) {
    let errF = 0;
    let errS = 0;
    let scale = 0;
    let at = s;
    for (let i = s; i < s + group; i++) {
      const e = Math.abs((fused[i] as number) - (ref[i] as number));
      if (!(e <= errF)) {
        errF = e;
        at = i;
      }
      errS = Math.max(errS, Math.abs((stock[i] as number) - (ref[i] as number)));
      scale = Math.max(scale, Math.abs(ref[i] as number));
    }
    const cond = conds[s / group] as number;
    const allowed = Math.max(4 * errS, U * (16 + 4 * D * cond) * scale) + 1e-30;
    expect(
      errF <= allowed,
      `${label}[${at}] (group ${s / group}, cond ${cond.toFixed(1)}): fused ${fused[at]}, stock ${stock[at]}, float64 ${ref[at]}; fused error ${errF.toExponential(2)} > allowed ${allowed.toExponential(2)} (stock error ${errS.toExponential(2)})`,
    ).toBe(true);
  }
}

const DATASETS: Record<string, RowKind[]> = {
  // Well-conditioned rows: the bound is a few ulps, so dg and db are checked tightly too.
  benign: ["normal", "large", "tiny", "normal", "large"],
  // Large offsets and (near-)constant rows: mean rounding is amplified up to ~1/sqrt(eps).
  illConditioned: ["offset", "nearConstant", "normal", "constant", "offset", "nearConstant"],
};

describe("LayerNorm", () => {
  test.each([4, 8, 12, 48, 96, 100, 6, 10].flatMap((D) => Object.keys(DATASETS).map((k) => [D, k] as const)))(
    "D=%i, %s rows: forward, dx, dg, db against cpu stock and float64",
    async (D, dataset) => {
      const rng = new Rng(D);
      const kinds = DATASETS[dataset] as RowKind[];
      const rows = 17; // four 4-row groups and one more
      const x = new Float32Array(rows * D);
      for (let r = 0; r < rows; r++) x.set(row(kinds[r % kinds.length] as RowKind, D, rng), r * D);
      const g = Float32Array.from({ length: D }, () => 1 + 0.3 * rng.normal());
      const b = Float32Array.from({ length: D }, () => 0.5 * rng.normal());
      const r = normals(D + 1, rows * D);
      const shape = [rows, D];
      const stock = await onCpu(() => lnRun(layerNormStock, x, shape, g, b, r));
      const { result: fused, calls } = watch.during(() => lnRun(layerNorm, x, shape, g, b, r));
      const ref = layerNorm64(x, g, b, D, r);
      // The fused kernel runs exactly for D % 4 == 0 (forward once, backward once).
      expect(labelsMatching(calls, /^ln:/)).toEqual(D % 4 === 0 ? [`ln:${D}.bwd`, `ln:${D}.fwd`] : []);
      // The float64 reference agrees with cpu stock on a benign row (the reference is right).
      const n0 = kinds.indexOf("normal") * D;
      expect(worst(stock.y.subarray(n0, n0 + D), ref.y.subarray(n0, n0 + D), 1e-5, 1e-5).ratio).toBeLessThanOrEqual(1);
      const conds = rowConditions(x, D);
      const worstCond = [Math.max(...conds)];
      expectFloat32Accurate("y", fused.y, stock.y, ref.y, D, conds, D);
      expectFloat32Accurate("dx", fused.dx, stock.dx, ref.dx, D, conds, D);
      expectFloat32Accurate("dg", fused.dg, stock.dg, ref.dg, D, worstCond, rows);
      expectFloat32Accurate("db", fused.db, stock.db, ref.db, D, [1], rows);
      for (const a of [fused.y, fused.dx, fused.dg, fused.db]) expect(a.every(Number.isFinite)).toBe(true);
    },
  );

  test("exactly constant rows give y = b exactly (x - mean is 0), finite gradients", () => {
    const D = 16;
    const x = new Float32Array(3 * D).fill(7.25);
    const g = normals(5, D, 1, 1);
    const b = normals(6, D);
    const out = lnRun(layerNorm, x, [3, D], g, b, normals(7, 3 * D));
    for (let r = 0; r < 3; r++) expect(Array.from(out.y.subarray(r * D, (r + 1) * D))).toEqual(Array.from(b));
    for (const a of [out.dx, out.dg, out.db]) expect(a.every(Number.isFinite)).toBe(true);
  });

  test("rank-3 input [2, 5, 24]: rows are the flattened leading axes, dg/db sum over all of them", () => {
    const D = 24;
    const x = normals(11, 2 * 5 * D, 2, 0.5);
    const g = normals(12, D, 0.3, 1);
    const b = normals(13, D);
    const r = normals(14, 2 * 5 * D);
    const out = lnRun(layerNorm, x, [2, 5, D], g, b, r);
    const ref = layerNorm64(x, g, b, D, r);
    for (const [name, got, want] of [
      ["y", out.y, ref.y],
      ["dx", out.dx, ref.dx],
      ["dg", out.dg, ref.dg],
      ["db", out.db, ref.db],
    ] as const) {
      expect(
        worst(got, want, 1e-4, 1e-5 * maxAbs(want)).ratio,
        describeWorst(name, got, want, 1e-4, 1e-5 * maxAbs(want)),
      ).toBeLessThanOrEqual(1);
    }
  });
});

describe("GELU", () => {
  /** Values spanning the function's regimes, ±1e4 included; size n (tails when n % 4 != 0). */
  function geluInput(n: number, seed: number): Float32Array {
    const rng = new Rng(seed);
    const special = [0, -0, 1e-7, -1e-7, 0.5, -0.5, 3, -3, 8, -8, 10, -10, 20, -20, 50, -50, 100, -100, 1e4, -1e4];
    return Float32Array.from({ length: n }, (_, i) =>
      i < special.length ? (special[i] as number) : rng.normal() * (i % 3 === 0 ? 6 : 1.5),
    );
  }

  function geluRun(
    impl: (x: tf.Tensor) => tf.Tensor,
    x: Float32Array,
    shape: number[],
    r: Float32Array,
  ): { y: Float32Array; dx: Float32Array } {
    return tf.tidy(() => {
      const xt = tf.tensor(x, shape);
      const y = impl(xt);
      const dx = tf.grad((a: tf.Tensor) => tf.sum(tf.mul(impl(a), tf.tensor(r, shape))))(xt);
      return { y: y.dataSync() as Float32Array, dx: dx.dataSync() as Float32Array };
    });
  }

  test.each([
    [[1], 1],
    [[3], 3],
    [[5], 5],
    [[4, 6], 24],
    [[7, 13], 91],
    [[1023], 1023],
    [[2, 3, 64], 384],
  ])("shape %j (%i values): forward and gradient against cpu stock and float64", async (shape, n) => {
    const x = geluInput(n, n);
    const r = normals(n + 3, n);
    const stock = await onCpu(() => geluRun(geluStock, x, shape, r));
    const { result: fused, calls } = watch.during(() => geluRun(gelu, x, shape, r));
    expect(labelsMatching(calls, /^gelu/)).toEqual(["gelu.bwd", "gelu.fwd"]);
    const y64 = Float64Array.from(x, (v) => gelu64(v));
    const dx64 = Float64Array.from(x, (v, i) => geluGrad64(v) * (r[i] as number));
    // GELU is 1-Lipschitz-ish: absolute error relative to |x| is the natural float32 measure.
    for (let i = 0; i < n; i++) {
      const xi = Math.abs(x[i] as number);
      expect(
        Math.abs((fused.y[i] as number) - (y64[i] as number)),
        `y[${i}] at x=${x[i]}: fused ${fused.y[i]}, float64 ${y64[i]}, stock ${stock.y[i]}`,
      ).toBeLessThanOrEqual(4e-7 * xi + 1e-7 + 2 * Math.abs((stock.y[i] as number) - (y64[i] as number)));
      expect(
        Math.abs((fused.dx[i] as number) - (dx64[i] as number)),
        `dx[${i}] at x=${x[i]}: fused ${fused.dx[i]}, float64 ${dx64[i]}, stock ${stock.dx[i]}`,
      ).toBeLessThanOrEqual(
        (2e-6 + 2e-7 * xi) * Math.abs(r[i] as number) +
          1e-7 +
          2 * Math.abs((stock.dx[i] as number) - (dx64[i] as number)),
      );
    }
  });

  test("GELU(x) is exactly x for large positive x and -0/0 for large negative x", () => {
    const y = tf.tidy(() => gelu(tf.tensor1d([30, 100, 1e4, -30, -100, -1e4, 7, 9])).dataSync() as Float32Array);
    expect(Array.from(y.subarray(0, 3))).toEqual([30, 100, 1e4]);
    for (const v of y.subarray(3, 6)) expect(Math.abs(v)).toBeLessThan(1e-30);
  });
});
