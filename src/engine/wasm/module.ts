// Functions and modules for the assembler in asm.ts: a function's locals and body, the binary
// module around a list of functions (one imported memory, every function exported, a "name"
// section for profiles), and the slice of the WebAssembly JS API that validates and
// instantiates it.
import { type Stmt, type ValType, Local, TYPE_CODE, uleb } from "./asm.js";

/** A void function: its parameters, then locals in the order asked for (which fixes their indices). */
export class Func {
  readonly params: Local[];
  private readonly extra: ValType[] = [];
  body: Stmt[] = [];

  constructor(
    readonly name: string,
    readonly paramTypes: ValType[],
  ) {
    this.params = paramTypes.map((t, i) => new Local(i, t));
  }

  local(type: ValType): Local {
    this.extra.push(type);
    return new Local(this.paramTypes.length + this.extra.length - 1, type);
  }

  encode(): number[] {
    const out: number[] = [];
    uleb(out, this.extra.length);
    for (const t of this.extra) {
      uleb(out, 1);
      out.push(TYPE_CODE[t]);
    }
    for (const s of this.body) s(out);
    out.push(0x0b);
    return out;
  }
}

function section(out: number[], id: number, body: number[]): void {
  out.push(id);
  uleb(out, body.length);
  for (const b of body) out.push(b);
}

function name(out: number[], s: string): void {
  const b = new TextEncoder().encode(s);
  uleb(out, b.length);
  for (const x of b) out.push(x);
}

/**
 * Assembles void functions over one imported memory ("env"."memory"). The optional label
 * names the functions in a "name" section, so CPU profiles show "label.func".
 */
export function assemble(funcs: Func[], label = ""): Uint8Array {
  const types: string[] = [];
  const typeOf = funcs.map((f) => {
    const key = f.paramTypes.join(",");
    let i = types.indexOf(key);
    if (i < 0) {
      types.push(key);
      i = types.length - 1;
    }
    return i;
  });
  const out: number[] = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];
  const typeSec: number[] = [];
  uleb(typeSec, types.length);
  for (const key of types) {
    const ps = key === "" ? [] : (key.split(",") as ValType[]);
    typeSec.push(0x60);
    uleb(typeSec, ps.length);
    for (const p of ps) typeSec.push(TYPE_CODE[p]);
    uleb(typeSec, 0);
  }
  section(out, 1, typeSec);
  const importSec: number[] = [];
  uleb(importSec, 1);
  name(importSec, "env");
  name(importSec, "memory");
  importSec.push(0x02, 0x00);
  uleb(importSec, 1);
  section(out, 2, importSec);
  const funcSec: number[] = [];
  uleb(funcSec, funcs.length);
  for (const t of typeOf) uleb(funcSec, t);
  section(out, 3, funcSec);
  const exportSec: number[] = [];
  uleb(exportSec, funcs.length);
  funcs.forEach((f, i) => {
    name(exportSec, f.name);
    exportSec.push(0x00);
    uleb(exportSec, i);
  });
  section(out, 7, exportSec);
  const codeSec: number[] = [];
  uleb(codeSec, funcs.length);
  for (const f of funcs) {
    const body = f.encode();
    uleb(codeSec, body.length);
    for (const b of body) codeSec.push(b);
  }
  section(out, 10, codeSec);
  if (label) {
    const names: number[] = [];
    uleb(names, funcs.length);
    funcs.forEach((f, i) => {
      uleb(names, i);
      name(names, `${label}.${f.name}`);
    });
    const custom: number[] = [];
    name(custom, "name");
    custom.push(1);
    uleb(custom, names.length);
    for (const b of names) custom.push(b);
    section(out, 0, custom);
  }
  return new Uint8Array(out);
}

export type WasmFn = (...args: number[]) => void;

/** The slice of the WebAssembly JS API used here (the project's lib settings omit its types). */
export interface WasmMemory {
  readonly buffer: ArrayBuffer;
}
interface WasmApi {
  validate(bytes: Uint8Array): boolean;
  Module: new (bytes: Uint8Array) => object;
  Instance: new (
    module: object,
    imports: Record<string, Record<string, unknown>>,
  ) => { exports: Record<string, unknown> };
  Memory: abstract new (...args: never[]) => WasmMemory;
}
const WA = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

export function validate(bytes: Uint8Array): boolean {
  return WA.validate(bytes);
}

export function isWasmMemory(x: unknown): x is WasmMemory {
  return x instanceof WA.Memory;
}

/** Compiles and instantiates synchronously (the modules are a few kilobytes). */
export function instantiate(bytes: Uint8Array, memory: WasmMemory): Map<string, WasmFn> {
  const module = new WA.Module(bytes);
  const instance = new WA.Instance(module, { env: { memory } });
  const out = new Map<string, WasmFn>();
  for (const [k, v] of Object.entries(instance.exports)) if (typeof v === "function") out.set(k, v as WasmFn);
  return out;
}
