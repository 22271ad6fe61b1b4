// A Node module-resolution hook for a checkout: the repository's own files that import the
// package by name ("selfimprove", "selfimprove/testing", "selfimprove/scenarios/x", as the shipped
// scenarios do) get the TypeScript sources, through the "selfimprove-source" condition of
// package.json's "exports", instead of a dist/ that may be stale or not built at all.
//
// bin/selfimprove.js registers it (with tsx) when it runs the sources. It is a hook rather than
// `node --conditions=selfimprove-source` because the CLI's process is already running by then, and
// it is scoped to imports made from inside this checkout: a user's scenario elsewhere that
// imports "selfimprove" resolves exactly as plain Node would (to the package installed there).
// The tests get the same condition from vitest.config.ts; the typechecker from tsconfig.json.
const CHECKOUT = new URL("../", import.meta.url).href;
const DEPENDENCIES = new URL("../node_modules/", import.meta.url).href;

/** The condition package.json's "exports" maps to the sources (listed first, before "types"). */
export const SOURCE_CONDITION = "selfimprove-source";

/** @type {import("node:module").ResolveHook} */
export async function resolve(specifier, context, nextResolve) {
  const parent = context.parentURL ?? "";
  const selfImport = specifier === "selfimprove" || specifier.startsWith("selfimprove/");
  if (selfImport && parent.startsWith(CHECKOUT) && !parent.startsWith(DEPENDENCIES))
    return nextResolve(specifier, { ...context, conditions: [...context.conditions, SOURCE_CONDITION] });
  return nextResolve(specifier, context);
}
