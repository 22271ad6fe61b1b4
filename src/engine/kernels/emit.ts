// Code patterns the kernels share, on top of the assembler (src/engine/wasm/).
import { type Expr, v4 } from "../wasm/asm.js";

/** A v128 constant with x in every lane. */
export const splat4 = (x: number): Expr => v4(x, x, x, x);

/** n rounded up to a multiple of 4 (whole vectors). */
export const ceil4 = (n: number): number => Math.ceil(n / 4) * 4;
