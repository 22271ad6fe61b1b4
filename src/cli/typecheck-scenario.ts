// `run` typechecks a user's scenario file before running it. tsx strips types without checking
// them, so a scenario that guesses a message's shape wrong (`v.verdict?.correct` on a
// VerdictMessage) would otherwise run, train on nothing and say nothing. The TypeScript compiler
// is the user's own when their project has one (else this package's, where installed); with
// none, nothing is checked. Options come from the file's nearest tsconfig.json, else strict
// defaults for an ESM Node project.
import fs from "node:fs";
import path from "node:path";
import { createRequire } from "node:module";
import { fileURLToPath, pathToFileURL } from "node:url";
import { PROJECT_ROOT } from "../paths.js";

type TypeScript = typeof import("typescript");

/** Loads a TypeScript compiler: the project's own (resolved from `dir`), else ours; undefined when there is none. */
async function loadTypeScript(dir: string): Promise<TypeScript | undefined> {
  const tryImport = async (specifier: string): Promise<TypeScript | undefined> => {
    try {
      const mod = (await import(specifier)) as TypeScript & { default?: TypeScript };
      return mod.default ?? mod;
    } catch {
      return undefined;
    }
  };
  try {
    const local = createRequire(path.join(dir, "noop.js")).resolve("typescript");
    const found = await tryImport(pathToFileURL(local).href);
    if (found) return found;
  } catch {
    // Not installed in the user's project: fall back to ours.
  }
  return tryImport("typescript");
}

const MAX_SHOWN = 20;
/**
 * "Cannot find module": the loader resolves specifiers TypeScript does not follow (file: URLs),
 * and reports a module that is really missing itself, naming it; not a type error to refuse on.
 */
const UNRESOLVED_MODULE = new Set([2307, 2792]);

export interface TypecheckResult {
  /** False when no TypeScript compiler could be loaded (nothing was checked). */
  checked: boolean;
  /** `file:line:col message`, one per error (at most MAX_SHOWN, then a count). */
  errors: string[];
}

/**
 * Files that are this package's own (its sources in a checkout, its compiled files when
 * installed): the build checks those; only the user's files are checked here. Checking is per
 * file and lazy, so the package's sources are read for their types, not checked again.
 */
function isOwnFile(fileName: string): boolean {
  const f = path.resolve(fileName);
  if (f.split(path.sep).includes("node_modules")) return true;
  return ["src", "actors", "machines", "scenarios", "dist"].some((d) =>
    f.startsWith(path.join(PROJECT_ROOT, d) + path.sep),
  );
}

/** Typechecks `file` and the user's files it imports, with its project's settings. */
export async function typecheckScenario(file: string): Promise<TypecheckResult> {
  const dir = path.dirname(file);
  const ts = await loadTypeScript(dir);
  if (!ts) return { checked: false, errors: [] };
  const options = compilerOptions(ts, dir);
  const program = ts.createProgram({ rootNames: [file], options, host: fileUrlHost(ts, options) });
  const mine = program
    .getSourceFiles()
    .filter((f) => !f.isDeclarationFile && (path.resolve(f.fileName) === path.resolve(file) || !isOwnFile(f.fileName)));
  const diagnostics = mine
    .flatMap((f) => [...program.getSyntacticDiagnostics(f), ...program.getSemanticDiagnostics(f)])
    .filter((d) => d.category === ts.DiagnosticCategory.Error && !UNRESOLVED_MODULE.has(d.code));
  const lines = diagnostics.slice(0, MAX_SHOWN).map((d) => {
    const message = ts.flattenDiagnosticMessageText(d.messageText, "\n").split("\n")[0] ?? "";
    if (d.file === undefined || d.start === undefined) return message;
    const { line, character } = d.file.getLineAndCharacterOfPosition(d.start);
    const rel = path.relative(process.cwd(), d.file.fileName);
    const shown = rel === "" || rel.startsWith("..") ? path.resolve(d.file.fileName) : rel;
    return `${shown}:${line + 1}:${character + 1} ${message}`;
  });
  if (diagnostics.length > MAX_SHOWN) lines.push(`... and ${diagnostics.length - MAX_SHOWN} more`);
  return { checked: true, errors: lines };
}

/**
 * A compiler host that also follows `file:` URL specifiers (which Node and tsx import, and
 * TypeScript does not resolve), as the paths they name.
 */
function fileUrlHost(ts: TypeScript, options: import("typescript").CompilerOptions): import("typescript").CompilerHost {
  const host = ts.createCompilerHost(options);
  const cache = ts.createModuleResolutionCache(
    host.getCurrentDirectory(),
    (f) => host.getCanonicalFileName(f),
    options,
  );
  host.resolveModuleNames = (names, containingFile, _reused, redirected) =>
    names.map((name) => {
      const specifier = name.startsWith("file:") ? fileURLToPath(name) : name;
      return ts.resolveModuleName(specifier, containingFile, options, host, cache, redirected).resolvedModule;
    });
  return host;
}

/** The nearest tsconfig.json's options (noEmit forced), or strict defaults for an ESM Node project. */
function compilerOptions(ts: TypeScript, dir: string): import("typescript").CompilerOptions {
  const configFile = ts.findConfigFile(dir, (f) => fs.existsSync(f), "tsconfig.json");
  if (configFile !== undefined) {
    const read = ts.readConfigFile(configFile, (f) => ts.sys.readFile(f));
    if (read.error === undefined) {
      const parsed = ts.parseJsonConfigFileContent(read.config, ts.sys, path.dirname(configFile));
      return { ...parsed.options, noEmit: true, incremental: false };
    }
  }
  return {
    strict: true,
    noEmit: true,
    skipLibCheck: true,
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    allowImportingTsExtensions: true,
    esModuleInterop: true,
    // In a checkout, "selfimprove" means the sources (package.json exports); elsewhere it matches nothing.
    customConditions: ["selfimprove-source"],
  };
}
