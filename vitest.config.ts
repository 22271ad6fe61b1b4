import { defaultServerConditions } from "vite";
import { defineConfig } from "vitest/config";

// The shipped scenarios import the package by name ("selfimprove"). In the tests that name must
// mean this checkout's sources, never a dist/ that may be stale or missing: package.json's
// "exports" maps the "selfimprove-source" condition to them. Vite resolves the test files' own
// imports (in its server-side mode: ssr.resolve.conditions) and the forks' Node what is imported
// natively (a scenario loaded through tsx by loadScenario), so both are given the condition.
const SOURCE_CONDITION = "selfimprove-source";

export default defineConfig({
  ssr: { resolve: { conditions: [SOURCE_CONDITION, ...defaultServerConditions] } },
  test: {
    include: ["test/**/*.test.ts"],
    // Model tests compile wasm kernels once per file; forks keep each file's tfjs state isolated.
    pool: "forks",
    poolOptions: { forks: { execArgv: [`--conditions=${SOURCE_CONDITION}`] } },
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
