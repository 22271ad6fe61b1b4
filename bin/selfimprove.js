#!/usr/bin/env node
// The CLI is TypeScript run through tsx, so scenario files (TypeScript too) load the same way
// without a build step.
import { register } from "tsx/esm/api";

register();
await import("../src/cli/main.ts");
