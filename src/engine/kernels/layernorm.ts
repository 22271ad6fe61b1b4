// LayerNorm over the last axis (eps 1e-5) as one wasm kernel, with per-row mean and 1/std
// saved for a one-kernel gradient; lnEmit is also the decoder layer's two LayerNorms.
import * as tf from "@tensorflow/tfjs";
import {
  type Expr,
  type Local,
  type Stmt,
  add,
  div,
  f32,
  get,
  i32,
  loadSplat,
  mul,
  set,
  splat,
  sqrt,
  storeF,
  storeV,
  sub,
  zeroBytes,
} from "../wasm/asm.js";
import { Func, type WasmFn } from "../wasm/module.js";
import { hsum } from "../wasm/simd-math.js";
import {
  type ModuleSpec,
  type TensorInfo,
  compiled,
  fn,
  fusedAvailable,
  pointers,
  ptr,
  registerWasmKernel,
  size,
} from "../wasm/runtime.js";
import { eachRow, eachVector, rowAt, splat4, vecAt } from "./emit.js";
const LN_EPS = 1e-5;

/** y = LayerNorm(x)·g + b over rows of D floats; stats (mean, 1/std per row) if given. */
export function lnEmit(
  f: Func,
  D: number,
  x: Expr,
  g: Expr,
  b: Expr,
  y: Expr,
  stats: Expr | undefined,
  rows: Expr,
): Stmt {
  const rowBytes = D * 4;
  const r = f.local("i32");
  const xr = f.local("i32");
  const yr = f.local("i32");
  const st = f.local("i32");
  const c = f.local("i32");
  const acc = f.local("v128");
  const d = f.local("v128");
  const mv = f.local("v128");
  const rv = f.local("v128");
  const mean = f.local("f32");
  const rstd = f.local("f32");
  return eachRow(r, rows, [
    set(xr, rowAt(x, r, rowBytes)),
    set(yr, rowAt(y, r, rowBytes)),
    set(acc, splat4(0)),
    eachVector(c, i32(rowBytes), [set(acc, add(get(acc), vecAt(get(xr), c)))]),
    set(mean, div(hsum(acc), f32(D))),
    set(mv, splat(get(mean))),
    set(acc, splat4(0)),
    eachVector(c, i32(rowBytes), [
      set(d, sub(vecAt(get(xr), c), get(mv))),
      set(acc, add(get(acc), mul(get(d), get(d)))),
    ]),
    set(rstd, div(f32(1), sqrt(add(div(hsum(acc), f32(D)), f32(LN_EPS))))),
    set(rv, splat(get(rstd))),
    eachVector(c, i32(rowBytes), [
      storeV(add(get(yr), get(c)), add(mul(mul(sub(vecAt(get(xr), c), get(mv)), get(rv)), vecAt(g, c)), vecAt(b, c))),
    ]),
    ...(stats ? [set(st, rowAt(stats, r, 8)), storeF(get(st), get(mean)), storeF(get(st), get(rstd), 4)] : []),
  ]);
}

function layerNormModule(D: number): Func[] {
  const rowBytes = D * 4;
  const fwd = new Func("fwd", ["i32", "i32", "i32", "i32", "i32", "i32"]);
  {
    const [x, g, b, y, stats, rows] = fwd.params as [Local, Local, Local, Local, Local, Local];
    fwd.body = [lnEmit(fwd, D, get(x), get(g), get(b), get(y), get(stats), get(rows))];
  }
  // dx = rstd·(dy·g − mean(dy·g) − x̂·mean(dy·g·x̂)); dg = Σ dy·x̂; db = Σ dy.
  const bwd = new Func("bwd", ["i32", "i32", "i32", "i32", "i32", "i32", "i32", "i32"]);
  {
    const [x, g, stats, dy, dx, dg, db, rows] = bwd.params as [Local, Local, Local, Local, Local, Local, Local, Local];
    const r = bwd.local("i32");
    const xr = bwd.local("i32");
    const gr = bwd.local("i32");
    const dr = bwd.local("i32");
    const c = bwd.local("i32");
    const st = bwd.local("i32");
    const mv = bwd.local("v128");
    const rv = bwd.local("v128");
    const xh = bwd.local("v128");
    const gy = bwd.local("v128");
    const dxh = bwd.local("v128");
    const a1 = bwd.local("v128");
    const a2 = bwd.local("v128");
    const m1 = bwd.local("v128");
    const m2 = bwd.local("v128");
    bwd.body = [
      zeroBytes(get(dg), i32(rowBytes)),
      zeroBytes(get(db), i32(rowBytes)),
      eachRow(r, get(rows), [
        set(xr, rowAt(get(x), r, rowBytes)),
        set(gr, rowAt(get(dy), r, rowBytes)),
        set(dr, rowAt(get(dx), r, rowBytes)),
        set(st, rowAt(get(stats), r, 8)),
        set(mv, loadSplat(get(st))),
        set(rv, loadSplat(get(st), 4)),
        set(a1, splat4(0)),
        set(a2, splat4(0)),
        eachVector(c, i32(rowBytes), [
          set(xh, mul(sub(vecAt(get(xr), c), get(mv)), get(rv))),
          set(gy, vecAt(get(gr), c)),
          set(dxh, mul(get(gy), vecAt(get(g), c))),
          set(a1, add(get(a1), get(dxh))),
          set(a2, add(get(a2), mul(get(dxh), get(xh)))),
          storeV(add(get(dg), get(c)), add(vecAt(get(dg), c), mul(get(gy), get(xh)))),
          storeV(add(get(db), get(c)), add(vecAt(get(db), c), get(gy))),
        ]),
        set(m1, splat(div(hsum(a1), f32(D)))),
        set(m2, splat(div(hsum(a2), f32(D)))),
        eachVector(c, i32(rowBytes), [
          set(xh, mul(sub(vecAt(get(xr), c), get(mv)), get(rv))),
          set(dxh, mul(vecAt(get(gr), c), vecAt(get(g), c))),
          storeV(add(get(dr), get(c)), mul(get(rv), sub(sub(get(dxh), get(m1)), mul(get(xh), get(m2))))),
        ]),
      ]),
    ];
  }
  return [fwd, bwd];
}

