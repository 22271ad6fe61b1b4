// The weight board: how the Learner's weights reach generation workers without a file round
// trip or a per-worker copy through postMessage. One SharedArrayBuffer holds a small Int32
// header and two slots, each a full copy of every parameter back to back in checkpoint order
// (parameterShapes). The publisher always writes the slot readers are NOT told to use, then
// flips the active slot; each slot also carries a sequence number (odd while being written),
// so a reader that was lapped by two quick publishes notices and reads again. A worker
// therefore never installs a half-written update, and the publisher never waits for readers.
import { parameterShapes } from "../engine/gpt.js";
import type { ModelConfig } from "../engine/config.js";

/** Header words (Int32), all accessed with Atomics. */
const H_PUBLISHED = 0; // version readers should take
const H_ACTIVE = 1; // slot (0/1) holding that version
const H_SEQ0 = 2; // per-slot sequence: odd = write in progress
const H_VER0 = 4; // per-slot version written there
const HEADER_WORDS = 8;
const HEADER_BYTES = HEADER_WORDS * 4;

export interface BoardEntry {
  name: string;
  /** Offset into one slot, in floats. */
  offset: number;
  size: number;
}

export interface WeightSnapshot {
  version: number;
  weights: Map<string, Float32Array>;
}

/** The layout both sides derive from the model config; nothing but the buffer travels. */
export function boardLayout(config: ModelConfig): { entries: BoardEntry[]; floats: number } {
  const entries: BoardEntry[] = [];
  let offset = 0;
  for (const [name, shape] of parameterShapes(config)) {
    const size = shape.reduce((a, b) => a * b, 1);
    entries.push({ name, offset, size });
    offset += size;
  }
  return { entries, floats: offset };
}

export class WeightBoard {
  private readonly header: Int32Array;
  private readonly slots: [Float32Array, Float32Array];
  readonly entries: BoardEntry[];
  readonly floats: number;

  private constructor(
    readonly buffer: SharedArrayBuffer,
    config: ModelConfig,
  ) {
    const layout = boardLayout(config);
    this.entries = layout.entries;
    this.floats = layout.floats;
    const need = HEADER_BYTES + 2 * this.floats * 4;
    if (buffer.byteLength !== need)
      throw new Error(`weight board: buffer has ${buffer.byteLength} bytes, the config needs ${need}`);
    this.header = new Int32Array(buffer, 0, HEADER_WORDS);
    this.slots = [
      new Float32Array(buffer, HEADER_BYTES, this.floats),
      new Float32Array(buffer, HEADER_BYTES + this.floats * 4, this.floats),
    ];
  }

  /** A fresh board holding `weights` as `version`. */
  static create(config: ModelConfig, weights: Map<string, Float32Array>, version: number): WeightBoard {
    const { floats } = boardLayout(config);
    const board = new WeightBoard(new SharedArrayBuffer(HEADER_BYTES + 2 * floats * 4), config);
    board.publish(weights, version);
    return board;
  }

  /** The same board seen from another thread (the buffer is shared, not copied). */
  static attach(buffer: SharedArrayBuffer, config: ModelConfig): WeightBoard {
    return new WeightBoard(buffer, config);
  }

  /** The version a reader would get now. */
  get version(): number {
    return Atomics.load(this.header, H_PUBLISHED);
  }

  /**
   * Writes a new version into the inactive slot, then makes it the active one. Synchronous:
   * on the main thread nothing else can run in between, and readers never wait on it.
   */
  publish(weights: Map<string, Float32Array>, version: number): void {
    if (!Number.isInteger(version) || version < 0 || version > 0x7fffffff)
      throw new Error(`weight board: bad version ${version}`);
    for (const e of this.entries) {
      const w = weights.get(e.name);
      if (!w || w.length !== e.size)
        throw new Error(
          `weight board: weight ${e.name} missing or of wrong size (${w?.length ?? 0}, expected ${e.size})`,
        );
    }
    const slot = 1 - Atomics.load(this.header, H_ACTIVE);
    const data = this.slots[slot as 0 | 1];
    Atomics.add(this.header, H_SEQ0 + slot, 1); // odd: readers of this slot will retry
    for (const e of this.entries) data.set(weights.get(e.name) as Float32Array, e.offset);
    Atomics.store(this.header, H_VER0 + slot, version);
    Atomics.add(this.header, H_SEQ0 + slot, 1); // even again: consistent
    Atomics.store(this.header, H_ACTIVE, slot);
    Atomics.store(this.header, H_PUBLISHED, version);
  }

  /**
   * A consistent copy of the active slot. `into` (from an earlier read) is reused so a long
   * run does not allocate a model's worth of floats per update. Retries when a publish lapped
   * the copy; gives up after `maxTries` only if the publisher never stops (a bug).
   */
  read(into?: Map<string, Float32Array>, maxTries = 1000): WeightSnapshot {
    const out = into ?? new Map<string, Float32Array>();
    for (let attempt = 0; attempt < maxTries; attempt++) {
      const slot = Atomics.load(this.header, H_ACTIVE);
      const before = Atomics.load(this.header, H_SEQ0 + slot);
      if (before % 2 === 1) continue;
      const version = Atomics.load(this.header, H_VER0 + slot);
      const data = this.slots[slot as 0 | 1];
      for (const e of this.entries) {
        let dst = out.get(e.name);
        if (!dst || dst.length !== e.size) {
          dst = new Float32Array(e.size);
          out.set(e.name, dst);
        }
        dst.set(data.subarray(e.offset, e.offset + e.size));
      }
      // The seq re-read is a seq-cst Atomics load, which orders the plain copies above before it.
      if (Atomics.load(this.header, H_SEQ0 + slot) === before) return { version, weights: out };
    }
    throw new Error(`weight board: no consistent read after ${maxTries} tries`);
  }
}
