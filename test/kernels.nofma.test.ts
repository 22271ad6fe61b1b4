// The relaxed-SIMD fallback: when the FMA probe does not validate and V8's flag cannot be set
// (node:v8's setFlagsFromString throws here, through vi.mock, and the probe is made to fail
// validation even on a Node where relaxed SIMD is on by default), the kernels must build every
// module with a separate multiply and add, and the results must still be right. The runtime has
// no switch for this, so the test forces it before the backend installs the kernels; each test
// file runs in its own process (vitest forks), so other files keep the FMA path.
// Checked against float64: matmul in every form (nn, tn, A·Bᵀ, the K-chunked panel path),
// causal attention forward/backward, and a decoding step against a full forward pass.
import * as tf from "@tensorflow/tfjs";
import { beforeAll, describe, expect, test, vi } from "vitest";
import { setFlagsFromString } from "node:v8";
import { initBackend } from "../src/engine/backend.js";
import { causalAttention } from "../src/engine/kernels/attention.js";
import { GPT, MASK_NEG, type LayerCache } from "../src/engine/gpt.js";
import { Rng } from "../src/util/rng.js";
import { spreadParameters, tinyConfig } from "./helpers/engine.js";
import {
  WA,
  attention64,
  describeWorst,
  labelsMatching,
  matmul64,
  maxAbs,
  normals,
  watchKernels,
  worst,
  type KernelWatch,
} from "./helpers/kernels.js";

vi.mock("node:v8", async (importOriginal) => {
  const real = await importOriginal<typeof import("node:v8")>();
  return {
    ...real,
    setFlagsFromString: vi.fn(() => {
      throw new Error("V8 flags are locked in this process");
    }),
  };
});

let watch: KernelWatch;

/** True when the bytes export a function named "probe" (wasm/runtime.ts's FMA probe module). */
function isProbe(bytes: Uint8Array): boolean {
  const name = [0x05, 0x70, 0x72, 0x6f, 0x62, 0x65]; // length 5, "probe"
  outer: for (let i = 0; i + name.length <= bytes.length; i++) {
    for (let j = 0; j < name.length; j++) if (bytes[i + j] !== name[j]) continue outer;
    return true;
  }
  return false;
}

beforeAll(async () => {
  const realValidate = WA.validate.bind(WA);
  WA.validate = (bytes: Uint8Array): boolean => (isProbe(bytes) ? false : realValidate(bytes));
  watch = watchKernels();
  expect((await initBackend("wasm")).active).toBe("wasm");
});

