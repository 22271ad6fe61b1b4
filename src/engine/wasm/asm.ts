// A tiny WebAssembly assembler with SIMD, enough to write the engine's fused kernels in
// TypeScript. tfjs-wasm only reaches XNNPACK speed for plain 2-D matmuls; everything else
// (batched attention products, chains of elementwise ops) runs as scalar loops or pays a
// kernel dispatch per op. Generating our own SIMD code at run time, specialised to the exact
// shapes, and running it on tfjs-wasm's own memory avoids both without a native toolchain
// in the build: the code below is the whole "compiler".
//
// Expressions are typed values that emit stack code; statements emit code that leaves the
// stack as it found it. Only what the kernels use is implemented. Functions and the binary
// module are in module.ts, numerics built from these instructions (e^x, horizontal sums,
// constants in locals) in simd-math.ts.

export type ValType = "i32" | "f32" | "v128";
/** Value type encodings (module.ts writes them for locals and signatures). */
export const TYPE_CODE: Record<ValType, number> = { i32: 0x7f, f32: 0x7d, v128: 0x7b };

export interface Expr {
  readonly type: ValType;
  emit(out: number[]): void;
}
export type Stmt = (out: number[]) => void;

export class Local {
  constructor(
    readonly index: number,
    readonly type: ValType,
  ) {}
}

/** Unsigned LEB128, the encoding of every index and size in a module. */
export function uleb(out: number[], n: number): void {
  let v = n >>> 0;
  do {
    let b = v & 0x7f;
    v >>>= 7;
    if (v !== 0) b |= 0x80;
    out.push(b);
  } while (v !== 0);
}

function sleb(out: number[], n: number): void {
  let v = n | 0;
  for (;;) {
    const b = v & 0x7f;
    v >>= 7;
    if ((v === 0 && (b & 0x40) === 0) || (v === -1 && (b & 0x40) !== 0)) {
      out.push(b);
      return;
    }
    out.push(b | 0x80);
  }
}

function f32bytes(out: number[], x: number): void {
  const b = new Uint8Array(new Float32Array([x]).buffer);
  for (const v of b) out.push(v);
}

/** SIMD instructions are 0xfd followed by a LEB128 opcode. */
function simd(out: number[], op: number): void {
  out.push(0xfd);
  uleb(out, op);
}

/** An expression of the given type that emits with `emit` (for instructions built elsewhere). */
export function expr(type: ValType, emit: (out: number[]) => void): Expr {
  return { type, emit };
}

function need(e: Expr, t: ValType, what: string): void {
  if (e.type !== t) throw new Error(`wasm-asm: ${what} expects ${t}, got ${e.type}`);
}

// ---- values ----
export const get = (l: Local): Expr =>
  expr(l.type, (o) => {
    o.push(0x20);
    uleb(o, l.index);
  });
export const i32 = (n: number): Expr =>
  expr("i32", (o) => {
    o.push(0x41);
    sleb(o, n);
  });
export const f32 = (x: number): Expr =>
  expr("f32", (o) => {
    o.push(0x43);
    f32bytes(o, x);
  });
/** v128 constant from four f32 lanes. */
export const v4 = (a: number, b: number, c: number, d: number): Expr =>
  expr("v128", (o) => {
    simd(o, 0x0c);
    for (const x of [a, b, c, d]) f32bytes(o, x);
  });
/** v128 constant from four i32 lanes. */
export const i4 = (a: number, b: number, c: number, d: number): Expr =>
  expr("v128", (o) => {
    simd(o, 0x0c);
    const b32 = new Uint8Array(new Int32Array([a, b, c, d]).buffer);
    for (const x of b32) o.push(x);
  });

// ---- arithmetic, dispatched on operand type ----
type OpTable = Partial<Record<ValType, number>>;
function binary(name: string, table: OpTable, resultType?: ValType): (a: Expr, b: Expr) => Expr {
  return (a, b) => {
    if (a.type !== b.type) throw new Error(`wasm-asm: ${name} of ${a.type} and ${b.type}`);
    const op = table[a.type];
    if (op === undefined) throw new Error(`wasm-asm: no ${name} for ${a.type}`);
    return expr(resultType ?? a.type, (o) => {
      a.emit(o);
      b.emit(o);
      if (a.type === "v128") simd(o, op);
      else o.push(op);
    });
  };
}
function unary(name: string, table: OpTable): (a: Expr) => Expr {
  return (a) => {
    const op = table[a.type];
    if (op === undefined) throw new Error(`wasm-asm: no ${name} for ${a.type}`);
    return expr(a.type, (o) => {
      a.emit(o);
      if (a.type === "v128") simd(o, op);
      else o.push(op);
    });
  };
}

