// GELU (tanh approximation) as x·sigmoid(2u), u = sqrt(2/pi)·(x + 0.044715x³), as one wasm
// kernel with a one-kernel gradient; geluEmit is also the decoder layer's MLP activation.
// Sizes that are not a multiple of 4 finish their last floats in JavaScript.
import * as tf from "@tensorflow/tfjs";
import { type Expr, type Local, type Stmt, add, div, get, mul, set, storeV, sub } from "../wasm/asm.js";
import { Func } from "../wasm/module.js";
import { eachVector, vecAt } from "./emit.js";
import { Consts, vexp } from "../wasm/simd-math.js";
import {
  type ModuleSpec,
  type TensorInfo,
  type WasmBackend,
  compiled,
  fn,
  fusedAvailable,
  heap,
  ptr,
  registerWasmKernel,
  size,
} from "../wasm/runtime.js";
const GELU_A = 0.044715;
const GELU_C2 = 2 * Math.sqrt(2 / Math.PI);

/** y = gelu(x) over nbytes (a multiple of 16) of floats; y may be x. */
export function geluEmit(f: Func, k: Consts, x: Expr, y: Expr, nbytes: Expr): Stmt {
  const p = f.local("i32");
  const xv = f.local("v128");
  const t = f.local("v128");
  const n = f.local("v128");
  const z = mul(get(xv), add(k.f(GELU_C2), mul(k.f(GELU_C2 * GELU_A), mul(get(xv), get(xv)))));
  return eachVector(p, nbytes, [
    set(xv, vecAt(x, p)),
    storeV(add(y, get(p)), div(get(xv), add(k.f(1), vexp(k, sub(k.f(0), z), t, n)))),
  ]);
}

function geluModule(): Func[] {
  const fwd = new Func("fwd", ["i32", "i32", "i32"]);
  {
    const [x, y, nbytes] = fwd.params as [Local, Local, Local];
    const k = new Consts(fwd);
    const body = geluEmit(fwd, k, get(x), get(y), get(nbytes));
    fwd.body = [k.init(), body];
  }
  const bwd = new Func("bwd", ["i32", "i32", "i32", "i32"]);
  {
    const [x, dy, dx, nbytes] = bwd.params as [Local, Local, Local, Local];
    const p = bwd.local("i32");
    const xv = bwd.local("v128");
    const x2 = bwd.local("v128");
    const s = bwd.local("v128");
    const t = bwd.local("v128");
    const n = bwd.local("v128");
    const k = new Consts(bwd);
    const z = mul(get(xv), add(k.f(GELU_C2), mul(k.f(GELU_C2 * GELU_A), get(x2))));
    // d/dx [x·s(z)] = s + x·s·(1-s)·z'
    const dz = add(k.f(GELU_C2), mul(k.f(3 * GELU_C2 * GELU_A), get(x2)));
    const body = [
      eachVector(p, get(nbytes), [
        set(xv, vecAt(get(x), p)),
        set(x2, mul(get(xv), get(xv))),
        set(s, div(k.f(1), add(k.f(1), vexp(k, sub(k.f(0), z), t, n)))),
        storeV(
          add(get(dx), get(p)),
          mul(vecAt(get(dy), p), add(get(s), mul(mul(get(xv), mul(get(s), sub(k.f(1), get(s)))), dz))),
        ),
      ]),
    ];
    bwd.body = [k.init(), ...body];
  }
  return [fwd, bwd];
}

function geluScalar(x: number): number {
  return x / (1 + Math.exp(-GELU_C2 * (x + GELU_A * x * x * x)));
}
function geluGradScalar(x: number): number {
  const s = 1 / (1 + Math.exp(-GELU_C2 * (x + GELU_A * x * x * x)));
  return s + x * s * (1 - s) * GELU_C2 * (1 + 3 * GELU_A * x * x);
}

/** The GELU module (one for every size). */
export const geluModuleSpec = (): ModuleSpec => ({ key: "gelu", build: geluModule });

const K_GELU = "SiGelu";
const K_GELU_GRAD = "SiGeluGrad";

/**
 * Runs the module's `name` function over the first n & ~3 floats of the inputs (x first, the
 * output shaped like x) and computes the last n % 4 with `tail` from the inputs' values.
 */
function elementwise(
  be: WasmBackend,
  name: "fwd" | "bwd",
  ins: TensorInfo[],
  tail: (values: number[]) => number,
): TensorInfo {
  const x = ins[0] as TensorInfo;
  const out = be.makeOutput(x.shape, "float32");
  const n = size(x.shape);
  const n4 = n & ~3;
  fn(compiled(geluModuleSpec()), name)(...ins.map((t) => ptr(be, t)), ptr(be, out), n4 * 4);
  if (n4 < n) {
    const h = heap();
    const offsets = ins.map((t) => ptr(be, t) / 4);
    const yo = ptr(be, out) / 4;
    for (let i = n4; i < n; i++) h[yo + i] = tail(offsets.map((o) => h[o + i] as number));
  }
  return out;
}

export function registerGelu(): void {
  registerWasmKernel(K_GELU, (be, inputs) =>
    elementwise(be, "fwd", [inputs.x as TensorInfo], ([x]) => geluScalar(x as number)),
  );
  registerWasmKernel(K_GELU_GRAD, (be, inputs) =>
    elementwise(
      be,
      "bwd",
      [inputs.x as TensorInfo, inputs.dy as TensorInfo],
      ([x, dy]) => (dy as number) * geluGradScalar(x as number),
    ),
  );
  tf.registerGradient({
    kernelName: K_GELU,
    inputsToSave: ["x"],
    gradFunc: (dy, saved) => {
      const [x] = saved as [tf.Tensor];
      return { x: () => tf.engine().runKernel(K_GELU_GRAD, { x, dy: dy as tf.Tensor }) as tf.Tensor };
    },
  });
}

/** Stock-op GELU: the reference numerics and the fallback. */
export function geluStock(x: tf.Tensor): tf.Tensor {
  const u2 = tf.mul(tf.add(x, tf.mul(tf.mul(tf.mul(x, x), x), GELU_A)), GELU_C2);
  return tf.mul(x, tf.sigmoid(u2));
}

export function gelu(x: tf.Tensor): tf.Tensor {
  if (!fusedAvailable()) return geluStock(x);
  return tf.engine().runKernel(K_GELU, { x }) as tf.Tensor;
}