/** The LayerNorm module for rows of D floats. */
export const layerNormModuleSpec = (D: number): ModuleSpec => ({ key: `ln:${D}`, build: () => layerNormModule(D) });

const K_LN = "SiLayerNorm";
const K_LN_GRAD = "SiLayerNormGrad";

/** The width D of x's rows, their number, and the module for D. */
function rowsOf(x: TensorInfo): { D: number; rows: number; m: Map<string, WasmFn> } {
  const D = x.shape[x.shape.length - 1] as number;
  return { D, rows: size(x.shape) / D, m: compiled(layerNormModuleSpec(D)) };
}

export function registerLayerNorm(): void {
  registerWasmKernel(K_LN, (be, inputs) => {
    const x = inputs.x as TensorInfo;
    const { rows, m } = rowsOf(x);
    const y = be.makeOutput(x.shape, "float32");
    const stats = be.makeOutput([rows, 2], "float32");
    const p = pointers(be, inputs);
    fn(m, "fwd")(p("x"), p("g"), p("b"), ptr(be, y), ptr(be, stats), rows);
    return [y, stats];
  });
  registerWasmKernel(K_LN_GRAD, (be, inputs) => {
    const x = inputs.x as TensorInfo;
    const { D, rows, m } = rowsOf(x);
    const dx = be.makeOutput(x.shape, "float32");
    const dg = be.makeOutput([D], "float32");
    const db = be.makeOutput([D], "float32");
    const p = pointers(be, inputs);
    fn(m, "bwd")(p("x"), p("g"), p("stats"), p("dy"), ptr(be, dx), ptr(be, dg), ptr(be, db), rows);
    return [dx, dg, db];
  });
  tf.registerGradient({
    kernelName: K_LN,
    inputsToSave: ["x", "g"],
    outputsToSave: [false, true],
    gradFunc: (dys, saved) => {
      const [x, g, stats] = saved as [tf.Tensor, tf.Tensor, tf.Tensor];
      const dy = (dys as tf.Tensor[])[0] as tf.Tensor;
      // One kernel computes all three gradients; the engine asks for them one at a time.
      const [dx, dg, db] = tf.engine().runKernel(K_LN_GRAD, { x, g, stats, dy }) as [tf.Tensor, tf.Tensor, tf.Tensor];
      return { x: () => dx, g: () => dg, b: () => db };
    },
  });
}

/** Stock-op LayerNorm over the last axis: the reference numerics and the fallback. */
export function layerNormStock(x: tf.Tensor, g: tf.Tensor, b: tf.Tensor): tf.Tensor {
  const mean = tf.mean(x, -1, true);
  const xc = tf.sub(x, mean);
  const variance = tf.mean(tf.square(xc), -1, true);
  const norm = tf.mul(xc, tf.rsqrt(tf.add(variance, LN_EPS)));
  return tf.add(tf.mul(norm, g), b);
}

export function layerNorm(x: tf.Tensor, g: tf.Tensor, b: tf.Tensor): tf.Tensor {
  const D = x.shape[x.shape.length - 1] as number;
  if (!fusedAvailable() || D % 4 !== 0) return layerNormStock(x, g, b);
  const [y, stats] = tf.engine().runKernel(K_LN, { x, g, b }) as [tf.Tensor, tf.Tensor];
  // The statistics stay alive only through the gradient tape (outputsToSave).
  stats.dispose();
  return y;
}
