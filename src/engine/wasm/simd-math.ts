// Numerics shared by the kernels, on top of the assembler: SIMD constants held in locals, e^x
// on four lanes, and horizontal sum and maximum.
import {
  type Expr,
  expr,
  type Local,
  type Stmt,
  add,
  get,
  i32,
  i4,
  ishl4,
  lane,
  max,
  mul,
  pmax,
  pmin,
  set,
  sub,
  v4,
} from "./asm.js";
import type { Func } from "./module.js";

/**
 * SIMD constants held in locals, set once at function entry: V8 rebuilds a v128.const at every
 * use (several instructions each), which costs more than the arithmetic in tight loops.
 */
export class Consts {
  private readonly locals = new Map<string, Local>();
  private readonly inits: Stmt[] = [];
  constructor(private readonly fn: Func) {}

  /** f32x4 with every lane x. */
  f(x: number): Expr {
    return this.get(`f${x}`, () => v4(x, x, x, x));
  }

  /** i32x4 with every lane n. */
  i(n: number): Expr {
    return this.get(`i${n}`, () => i4(n, n, n, n));
  }

  /** i32x4 [0, 1, 2, 3]. */
  iota(): Expr {
    return this.get("iota", () => i4(0, 1, 2, 3));
  }

  private get(key: string, make: () => Expr): Expr {
    let l = this.locals.get(key);
    if (!l) {
      l = this.fn.local("v128");
      this.locals.set(key, l);
      this.inits.push(set(l, make()));
    }
    return get(l);
  }

  /** The initialisers; put them first in the function body (after every constant is used). */
  init(): Stmt {
    return (o) => {
      for (const s of this.inits) s(o);
    };
  }
}

/**
 * e^x on four lanes: Cephes' expf (range reduction by ln 2, degree-6 polynomial), about 1 ulp
 * on [-87, 88]; inputs are clamped there, so -inf gives ~1e-38 rather than 0 (callers that
 * need exact zeros mask afterwards). t and n are v128 scratch locals owned by the caller.
 *
 * n = round(x·log2 e) comes from adding 1.5·2²³ (+127): the float add rounds to an integer held
 * in the low mantissa bits, and shifting those bits left by 23 gives the exponent of 2^n
 * directly (the XNNPACK trick), cheaper in V8 than nearest + trunc_sat.
 */
export function vexp(k: Consts, x: Expr, t: Local, n: Local): Expr {
  // Every constant is requested here, while the function is being built, not at emission.
  const magic = 12582912 + 127;
  const clamp = set(t, pmax(pmin(x, k.f(88.0)), k.f(-87.33654)));
  const round = set(n, add(mul(get(t), k.f(Math.LOG2E)), k.f(magic)));
  const reduce1 = set(t, sub(get(t), mul(sub(get(n), k.f(magic)), k.f(0.693359375))));
  const reduce2 = set(t, sub(get(t), mul(sub(get(n), k.f(magic)), k.f(-2.1219444e-4))));
  let p = k.f(1.98756915e-4);
  for (const c of [1.3981999507e-3, 8.3334519073e-3, 4.1665795894e-2, 1.6666665459e-1, 5.0000001201e-1])
    p = add(mul(p, get(t)), k.f(c));
  // p·t² + t + 1, times 2^n.
  const poly = add(add(mul(mul(p, get(t)), get(t)), get(t)), k.f(1));
  const result = mul(poly, ishl4(get(n), i32(23)));
  return expr("v128", (o) => {
    clamp(o);
    round(o);
    reduce1(o);
    reduce2(o);
    result.emit(o);
  });
}

/** Sum of the four lanes of a v128 local. */
export function hsum(v: Local): Expr {
  return add(add(lane(get(v), 0), lane(get(v), 1)), add(lane(get(v), 2), lane(get(v), 3)));
}

/** Largest of the four lanes of a v128 local. */
export function hmax(v: Local): Expr {
  return max(max(lane(get(v), 0), lane(get(v), 1)), max(lane(get(v), 2), lane(get(v), 3)));
}