export const add = binary("add", { i32: 0x6a, f32: 0x92, v128: 0xe4 });
export const sub = binary("sub", { i32: 0x6b, f32: 0x93, v128: 0xe5 });
export const mul = binary("mul", { i32: 0x6c, f32: 0x94, v128: 0xe6 });
export const div = binary("div", { f32: 0x95, v128: 0xe7 });
export const min = binary("min", { f32: 0x96, v128: 0xe8 });
export const max = binary("max", { f32: 0x97, v128: 0xe9 });
/** Pseudo-min/max (b < a ? b : a): one minps/maxps, unlike min/max's NaN-exact sequences. */
export const pmin = binary("pmin", { v128: 0xea });
export const pmax = binary("pmax", { v128: 0xeb });
export const sqrt = unary("sqrt", { f32: 0x91, v128: 0xe3 });
export const neg = unary("neg", { f32: 0x8c, v128: 0xe1 });
export const shl = binary("shl", { i32: 0x74 });
export const divs = binary("div_s", { i32: 0x6d });
export const and = binary("and", { i32: 0x71, v128: 0x4e });
export const or = binary("or", { i32: 0x72, v128: 0x50 });
// Signed comparisons. Scalar ones give an i32 (0 or 1); f32x4 ones give a lane mask.
function compare(name: string, table: OpTable): (a: Expr, b: Expr) => Expr {
  const op = binary(name, table);
  return (a, b) => {
    const e = op(a, b);
    return a.type === "v128" ? e : expr("i32", e.emit);
  };
}
export const lts = compare("lt", { i32: 0x48, f32: 0x5d, v128: 0x43 });
export const les = compare("le", { i32: 0x4c, f32: 0x5f, v128: 0x45 });
export const gts = compare("gt", { i32: 0x4a, f32: 0x5e, v128: 0x44 });
export const ges = compare("ge", { i32: 0x4e, f32: 0x60, v128: 0x46 });
export const eq = compare("eq", { i32: 0x46 });

// ---- SIMD specifics ----
export const splat = (a: Expr): Expr => {
  need(a, "f32", "splat");
  return expr("v128", (o) => {
    a.emit(o);
    simd(o, 0x13);
  });
};
export const isplat = (a: Expr): Expr => {
  need(a, "i32", "isplat");
  return expr("v128", (o) => {
    a.emit(o);
    simd(o, 0x11);
  });
};
export const lane = (a: Expr, i: number): Expr => {
  need(a, "v128", "lane");
  return expr("f32", (o) => {
    a.emit(o);
    simd(o, 0x1f);
    o.push(i);
  });
};
/** a·b + c on four lanes, fused where the CPU has FMA (relaxed SIMD). */
export const madd = (a: Expr, b: Expr, c: Expr): Expr =>
  expr("v128", (o) => {
    a.emit(o);
    b.emit(o);
    c.emit(o);
    simd(o, 0x105);
  });
/** Picks bits of a where mask is set and of b elsewhere. */
export const bitselect = (a: Expr, b: Expr, mask: Expr): Expr =>
  expr("v128", (o) => {
    a.emit(o);
    b.emit(o);
    mask.emit(o);
    simd(o, 0x52);
  });
export const nearest = (a: Expr): Expr => expr("v128", (o) => (a.emit(o), simd(o, 0x6a)));
/** i32x4 from f32x4, saturating truncation. */
export const truncSat = (a: Expr): Expr => expr("v128", (o) => (a.emit(o), simd(o, 0xf8)));
export const iadd4 = (a: Expr, b: Expr): Expr => expr("v128", (o) => (a.emit(o), b.emit(o), simd(o, 0xae)));
export const ishl4 = (a: Expr, n: Expr): Expr => expr("v128", (o) => (a.emit(o), n.emit(o), simd(o, 0xab)));
/** Lane mask of signed i32 lanes a <= b. */
export const ile4 = (a: Expr, b: Expr): Expr => expr("v128", (o) => (a.emit(o), b.emit(o), simd(o, 0x3d)));
/** Lane mask of signed i32 lanes a < b. */
export const ilt4 = (a: Expr, b: Expr): Expr => expr("v128", (o) => (a.emit(o), b.emit(o), simd(o, 0x39)));
export const f32FromI32 = (a: Expr): Expr => expr("f32", (o) => (a.emit(o), o.push(0xb2)));
export const select = (a: Expr, b: Expr, cond: Expr): Expr =>
  expr(a.type, (o) => {
    a.emit(o);
    b.emit(o);
    cond.emit(o);
    o.push(0x1b);
  });

