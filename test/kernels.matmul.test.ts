// The SIMD 2-D matmul that replaces tfjs-wasm's BatchMatMul (kernels/matmul.ts registerMatMul), against
// a float64 reference. Every case also checks *which* code ran, through the generated modules'
// name labels (helpers/kernels.ts watchKernels): "mm:nn:K:N:fma" for A·B and A·Bᵀ (after a
// transpose into scratch), "mm:tn:M:N:fma" for Aᵀ·B, nothing for the fallback. Output widths
// that are multiples of 4 must take the fast path; 5 and 7 must fall back to the stock kernel.
// Tolerance: the float32 dot-product bound (K + 2)·2⁻²⁴·Σ|a||b| per entry (a dropped or
// doubled k term, or a wrong row, is orders of magnitude larger). The heap is poisoned with
// NaN before each product, so a kernel that reads an unwritten output or scratch fails.
import * as tf from "@tensorflow/tfjs";
import { fc, test as ptest } from "@fast-check/vitest";
import { beforeAll, describe, expect, test } from "vitest";
import { initBackend } from "../src/engine/backend.js";
import { fastMatMul } from "../src/engine/kernels/matmul.js";
import { labelsMatching, matmul64, normals, watchKernels, type KernelWatch } from "./helpers/kernels.js";

let watch: KernelWatch;

beforeAll(async () => {
  watch = watchKernels();
  const choice = await initBackend("wasm");
  expect(choice.active).toBe("wasm");
});

interface Case {
  M: number;
  K: number;
  N: number;
  tA: boolean;
  tB: boolean;
  /** Leading unit batch axes on both operands. */
  lead?: number;
  /** Rows of C checked against the reference (all when absent). */
  rows?: number[];
}

const U = 2 ** -24;

/** Rows to check for tall products: both ends, around the 4-row blocks and a few inside. */
function sampleRows(M: number): number[] {
  const s = new Set<number>();
  for (const r of [0, 1, 2, 3, 4, 5, 7, 8, 63, 64, 65, 511, 512, 777, M - 5, M - 4, M - 3, M - 2, M - 1])
    if (r >= 0 && r < M) s.add(r);
  return [...s].sort((a, b) => a - b);
}

let seedCounter = 1;

/** Runs one product on wasm; returns the failures (empty when it matches) and the dispatch seen. */
function runCase(c: Case): { errors: string[]; calls: Map<string, number>; shape: number[] } {
  const { M, K, N, tA, tB } = c;
  const lead = Array.from({ length: c.lead ?? 0 }, () => 1);
  const aShape = [...lead, ...(tA ? [K, M] : [M, K])];
  const bShape = [...lead, ...(tB ? [N, K] : [K, N])];
  const seed = seedCounter++;
  const a = normals(1000 + seed, M * K);
  const b = normals(2000 + seed, K * N);
  // Poison: a freed NaN block of the output's size is what the allocator hands out next.
  tf.fill([M * N + 16], NaN).dispose();
  tf.fill([K * N + 16], NaN).dispose();
  const { result, calls } = watch.during(() =>
    tf.tidy(() => {
      const out = tf.matMul(tf.tensor(a, aShape), tf.tensor(b, bShape), tA, tB);
      return { data: out.dataSync() as Float32Array, shape: out.shape };
    }),
  );
  const ref = matmul64(a, b, M, K, N, tA, tB, c.rows);
  const errors: string[] = [];
  ref.rows.forEach((i, ri) => {
    for (let j = 0; j < N; j++) {
      const got = result.data[i * N + j] as number;
      const want = ref.c[ri * N + j] as number;
      const tol = (K + 2) * U * (ref.abs[ri * N + j] as number) + 1e-30;
      if (!(Math.abs(got - want) <= tol) && errors.length < 5)
        errors.push(`C[${i}, ${j}] = ${got}, expected ${want} (tol ${tol.toExponential(2)})`);
    }
  });
  return { errors, calls, shape: result.shape };
}

