// What every fused kernel shares at run time: the binding to tfjs-wasm's backend and memory,
// the cache of compiled modules, tensor pointers, a persistent scratch buffer, a Float32 view
// of the heap, shape checks, the relaxed-SIMD (FMA) probe, and kernel registration. The kernels
// themselves (src/engine/kernels/) only generate code and move pointers.
import * as tf from "@tensorflow/tfjs";
import { setFlagsFromString } from "node:v8";
import { madd, v4 } from "./asm.js";
import { Func, assemble, instantiate, isWasmMemory, validate, type WasmFn, type WasmMemory } from "./module.js";

export type TensorInfo = tf.TensorInfo;

/** What the fused kernels need from tfjs-wasm's BackendWasm (public methods, untyped in tfjs). */
export interface WasmBackend {
  wasm: { asm: { memory: WasmMemory }; _malloc(bytes: number): number; _free(ptr: number): void };
  makeOutput(shape: number[], dtype: tf.DataType): TensorInfo;
  getMemoryOffset(dataId: object): number;
}

let installed = false;
/** Relaxed-SIMD fused multiply-add is usable (roughly doubles GEMM throughput here). */
let fmaAvailable = false;
let memory: WasmMemory | undefined;
const modules = new Map<string, Map<string, WasmFn>>();

/** True when the fused kernels run (wasm backend active and kernels registered). */
export function fusedAvailable(): boolean {
  return installed && tf.getBackend() === "wasm";
}

/** Whether modules with matmuls are built with relaxed SIMD's fused multiply-add. */
export function fmaEnabled(): boolean {
  return fmaAvailable;
}

/**
 * The kernels' view of the backend. Compiled modules import the backend's memory, so if the
 * wasm backend was re-created (new memory) everything bound to the old one is dropped.
 */
export function backendOf(b: object): WasmBackend {
  const be = b as WasmBackend;
  const mem = be.wasm.asm.memory;
  if (mem !== memory) {
    memory = mem;
    modules.clear();
    scratchPtr = 0;
    scratchBytes = 0;
  }
  return be;
}

export function ptr(be: WasmBackend, t: TensorInfo): number {
  return be.getMemoryOffset(t.dataId);
}

/**
 * A module of functions built for one shape. The key caches it and labels its functions in the
 * module's "name" section ("key.function"), which profiles and the tests' dispatch watcher read.
 */
export interface ModuleSpec {
  key: string;
  build: () => Func[];
}

/** The module's binary: what compiled() instantiates (test/kernels.modules.test.ts hashes it). */
export function moduleBytes(spec: ModuleSpec): Uint8Array {
  return assemble(spec.build(), spec.key);
}

/** Compiles a module once per key, on the bound memory. */
export function compiled(spec: ModuleSpec): Map<string, WasmFn> {
  let m = modules.get(spec.key);
  if (!m) {
    if (!memory) throw new Error("fused kernels: wasm memory not bound");
    m = instantiate(moduleBytes(spec), memory);
    modules.set(spec.key, m);
  }
  return m;
}

export function fn(m: Map<string, WasmFn>, name: string): WasmFn {
  const f = m.get(name);
  if (!f) throw new Error(`fused kernels: no function ${name}`);
  return f;
}

/** Pointers to a kernel's named inputs. */
export function pointers(be: WasmBackend, inputs: tf.NamedTensorInfoMap): (name: string) => number {
  return (name) => ptr(be, inputs[name] as TensorInfo);
}

/** Persistent scratch on the wasm heap (kernels never run concurrently). */
let scratchPtr = 0;
let scratchBytes = 0;
export function scratch(be: WasmBackend, bytes: number): number {
  if (bytes > scratchBytes) {
    if (scratchPtr) be.wasm._free(scratchPtr);
    scratchBytes = Math.max(bytes, scratchBytes * 2, 1 << 16);
    scratchPtr = be.wasm._malloc(scratchBytes) >>> 0;
  }
  return scratchPtr;
}

export function heap(): Float32Array {
  if (!memory) throw new Error("fused kernels: wasm memory not bound");
  return new Float32Array(memory.buffer);
}

/** Writes i32 arguments at byte address `at` on the heap (modules read them with loadI). */
export function writeArgs(at: number, values: readonly number[]): void {
  if (!memory) throw new Error("fused kernels: wasm memory not bound");
  new Int32Array(memory.buffer, at, values.length).set(values);
}

export const size = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);

/** The kernels index memory directly, so a shape mismatch must throw rather than read past a buffer. */
export function expectShape(what: string, t: TensorInfo | undefined, shape: readonly number[]): void {
  if (!t || t.shape.length !== shape.length || t.shape.some((d, i) => d !== shape[i])) {
    throw new Error(
      `fused kernel: ${what} has shape [${t?.shape.join(", ") ?? "none"}], expected [${shape.join(", ")}]`,
    );
  }
}

/**
 * Registers a wasm kernel whose body gets the bound backend (see backendOf) rather than the
 * raw one; returns what tfjs expects from a kernel.
 */
export function registerWasmKernel(
  kernelName: string,
  run: (
    be: WasmBackend,
    inputs: tf.NamedTensorInfoMap,
    attrs: tf.NamedAttrMap | undefined,
  ) => TensorInfo | TensorInfo[],
): void {
  tf.registerKernel({
    kernelName,
    backendName: "wasm",
    kernelFunc: ({ inputs, backend, attrs }) => run(backendOf(backend), inputs, attrs),
  });
}

/**
 * Replaces tfjs-wasm's own kernel `kernelName` by `run`, which gets the stock kernel to fall
 * back on; nothing happens if wasm has no such kernel.
 */
export function overrideWasmKernel(
  kernelName: string,
  run: (args: Parameters<tf.KernelFunc>[0], stock: tf.KernelFunc) => ReturnType<tf.KernelFunc>,
): void {
  const stock = tf.getKernel(kernelName, "wasm");
  if (!stock) return;
  tf.unregisterKernel(kernelName, "wasm");
  tf.registerKernel({ ...stock, kernelFunc: (args) => run(args, (a) => stock.kernelFunc(a)) });
}

/**
 * Relaxed SIMD (standard since 2023, on by default from V8 11.4) is behind a flag in Node 20's
 * V8 11.3. Turning the flag on only makes more instructions validate, so it is safe to set at
 * run time before any module using them is compiled; if it cannot be set, the kernels use a
 * separate multiply and add.
 */
function enableFma(): boolean {
  const probe = new Func("probe", []);
  probe.body = [
    (o) => {
      madd(v4(1, 1, 1, 1), v4(1, 1, 1, 1), v4(1, 1, 1, 1)).emit(o);
      o.push(0x1a); // drop
    },
  ];
  const bytes = assemble([probe]);
  if (validate(bytes)) return true;
  try {
    setFlagsFromString("--experimental-wasm-relaxed-simd");
  } catch {
    return false;
  }
  return validate(bytes);
}

/**
 * Binds to the active wasm backend's memory and decides on FMA, before the kernels register.
 * False when there is nothing to do: already installed, another backend, or an unexpected
 * build of tfjs-wasm (then the stock ops stay).
 */
export function bindWasmBackend(): boolean {
  if (installed || tf.getBackend() !== "wasm") return false;
  const be = backendOf(tf.backend());
  const mem = be.wasm.asm?.memory;
  if (!isWasmMemory(mem)) return false;
  memory = mem;
  fmaAvailable = enableFma();
  return true;
}

/** Marks the kernels registered: from now on fusedAvailable() is true on the wasm backend. */
export function markInstalled(): void {
  installed = true;
}