describe("without FMA", () => {
  test("the flag was tried, failed, and every matmul-bearing module is built without FMA", () => {
    tf.tidy(() => tf.matMul(tf.ones([5, 4]), tf.ones([4, 8])).dataSync());
    expect(vi.mocked(setFlagsFromString).mock.calls.map((c) => c[0])).toEqual(["--experimental-wasm-relaxed-simd"]);
    const mm = watch.compiled.filter((l) => l.startsWith("mm:"));
    expect(mm.length).toBeGreaterThan(0);
    expect(mm.filter((l) => !/:false\.(mm|transpose)$/.test(l))).toEqual([]);
  });

  test.each([
    [17, 3, 12, false, false],
    [17, 129, 8, false, false],
    [67, 512, 512, false, false], // K-chunked panel path
    [12, 129, 4, true, false], // xᵀ·dy, two 64-row chunks and a tail
    [3, 65, 12, true, true],
    [33, 48, 20, false, true], // dy·Wᵀ
    [9, 7, 7, false, false], // fallback width
  ])("matmul M=%i K=%i N=%i tA=%s tB=%s against float64", (M, K, N, tA, tB) => {
    const a = normals(M * 1000 + K, M * K);
    const b = normals(N * 1000 + K, K * N);
    const { result, calls } = watch.during(() =>
      tf.tidy(
        () =>
          tf
            .matMul(tf.tensor2d(a, tA ? [K, M] : [M, K]), tf.tensor2d(b, tB ? [N, K] : [K, N]), tA, tB)
            .dataSync() as Float32Array,
      ),
    );
    const ref = matmul64(a, b, M, K, N, tA, tB);
    for (let i = 0; i < M * N; i++) {
      const tol = (K + 2) * 2 ** -24 * (ref.abs[i] as number) + 1e-30;
      if (!(Math.abs((result[i] as number) - (ref.c[i] as number)) <= tol))
        throw new Error(`C[${i}] = ${result[i]}, expected ${ref.c[i]} (tol ${tol})`);
    }
    expect(labelsMatching(calls, /\.mm$/)).toEqual(
      N % 4 === 0 ? [`mm:${tA ? "tn" : "nn"}:${tA ? M : K}:${N}:false.mm`] : [],
    );
  });

  test.each([
    [2, 13, 2, 12, true],
    [1, 7, 4, 24, false],
  ])(
    "causal attention B=%i T=%i H=%i hd=%i (masked %s): forward and backward against float64",
    (B, T, H, hd, masked) => {
      const D = H * hd;
      const qkv = normals(T * hd, B * T * 3 * D);
      const mask = new Float32Array(B * T);
      if (masked) for (let j = 0; j < 3; j++) mask[j] = MASK_NEG;
      const m = masked ? mask : undefined;
      const vis = attention64(qkv, B, T, H, m).visible;
      const r = normals(9, B * T * D);
      vis.forEach((v, row) => {
        if (!v) r.fill(0, row * D, (row + 1) * D);
      });
      const ref = attention64(qkv, B, T, H, m, r);
      const { y, g } = tf.tidy(() => {
        const x = tf.tensor2d(qkv, [B * T, 3 * D]);
        const mt = m ? tf.tensor2d(m, [B, T]) : undefined;
        return {
          y: causalAttention(x, B, H, mt).dataSync() as Float32Array,
          g: tf
            .grad((q: tf.Tensor) =>
              tf.sum(tf.mul(causalAttention(q as tf.Tensor2D, B, H, mt), tf.tensor2d(r, [B * T, D]))),
            )(x)
            .dataSync() as Float32Array,
        };
      });
      const yv = Array.from(y).filter((_, i) => vis[Math.floor(i / D)]);
      const rv = Array.from(ref.y).filter((_, i) => vis[Math.floor(i / D)]);
      expect(worst(yv, rv, 1e-4, 2e-6).ratio, describeWorst("y", yv, rv, 1e-4, 2e-6)).toBeLessThanOrEqual(1);
      const s = 2e-6 * maxAbs(ref.dqkv);
      expect(worst(g, ref.dqkv, 2e-4, s).ratio, describeWorst("dqkv", g, ref.dqkv, 2e-4, s)).toBeLessThanOrEqual(1);
    },
  );

  test("decoding with the whole-layer kernel (dModel 48, 4 heads) equals the full forward pass", () => {
    const config = tinyConfig({ contextLength: 13, dModel: 48, nHeads: 4, nLayers: 2, mlpRatio: 4 });
    const model = new GPT(config, spreadParameters(config, 3, 0.15));
    const V = config.vocabSize;
    const rng = new Rng(5);
    const seq = Array.from({ length: 12 }, () => rng.int(4, V - 1));
    try {
      const full = tf.tidy(() => model.forward(tf.tensor2d(seq, [1, 12], "int32")).logits.dataSync() as Float32Array);
      const P = 4;
      const { calls } = watch.during(() => {
        let caches: LayerCache[] = [];
        tf.tidy(() => {
          const r = model.forward(tf.tensor2d(seq.slice(0, P), [1, P], "int32"), { withCache: true });
          caches = (r.caches ?? []).map((c) => ({ k: tf.keep(c.k), v: tf.keep(c.v) }));
        });
        for (let t = P; t < seq.length; t++) {
          const prev = caches;
          const row = tf.tidy(() => {
            const s = model.step(tf.tensor1d([seq[t] as number], "int32"), tf.tensor1d([t], "int32"), prev);
            caches = s.caches.map((c) => ({ k: tf.keep(c.k), v: tf.keep(c.v) }));
            return s.logits.dataSync() as Float32Array;
          });
          for (const c of prev) {
            c.k.dispose();
            c.v.dispose();
          }
          const want = full.subarray(t * V, (t + 1) * V);
          const tol = 2e-5 * maxAbs(want);
          expect(
            worst(row, want, 1e-4, tol).ratio,
            describeWorst(`step at ${t}`, row, want, 1e-4, tol),
          ).toBeLessThanOrEqual(1);
        }
        for (const c of caches) {
          c.k.dispose();
          c.v.dispose();
        }
      });
      expect(labelsMatching(calls, /^layer:/)).toEqual(["layer:4:12:192:false:false.layer"]);
    } finally {
      model.dispose();
    }
  });
});