// ---- memory (byte addresses; offsets are constant byte offsets) ----
function memarg(o: number[], align: number, offset: number): void {
  uleb(o, align);
  uleb(o, offset);
}
export const loadF = (addr: Expr, offset = 0): Expr =>
  expr("f32", (o) => {
    addr.emit(o);
    o.push(0x2a);
    memarg(o, 2, offset);
  });
export const loadI = (addr: Expr, offset = 0): Expr =>
  expr("i32", (o) => {
    addr.emit(o);
    o.push(0x28);
    memarg(o, 2, offset);
  });
export const loadV = (addr: Expr, offset = 0): Expr =>
  expr("v128", (o) => {
    addr.emit(o);
    simd(o, 0x00);
    memarg(o, 2, offset);
  });
/** f32x4 with every lane set from one f32 in memory. */
export const loadSplat = (addr: Expr, offset = 0): Expr =>
  expr("v128", (o) => {
    addr.emit(o);
    simd(o, 0x09); // v128.load32_splat
    memarg(o, 2, offset);
  });

export const storeF =
  (addr: Expr, value: Expr, offset = 0): Stmt =>
  (o) => {
    need(value, "f32", "storeF");
    addr.emit(o);
    value.emit(o);
    o.push(0x38);
    memarg(o, 2, offset);
  };
export const storeV =
  (addr: Expr, value: Expr, offset = 0): Stmt =>
  (o) => {
    need(value, "v128", "storeV");
    addr.emit(o);
    value.emit(o);
    simd(o, 0x0b);
    memarg(o, 2, offset);
  };
/** memory.copy (bulk memory): n bytes from src to dst. */
export const copyBytes =
  (dst: Expr, src: Expr, n: Expr): Stmt =>
  (o) => {
    dst.emit(o);
    src.emit(o);
    n.emit(o);
    o.push(0xfc);
    uleb(o, 10);
    o.push(0, 0);
  };
/** memory.fill with zero bytes. */
export const zeroBytes =
  (dst: Expr, n: Expr): Stmt =>
  (o) => {
    dst.emit(o);
    i32(0).emit(o);
    n.emit(o);
    o.push(0xfc);
    uleb(o, 11);
    o.push(0);
  };

// ---- statements ----
export const set =
  (l: Local, value: Expr): Stmt =>
  (o) => {
    if (value.type !== l.type) throw new Error(`wasm-asm: set ${l.type} local from ${value.type}`);
    value.emit(o);
    o.push(0x21);
    uleb(o, l.index);
  };
/** l += step (i32). */
export const inc = (l: Local, step: number | Expr): Stmt =>
  set(l, add(get(l), typeof step === "number" ? i32(step) : step));

export const seq =
  (...body: Array<Stmt | Stmt[]>): Stmt =>
  (o) => {
    for (const s of body.flat()) s(o);
  };

/** for (i = from; i < to; i += step) body — `to` is re-evaluated every iteration. */
export const forRange =
  (i: Local, from: Expr, to: Expr, step: number, ...body: Array<Stmt | Stmt[]>): Stmt =>
  (o) => {
    set(i, from)(o);
    o.push(0x02, 0x40); // block
    o.push(0x03, 0x40); // loop
    ges(get(i), to).emit(o);
    o.push(0x0d, 1); // br_if out of the block
    for (const s of body.flat()) s(o);
    inc(i, step)(o);
    o.push(0x0c, 0); // br to loop start
    o.push(0x0b, 0x0b);
  };

export const when =
  (cond: Expr, then: Stmt[], otherwise: Stmt[] = []): Stmt =>
  (o) => {
    need(cond, "i32", "when");
    cond.emit(o);
    o.push(0x04, 0x40);
    for (const s of then) s(o);
    if (otherwise.length > 0) {
      o.push(0x05);
      for (const s of otherwise) s(o);
    }
    o.push(0x0b);
  };
