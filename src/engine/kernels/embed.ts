// Token + position embedding rows for decoding as one wasm kernel (tfjs-wasm's gather is
// ~1 ms for 256 rows): wte[tokens] + wpe[positions], no gradient.
import * as tf from "@tensorflow/tfjs";
import { type Local, add, get, i32, loadI, mul, set } from "../wasm/asm.js";
import { Func } from "../wasm/module.js";
import { addVectors, eachRow, elemAt, rowAt } from "./emit.js";
import {
  type ModuleSpec,
  type TensorInfo,
  compiled,
  expectShape,
  fn,
  heap,
  ptr,
  registerWasmKernel,
} from "../wasm/runtime.js";

function embedModule(D: number): Func[] {
  const f = new Func("embed", ["i32", "i32", "i32", "i32", "i32", "i32"]);
  const [tok, pos, wte, wpe, out, nb] = f.params as [Local, Local, Local, Local, Local, Local];
  const r = f.local("i32");
  const c = f.local("i32");
  const te = f.local("i32");
  const pe = f.local("i32");
  const o = f.local("i32");
  f.body = [
    eachRow(r, get(nb), [
      set(te, add(get(wte), mul(loadI(elemAt(get(tok), get(r))), i32(D * 4)))),
      set(pe, add(get(wpe), mul(loadI(elemAt(get(pos), get(r))), i32(D * 4)))),
      set(o, rowAt(get(out), r, D * 4)),
      addVectors(c, get(o), get(te), get(pe), i32(D * 4)),
    ]),
  ];
  return [f];
}

/** The embedding module for rows of D floats. */
export const embedModuleSpec = (D: number): ModuleSpec => ({ key: `embed:${D}`, build: () => embedModule(D) });

const K_EMBED = "SiEmbed";

export function registerEmbed(): void {
  registerWasmKernel(K_EMBED, (be, inputs) => {
    const tok = inputs.tokens as TensorInfo;
    const wte = inputs.wte as TensorInfo;
    const wpe = inputs.wpe as TensorInfo;
    const B = tok.shape[0] as number;
    const [V, D] = wte.shape as [number, number];
    const ctx = wpe.shape[0] as number;
    if (tok.dtype !== "int32" || (inputs.positions as TensorInfo).dtype !== "int32")
      throw new Error("embed: tokens and positions must be int32");
    expectShape("positions", inputs.positions, [B]);
    expectShape("wpe", wpe, [ctx, D]);
    // Ids index memory directly: check them here, where a bad one would read out of bounds.
    const ids = new Int32Array(heap().buffer, ptr(be, tok), B);
    const ps = new Int32Array(heap().buffer, ptr(be, inputs.positions as TensorInfo), B);
    for (let i = 0; i < B; i++) {
      if (!((ids[i] as number) >= 0 && (ids[i] as number) < V))
        throw new Error(`embed: token id ${ids[i]} out of range 0..${V - 1}`);
      if (!((ps[i] as number) >= 0 && (ps[i] as number) < ctx))
        throw new Error(`embed: position ${ps[i]} out of range 0..${ctx - 1}`);
    }
    const out = be.makeOutput([B, D], "float32");
    fn(compiled(embedModuleSpec(D)), "embed")(
      ptr(be, tok),
      ptr(be, inputs.positions as TensorInfo),
      ptr(be, wte),
      ptr(be, wpe),
      ptr(be, out),
      B,
    );
    return out;
  });
}

/** wte[tokens] + wpe[positions] (int32 [B] each) without gradient; D must be a multiple of 4. */
export function embedRows(
  tokens: tf.Tensor1D,
  positions: tf.Tensor1D,
  wte: tf.Tensor2D,
  wpe: tf.Tensor2D,
): tf.Tensor2D {
  return tf.engine().runKernel(K_EMBED, { tokens, positions, wte, wpe }) as tf.Tensor2D;
}
