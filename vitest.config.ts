import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // Model tests compile wasm kernels once per file; forks keep each file's tfjs state isolated.
    pool: "forks",
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