function label(c: Case): string {
  return `${c.tA ? "Aᵀ" : "A"}·${c.tB ? "Bᵀ" : "B"} M=${c.M} K=${c.K} N=${c.N}${c.lead ? ` lead=${c.lead}` : ""}`;
}

/** Asserts the values and that exactly the expected kernel (or none) ran. */
function check(c: Case): void {
  const { errors, calls, shape } = runCase(c);
  expect(errors, label(c)).toEqual([]);
  expect(shape).toEqual([...Array.from({ length: c.lead ?? 0 }, () => 1), c.M, c.N]);
  const fast = c.N % 4 === 0;
  const mm = labelsMatching(calls, /^mm:/);
  if (!fast) {
    expect(mm, `${label(c)} should fall back`).toEqual([]);
    return;
  }
  const key = c.tA ? `mm:tn:${c.M}:${c.N}:` : `mm:nn:${c.K}:${c.N}:`;
  expect(labelsMatching(calls, /\.mm$/), label(c)).toEqual([`${key}true.mm`]);
  expect(calls.get(`${key}true.mm`)).toBe(1);
  expect(calls.get(`${key}true.transpose`) ?? 0, `${label(c)} transposes B into scratch`).toBe(c.tB ? 1 : 0);
}

const WIDTHS = [4, 8, 12, 128, 384, 512, 5, 7];
const DEPTHS = [1, 3, 32, 129, 512];

describe("A·B against float64", () => {
  test.each(WIDTHS)("every depth K at output width N=%i (17 rows: four 4-row blocks and a 1-row tail)", (N) => {
    for (const K of DEPTHS) check({ M: 17, K, N, tA: false, tB: false });
  });

  test.each([1, 3, 17, 1536])("row count M=%i (tails and a tall product)", (M) => {
    const shapes: Array<[number, number]> =
      M > 64
        ? [
            [32, 12],
            [3, 384],
            [129, 4],
            [32, 7],
          ]
        : [
            [129, 4],
            [32, 12],
            [3, 384],
            [512, 128],
            [129, 7],
          ];
    for (const [K, N] of shapes) check({ M, K, N, tA: false, tB: false, rows: M > 64 ? sampleRows(M) : undefined });
  });

  test("K-chunked path (B larger than the 512 KiB panel): 67×512·512×512, 67×512·512×384, 9×1536·1536×128, the panel boundary", () => {
    check({ M: 67, K: 512, N: 512, tA: false, tB: false });
    check({ M: 5, K: 256, N: 512, tA: false, tB: false }); // exactly 512 KiB: one pass
    check({ M: 9, K: 257, N: 512, tA: false, tB: false }); // chunks of 256 and 1
    check({ M: 67, K: 512, N: 384, tA: false, tB: false });
    check({ M: 9, K: 1536, N: 128, tA: false, tB: false });
  });

  test("leading unit batch axes ([1, M, K]·[1, K, N], [1, 1, M, K]·[1, 1, K, N]) take the fast path", () => {
    check({ M: 17, K: 32, N: 12, tA: false, tB: false, lead: 1 });
    check({ M: 5, K: 9, N: 8, tA: true, tB: false, lead: 2 });
    check({ M: 5, K: 9, N: 7, tA: false, tB: true, lead: 1 });
  });
});

