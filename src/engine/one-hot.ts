// One-hot rows for the embedding matmuls of the forward pass (gpt.ts), the stock decode step
// (gpt-decode.ts) and the trainer's targets (train.ts): tfjs-wasm has no gradient kernel for
// tf.gather, so an embedding lookup is a one-hot row times the table. Its own module so that
// gpt.ts and gpt-decode.ts share it without importing each other.
import * as tf from "@tensorflow/tfjs";

/**
 * One-hot rows as float32. tfjs-wasm's OneHot kernel ignores the dtype argument and writes
 * int32 bits into a float32-labelled tensor (a 1 reads as 1.4e-45), so build int32 and cast.
 */
export function oneHotF32(indices: tf.Tensor, depth: number): tf.Tensor2D {
  return tf.cast(tf.oneHot(indices as tf.Tensor1D, depth), "float32") as tf.Tensor2D;
}
