// Identity and Cast without copies on tfjs-wasm. The engine saves every tensor a gradient needs
// through clone() (the Identity kernel), and many gradients cast float32 to float32; tfjs-wasm
// copies the data for both, about a tenth of a training step here. Tensors are immutable, so
// sharing the buffer by reference count is what the cpu backend and wasm's own Reshape
// already do.
import type * as tf from "@tensorflow/tfjs";
import { overrideWasmKernel } from "../wasm/runtime.js";

interface RefCountingBackend {
  incRef(dataId: object): void;
}

function share(x: tf.TensorInfo, backend: object): tf.TensorInfo {
  (backend as RefCountingBackend).incRef(x.dataId);
  return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
}

export function installZeroCopyKernels(): void {
  overrideWasmKernel("Identity", (args, stock) => {
    const x = args.inputs.x as tf.TensorInfo;
    return x.dtype === "string" ? stock(args) : share(x, args.backend);
  });
  overrideWasmKernel("Cast", (args, stock) => {
    const x = args.inputs.x as tf.TensorInfo;
    return args.attrs?.dtype === x.dtype && x.dtype !== "string" ? share(x, args.backend) : stock(args);
  });
}