describe("transposed forms (the gradients' products) against float64", () => {
  // xᵀ·dy: x [R, M], dy [R, N] -> [M, N]; R is the contraction (K here), chunked by 64 rows.
  test.each([1, 3, 17, 64, 65, 129, 1536])("Aᵀ·B (weight gradient xᵀ·dy) with R=%i rows", (R) => {
    for (const [M, N] of [
      [1, 4],
      [3, 12],
      [17, 8],
      [48, 128],
      [12, 5],
      [13, 7],
    ] as const)
      check({ M, K: R, N, tA: true, tB: false });
  });

  test("Aᵀ·B shaped like the model's xᵀ·dy: [1536, 48]ᵀ·[1536, 192] and [1536, 192]ᵀ·[1536, 48]", () => {
    check({ M: 48, K: 1536, N: 192, tA: true, tB: false });
    check({ M: 192, K: 1536, N: 48, tA: true, tB: false, rows: sampleRows(192) });
  });

  test("A·Bᵀ (input gradient dy·Wᵀ): B transposed into scratch first", () => {
    for (const [M, K, N] of [
      [17, 12, 4],
      [3, 129, 12],
      [1536, 192, 48],
      [1536, 48, 192],
      [17, 32, 7],
      [1, 1, 8],
      [67, 512, 512],
    ] as const) {
      check({ M, K, N, tA: false, tB: true, rows: M > 64 ? sampleRows(M) : undefined });
    }
  });

  test("Aᵀ·Bᵀ", () => {
    for (const [M, K, N] of [
      [17, 12, 4],
      [3, 129, 12],
      [48, 65, 128],
      [5, 3, 5],
    ] as const)
      check({ M, K, N, tA: true, tB: true });
  });
});

describe("dispatch", () => {
  test("the modules are built with relaxed-SIMD FMA (enabled at run time through the V8 flag on Node 20)", () => {
    check({ M: 4, K: 4, N: 4, tA: false, tB: false });
    const mm = watch.compiled.filter((l) => l.startsWith("mm:"));
    expect(mm.length).toBeGreaterThan(0);
    expect(
      mm.every((l) => /:true\.(mm|transpose)$/.test(l)),
      mm.join(", "),
    ).toBe(true);
  });

  test("fastMatMul predicts the dispatch: multiples of 4 wide and unit batch axes only", () => {
    expect(fastMatMul([17, 3], [3, 12], false, false)).toBe(true);
    expect(fastMatMul([3, 17], [3, 12], true, false)).toBe(true);
    expect(fastMatMul([17, 3], [12, 3], false, true)).toBe(true);
    expect(fastMatMul([1, 17, 3], [1, 3, 12], false, false)).toBe(true);
    expect(fastMatMul([17, 3], [3, 10], false, false)).toBe(false);
    expect(fastMatMul([2, 17, 3], [2, 3, 12], false, false)).toBe(false);
    expect(fastMatMul([17, 3], [4, 12], false, false)).toBe(false); // inner sizes differ
    // And the stock kernel runs the batched case (no SIMD matmul call).
    const { calls } = watch.during(() => tf.tidy(() => tf.matMul(tf.ones([2, 5, 3]), tf.ones([2, 3, 8])).dataSync()));
    expect(labelsMatching(calls, /^mm:/)).toEqual([]);
  });

  test("int32 operands are left to the stock kernel (which rejects them, as before the override)", () => {
    const { calls } = watch.during(() => {
      expect(() =>
        tf.tidy(() =>
          tf.matMul(tf.tensor2d([1, 2, 3, 4], [2, 2], "int32"), tf.tensor2d([1, 0, 0, 1, 1, 1, 2, 2], [2, 4], "int32")),
        ),
      ).toThrow(/non-float32/);
    });
    expect(labelsMatching(calls, /^mm:/)).toEqual([]);
  });

  // Bug (src/engine/fused.ts:1161, registerMatMul: `be.makeOutput([...a.shape.slice(0, -2), M, N], ...)`):
  // the output takes its leading axes from `a` only. When b has more (unit) batch axes than a,
  // the stock kernel and the cpu backend return the broadcast rank, e.g. [3, 5]·[1, 5, 8] ->
  // [1, 3, 8]; the SIMD path returns [3, 8], so the same program gives different shapes on wasm
  // and cpu (gradients still come back in the inputs' shapes). Not reached from gpt.ts today
  // (its products are rank-2 or same-rank). Fix (verified to flip this test and keep the rest
  // green): all batch axes are 1 when the plan applies, so
  // `const rank = Math.max(a.shape.length, b.shape.length);
  //  const out = be.makeOutput([...new Array<number>(rank - 2).fill(1), M, N], "float32");`
  test("rank-2 · rank-3 [1, K, N] keeps the broadcast rank (as the stock kernel and cpu do)", () => {
    const shape = tf.tidy(() => tf.matMul(tf.ones([3, 5]), tf.ones([1, 5, 8])).shape);
    expect(shape).toEqual([1, 3, 8]);
  });
});

