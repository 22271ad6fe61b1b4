// AdamW for every parameter in one wasm kernel: the global gradient norm, the clip scale, and
// the moment and weight updates, with the same operation order (in float32) as the stock-op
// version in optim.ts. About 15 stock ops per parameter otherwise, each a dispatch.
import * as tf from "@tensorflow/tfjs";
import {
  type Expr,
  type Local,
  type Stmt,
  add,
  div,
  f32,
  get,
  loadF,
  loadV,
  mul,
  set,
  splat,
  sqrt,
  storeF,
  storeV,
  sub,
} from "../wasm/asm.js";
import { Func } from "../wasm/module.js";
import { tailFloats, vecAt, wholeVectors } from "./emit.js";
import { Consts, hsum } from "../wasm/simd-math.js";
import {
  type ModuleSpec,
  type TensorInfo,
  compiled,
  fn,
  heap,
  ptr,
  registerWasmKernel,
  scratch,
  size,
} from "../wasm/runtime.js";

function adamModule(): Func[] {
  // sumsq(g, n, out): out[0] = Σ g².
  const sq = new Func("sumsq", ["i32", "i32", "i32"]);
  {
    const [g, n, out] = sq.params as [Local, Local, Local];
    const i = sq.local("i32");
    const acc = sq.local("v128");
    const tail = sq.local("f32");
    const x = sq.local("f32");
    const k = new Consts(sq);
    const body = [
      set(acc, k.f(0)),
      wholeVectors(i, get(n), [set(acc, add(get(acc), mul(vecAt(get(g), i), vecAt(get(g), i))))]),
      set(tail, f32(0)),
      tailFloats(i, get(n), [set(x, loadF(add(get(g), get(i)))), set(tail, add(get(tail), mul(get(x), get(x))))]),
      storeF(get(out), add(hsum(acc), get(tail))),
    ];
    sq.body = [k.init(), ...body];
  }
  // adam(p, m, v, g, p2, m2, v2, n, hyper): hyper -> [scale, b1, 1-b1, b2, 1-b2, bc1, bc2, eps, lr, decay]
  const ad = new Func("adam", ["i32", "i32", "i32", "i32", "i32", "i32", "i32", "i32", "i32"]);
  {
    const [p, m, v, g, p2, m2, v2, n, hyper] = ad.params as [
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
    const i = ad.local("i32");
    const hv = Array.from({ length: 10 }, () => ad.local("v128"));
    const hs = Array.from({ length: 10 }, () => ad.local("f32"));
    const gs = ad.local("v128");
    const mv = ad.local("v128");
    const vv = ad.local("v128");
    const gf = ad.local("f32");
    const mf = ad.local("f32");
    const vf = ad.local("f32");
    const step = (
      H: Local[],
      ld: (base: Local) => Expr,
      st: (base: Local, e: Expr) => Stmt,
      G: Local,
      Mv: Local,
      Vv: Local,
    ): Stmt[] => {
      const [scale, b1, omb1, b2, omb2, bc1, bc2, eps, lr, decay] = H.map((l) => get(l)) as [
        Expr,
        Expr,
        Expr,
        Expr,
        Expr,
        Expr,
        Expr,
        Expr,
        Expr,
        Expr,
      ];
      return [
        set(G, mul(ld(g), scale)),
        set(Mv, add(mul(ld(m), b1), mul(get(G), omb1))),
        set(Vv, add(mul(ld(v), b2), mul(mul(get(G), get(G)), omb2))),
        st(m2, get(Mv)),
        st(v2, get(Vv)),
        st(p2, sub(mul(ld(p), decay), mul(div(div(get(Mv), bc1), add(sqrt(div(get(Vv), bc2)), eps)), lr))),
      ];
    };
    const at = (base: Local): Expr => add(get(base), get(i));
    ad.body = [
      ...hs.map((l, j) => set(l, loadF(get(hyper), j * 4))),
      ...hv.map((l, j) => set(l, splat(get(hs[j] as Local)))),
      wholeVectors(
        i,
        get(n),
        step(
          hv,
          (b) => loadV(at(b)),
          (b, e) => storeV(at(b), e),
          gs,
          mv,
          vv,
        ),
      ),
      tailFloats(
        i,
        get(n),
        step(
          hs,
          (b) => loadF(at(b)),
          (b, e) => storeF(at(b), e),
          gf,
          mf,
          vf,
        ),
      ),
    ];
  }
  return [sq, ad];
}

/** The AdamW module (one for every size). */
export const adamModuleSpec = (): ModuleSpec => ({ key: "adam", build: adamModule });

const K_ADAMW = "SiAdamW";

// optim.ts's AdamWConfig plus the bias corrections, written out rather than imported: optim.ts
// calls this kernel, so importing its type here would make an import cycle.
export interface AdamWHyper {
  lr: number;
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
  clipNorm: number;
  /** 1 - beta^t for the step being taken. */
  bc1: number;
  bc2: number;
}

export function registerAdamW(): void {
  registerWasmKernel(K_ADAMW, (be, inputs, attrs) => {
    const n = attrs?.n as number;
    const decay = attrs?.decay as boolean[];
    const h = attrs?.hyper as number[];
    const [lr, beta1, beta2, eps, weightDecay, clipNorm, bc1, bc2] = h as [
      number,
      number,
      number,
      number,
      number,
      number,
      number,
      number,
    ];
    const m = compiled(adamModuleSpec());
    const t = (name: string): TensorInfo => inputs[name] as TensorInfo;
    const scr = scratch(be, 64);
    let normSq = 0;
    for (let j = 0; j < n; j++) {
      const g = t(`g${j}`);
      fn(m, "sumsq")(ptr(be, g), size(g.shape), scr);
      normSq += heap()[scr / 4] as number;
    }
    const gradNorm = Math.sqrt(normSq);
    const scale = clipNorm > 0 && gradNorm > clipNorm ? clipNorm / gradNorm : 1;
    const outs: TensorInfo[] = [];
    for (let j = 0; j < n; j++) {
      const p = t(`p${j}`);
      const p2 = be.makeOutput(p.shape, "float32");
      const m2 = be.makeOutput(p.shape, "float32");
      const v2 = be.makeOutput(p.shape, "float32");
      const hyper = [
        scale,
        beta1,
        1 - beta1,
        beta2,
        1 - beta2,
        bc1,
        bc2,
        eps,
        lr,
        decay[j] && weightDecay > 0 ? 1 - lr * weightDecay : 1,
      ];
      const scr2 = scratch(be, 64);
      heap().set(hyper, scr2 / 4);
      fn(m, "adam")(
        ptr(be, p),
        ptr(be, t(`m${j}`)),
        ptr(be, t(`v${j}`)),
        ptr(be, t(`g${j}`)),
        ptr(be, p2),
        ptr(be, m2),
        ptr(be, v2),
        size(p.shape),
        scr2,
      );
      outs.push(p2, m2, v2);
    }
    const norm = be.makeOutput([1], "float32");
    heap()[ptr(be, norm) / 4] = gradNorm;
    outs.push(norm);
    return outs;
  });
}

/**
 * One AdamW step over every parameter (wasm only; see fusedAvailable). Assigns the new
 * weights and moments to the variables and returns the pre-clip global gradient norm.
 * Gradients are left to the caller.
 */
export function adamwStep(
  entries: ReadonlyArray<{ p: tf.Variable; m: tf.Variable; v: tf.Variable; g: tf.Tensor; decay: boolean }>,
  hyper: AdamWHyper,
): number {
  const inputs: tf.NamedTensorMap = {};
  entries.forEach((e, j) => {
    inputs[`p${j}`] = e.p;
    inputs[`m${j}`] = e.m;
    inputs[`v${j}`] = e.v;
    inputs[`g${j}`] = e.g;
  });
  const { lr, beta1, beta2, eps, weightDecay, clipNorm, bc1, bc2 } = hyper;
  const outs = tf.engine().runKernel(K_ADAMW, inputs, {
    n: entries.length,
    decay: entries.map((e) => e.decay),
    hyper: [lr, beta1, beta2, eps, weightDecay, clipNorm, bc1, bc2],
  }) as tf.Tensor[];
  entries.forEach((e, j) => {
    e.p.assign(outs[3 * j] as tf.Tensor);
    e.m.assign(outs[3 * j + 1] as tf.Tensor);
    e.v.assign(outs[3 * j + 2] as tf.Tensor);
  });
  const norm = outs[outs.length - 1] as tf.Tensor;
  const gradNorm = norm.dataSync()[0] as number;
  for (const o of outs) o.dispose();
  return gradNorm;
}
