// The generated kernel code is pinned: for a spread of shapes (every kernel; matmul's nn, tn,
// N % 8 == 4 and K-chunked forms; attention masked and not; the step kernel with more vectors
// per head than accumulators; the decoder layer; with and without relaxed-SIMD FMA), the
// SHA-256 of each module's binary equals the hash recorded from the code as it was before
// fused.ts was split into src/engine/kernels/. A refactoring of the emitters that changes a
// single byte (an instruction, an operand order, a local's index, a constant) fails here, while
// the numeric tests (test/kernels.*) could let an equivalent-looking change through. Modules
// are only assembled, never compiled, so this needs no wasm backend and no relaxed SIMD.
// After an intended change to the generated code, rerun this and update the hashes it prints.
import { createHash } from "node:crypto";
import { describe, expect, test } from "vitest";
import { adamModuleSpec } from "../src/engine/kernels/adamw.js";
import { attentionModuleSpec } from "../src/engine/kernels/attention.js";
import { stepModuleSpec } from "../src/engine/kernels/attention-step.js";
import { decodeLayerModuleSpec } from "../src/engine/kernels/decode-layer.js";
import { embedModuleSpec } from "../src/engine/kernels/embed.js";
import { geluModuleSpec } from "../src/engine/kernels/gelu.js";
import { layerNormModuleSpec } from "../src/engine/kernels/layernorm.js";
import { matmulModuleSpec } from "../src/engine/kernels/matmul.js";
import { type ModuleSpec, moduleBytes } from "../src/engine/wasm/runtime.js";

const sha256 = (bytes: Uint8Array): string => createHash("sha256").update(bytes).digest("hex");

/** [module key, FMA, spec, SHA-256 of the binary]. */
const PINNED: Array<[string, string, () => ModuleSpec, string]> = [
  ["gelu", "fma", () => geluModuleSpec(), "49354c5d56ac2cdc27fe4526cbde77d864d9575b0a2a1c62f630653232ca59d9"],
  ["ln:12", "fma", () => layerNormModuleSpec(12), "831d4da2303fa68b6edcf7b6b1dd93edc66bc43680dab562e71f8e25fba7185b"],
  ["ln:48", "fma", () => layerNormModuleSpec(48), "41613e9e0e9bfaaf6477649be7caae27ed2d266a8589000cdd6253dfe44d35c9"],
  [
    "attn:13:2:12:false",
    "fma",
    () => attentionModuleSpec({ T: 13, H: 2, hd: 12, masked: false }, true),
    "6fd56377d17264059012ce1294313c89dbac2fe33f6df713789e622f0aaa61a5",
  ],
  [
    "attn:13:2:12:false",
    "no fma",
    () => attentionModuleSpec({ T: 13, H: 2, hd: 12, masked: false }, false),
    "80f42453aa3ff81471f8482f866d51880ce0d3d7ca0bd5b37625e2cd492e177a",
  ],
  [
    "attn:13:2:12:true",
    "fma",
    () => attentionModuleSpec({ T: 13, H: 2, hd: 12, masked: true }, true),
    "88c6aa78708b78b4911c02ff053d0760119dfd9c4c6c2fffe82eaf79a4f4c8b1",
  ],
  [
    "attn:13:2:12:true",
    "no fma",
    () => attentionModuleSpec({ T: 13, H: 2, hd: 12, masked: true }, false),
    "e0b0e48f06517553116dc4056b3e83b209d24e3445987ca8268057414880c195",
  ],
  [
    "attn:8:4:4:true",
    "fma",
    () => attentionModuleSpec({ T: 8, H: 4, hd: 4, masked: true }, true),
    "bca5995a763cfb1ba52b1eda6eb32f00a8e62b0e49b6fba255e54ae04556a28e",
  ],
  [
    "step:2:40:true",
    "fma",
    () => stepModuleSpec(2, 40, true),
    "fbed5ba9ec1aecbee1e835966a7b5f128176ab2713895b4691776a25a4937e5b",
  ],
  [
    "step:5:4:false",
    "fma",
    () => stepModuleSpec(5, 4, false),
    "e3d52057812624b8aef828fb7a41746dc58d2b2520c0589f8c41da5b843924f3",
  ],
  [
    "layer:2:12:96:true:true",
    "fma",
    () => decodeLayerModuleSpec({ H: 2, hd: 12, F: 96, masked: true }, true),
    "65913470d2d2bf3c810a62f3e2dcd0fb3abbfb24d9152b692153fd224aa3937a",
  ],
  [
    "layer:2:40:320:false:false",
    "no fma",
    () => decodeLayerModuleSpec({ H: 2, hd: 40, F: 320, masked: false }, false),
    "b0983c6002f6c7008a708ab99a76d32d6e05de8465289b81863bf9345343142b",
  ],
  [
    "layer:5:4:80:true:true",
    "fma",
    () => decodeLayerModuleSpec({ H: 5, hd: 4, F: 80, masked: true }, true),
    "a77f373b8b38a521b3a1a36fb1b6ce7a457c448ed95fed953d5c918aeee25585",
  ],
  ["embed:24", "fma", () => embedModuleSpec(24), "0a40492be8724e2db8fc7e71486a82a3b775dac1174d33da03fe1e802a8767a6"],
  [
    "mm:nn:12:8:true",
    "fma",
    () => matmulModuleSpec("nn", 12, 8, true),
    "dab399768bd101ea96194abb8690fdd064d143d1dd506e6fd93e12158c3815f4",
  ],
  [
    "mm:nn:12:8:false",
    "no fma",
    () => matmulModuleSpec("nn", 12, 8, false),
    "ed9d21b805f51daf629e6ce41006eeb3e2ff94bdf897058c717c2b35dfc3a82e",
  ],
  [
    "mm:nn:4:12:true",
    "fma",
    () => matmulModuleSpec("nn", 4, 12, true),
    "3ffc9b5a281a1dcfe9ed46dd636a9fbee7bb9b209c43015c783f9547d10b18f9",
  ],
  [
    "mm:nn:512:512:true",
    "fma",
    () => matmulModuleSpec("nn", 512, 512, true),
    "cde891231481a46af94a1f9bb189b05300eb88ef86c99801ca38eeec4b195223",
  ],
  [
    "mm:tn:5:8:true",
    "fma",
    () => matmulModuleSpec("tn", 5, 8, true),
    "e03a8256cebf1f94c214ec1bc26a6326db05f93d6a6d42abf9867f1ed7829ea1",
  ],
  [
    "mm:tn:5:8:false",
    "no fma",
    () => matmulModuleSpec("tn", 5, 8, false),
    "109f7011fa7b77c811431d53c603fefeab8dfb10e084534377b8b25fbaec9aff",
  ],
  ["adam", "fma", () => adamModuleSpec(), "a3f87bd99db659ea06a849ca3b5c01cfd5d5939fcb73ecfe671a4d0f415fe70d"],
];

describe("generated wasm modules are byte-identical to the pinned ones", () => {
  test.each(PINNED)("%s (%s)", (key, _fma, spec, hash) => {
    const s = spec();
    expect(s.key).toBe(key);
    const bytes = moduleBytes(s);
    // The label of every function in the name section is "<key>.<function>".
    expect(Buffer.from(bytes).includes(Buffer.from(`${key}.`))).toBe(true);
    expect(sha256(bytes)).toBe(hash);
  });
});