describe("property: random small products", () => {
  ptest.prop(
    [
      fc.integer({ min: 1, max: 23 }),
      fc.integer({ min: 1, max: 70 }),
      fc.integer({ min: 1, max: 26 }),
      fc.boolean(),
      fc.boolean(),
      fc.integer({ min: 0, max: 2 }),
    ],
    { seed: 42, numRuns: 120 },
  )("op(A)·op(B) matches float64, and the SIMD kernel runs exactly when N % 4 == 0", (M, K, N, tA, tB, lead) => {
    const c: Case = { M, K, N, tA, tB, lead };
    const { errors, calls, shape } = runCase(c);
    expect(errors, label(c)).toEqual([]);
    expect(shape).toEqual([...Array.from({ length: lead }, () => 1), M, N]);
    const ran = labelsMatching(calls, /\.mm$/).length === 1;
    expect(ran, label(c)).toBe(N % 4 === 0);
    const lead1 = Array.from({ length: lead }, () => 1);
    expect(fastMatMul([...lead1, ...(tA ? [K, M] : [M, K])], [...lead1, ...(tB ? [N, K] : [K, N])], tA, tB)).toBe(ran);
  });
});

describe("gradients through the SIMD matmul (kernels/matmul.ts gradient override) against float64", () => {
  test.each([
    [17, 32, 12],
    [1536, 48, 192],
    [13, 48, 144],
    [5, 7, 8],
  ])("d/dA and d/dB of sum(R ⊙ A·B) for M=%i K=%i N=%i", (M, K, N) => {
    const a = normals(31, M * K);
    const b = normals(32, K * N);
    const r = normals(33, M * N);
    const { result, calls } = watch.during(() =>
      tf.tidy(() => {
        const [ga, gb] = tf.grads((x: tf.Tensor, y: tf.Tensor) =>
          tf.sum(tf.mul(tf.matMul(x, y), tf.tensor2d(r, [M, N]))),
        )([tf.tensor2d(a, [M, K]), tf.tensor2d(b, [K, N])]) as [tf.Tensor, tf.Tensor];
        return [ga.dataSync() as Float32Array, gb.dataSync() as Float32Array] as const;
      }),
    );
    const [ga, gb] = result;
    // dA = R·Bᵀ [M, K], dB = Aᵀ·R [K, N].
    const rows = M > 64 ? sampleRows(M) : undefined;
    const da = matmul64(r, b, M, N, K, false, true, rows);
    da.rows.forEach((i, ri) => {
      for (let j = 0; j < K; j++)
        expect(Math.abs((ga[i * K + j] as number) - (da.c[ri * K + j] as number))).toBeLessThanOrEqual(
          (N + 2) * U * (da.abs[ri * K + j] as number) + 1e-30,
        );
    });
    const db = matmul64(a, r, K, M, N, true, false, K > 64 ? sampleRows(K) : undefined);
    db.rows.forEach((i, ri) => {
      for (let j = 0; j < N; j++)
        expect(Math.abs((gb[i * N + j] as number) - (db.c[ri * N + j] as number))).toBeLessThanOrEqual(
          (M + 2) * U * (db.abs[ri * N + j] as number) + 1e-30,
        );
    });
    // Forward A·B, dA = R·Bᵀ (fast when K % 4 == 0) and dB = Aᵀ·R as tn (fast when N % 4 == 0).
    expect(calls.get(`mm:nn:${K}:${N}:true.mm`) ?? 0).toBe(N % 4 === 0 ? 1 : 0);
    expect(calls.get(`mm:nn:${N}:${K}:true.mm`) ?? 0).toBe(K % 4 === 0 ? 1 : 0);
    expect(calls.get(`mm:tn:${K}:${N}:true.mm`) ?? 0).toBe(N % 4 === 0 ? 1 : 0);
  });
});
