// GPT's parameters as data: every weight's name and shape in the checkpoint order, and the
// GPT-2 initialisation of a fresh model from a seed. Apart from gpt.ts because checkpoints, the
// worker pool's weight sync and the value head read the shapes without building a model.
import type { ModelConfig } from "./config.js";
import { Rng } from "../util/rng.js";

/** Names and shapes of every parameter, in a fixed order (the checkpoint order). */
export function parameterShapes(c: ModelConfig): Array<[string, number[]]> {
  const D = c.dModel;
  const shapes: Array<[string, number[]]> = [
    ["wte", [c.vocabSize, D]],
    ["wpe", [c.contextLength, D]],
  ];
  for (let l = 0; l < c.nLayers; l++) {
    shapes.push(
      [`h${l}.ln1.g`, [D]],
      [`h${l}.ln1.b`, [D]],
      [`h${l}.attn.q`, [D, D]],
      [`h${l}.attn.k`, [D, D]],
      [`h${l}.attn.v`, [D, D]],
      [`h${l}.attn.proj`, [D, D]],
      [`h${l}.ln2.g`, [D]],
      [`h${l}.ln2.b`, [D]],
      [`h${l}.mlp.fc`, [D, c.mlpRatio * D]],
      [`h${l}.mlp.out`, [c.mlpRatio * D, D]],
    );
  }
  shapes.push(["lnf.g", [D]], ["lnf.b", [D]], ["head", [D, c.vocabSize]]);
  if (c.valueHead) shapes.push(["value", [D, 1]]);
  return shapes;
}

/** GPT-2 initialisation from a seed: N(0, 0.02), residual projections scaled by 1/sqrt(2L). */
export function initialParameters(c: ModelConfig, seed: number): Map<string, Float32Array> {
  const rng = new Rng(seed);
  const out = new Map<string, Float32Array>();
  for (const [name, shape] of parameterShapes(c)) {
    const size = shape.reduce((a, b) => a * b, 1);
    const data = new Float32Array(size);
    if (name.endsWith(".g")) data.fill(1);
    else if (!name.endsWith(".b")) {
      const residual = name.endsWith("attn.proj") || name.endsWith("mlp.out");
      const std = residual ? 0.02 / Math.sqrt(2 * c.nLayers) : name === "value" ? 0 : 0.02;
      for (let i = 0; i < size; i++) data[i] = rng.normal() * std;
    }
    out.set(name, data);
  }
  return out;
}
