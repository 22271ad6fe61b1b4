// Gradient and kernel overrides for tfjs-wasm. Its matmul is fast (XNNPACK, ~25 GFLOP/s here)
// only for plain 2-D products without transpose flags; the stock BatchMatMul gradient passes
// transpose flags and drops to a ~2 GFLOP/s loop. Transposing explicitly first keeps the
// backward pass on the fast path (about 10x faster). Installed once, only for the wasm backend.
import * as tf from "@tensorflow/tfjs";
import { fastMatMul, installFusedKernels } from "./fused.js";

let installed = false;

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

interface RefCountingBackend {
  incRef(dataId: object): void;
}

/**
 * The engine saves every tensor a gradient needs through clone() (the Identity kernel), and
 * many gradients cast float32 to float32; tfjs-wasm copies the data for both, about a tenth
 * of a training step here. Tensors are immutable, so sharing the buffer by reference count is
 * what the cpu backend and wasm's own Reshape already do.
 */
function installZeroCopyKernels(): void {
  const share = (x: tf.TensorInfo, backend: object): tf.TensorInfo => {
    (backend as RefCountingBackend).incRef(x.dataId);
    return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
  };
  const identity = tf.getKernel("Identity", "wasm");
  if (identity) {
    tf.unregisterKernel("Identity", "wasm");
    tf.registerKernel({
      ...identity,
      kernelFunc: (args) => {
        const x = args.inputs.x as tf.TensorInfo;
        return x.dtype === "string" ? identity.kernelFunc(args) : share(x, args.backend);
      },
    });
  }
  const cast = tf.getKernel("Cast", "wasm");
  if (cast) {
    tf.unregisterKernel("Cast", "wasm");
    tf.registerKernel({
      ...cast,
      kernelFunc: (args) => {
        const x = args.inputs.x as tf.TensorInfo;
        return args.attrs?.dtype === x.dtype && x.dtype !== "string" ? share(x, args.backend) : cast.kernelFunc(args);
      },
    });
  }
}

export function installWasmGradients(): void {
  if (installed) return;
  installed = true;
  installZeroCopyKernels();
  installFusedKernels();
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
        fastMatMul(x.shape, y.shape, tx, ty) ? tf.matMul(x, y, tx, ty) : tf.matMul(tx ? swapLast(x) : x, ty ? swapLast(y) : y);
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
