// `selfimprove init DIR`: a new project built on selfimprove, ready for `npm install && npm test`
// there: the example project examples/small-countdown (its own task, a reward with a property
// test, a scenario with an actor of its own, tsconfig, README), depending on the running version
// of selfimprove. It refuses a DIR that exists and is not empty, and appears whole or not at all:
// the files are written into a temporary sibling folder that is then renamed into place.
import fs from "node:fs";
import path from "node:path";
import type { Command } from "commander";
import { z } from "zod";
import { PROJECT_ROOT } from "../../paths.js";
import { CliError } from "../errors.js";

export const TEMPLATE = "small-countdown";
export const TEMPLATE_DIR = path.join(PROJECT_ROOT, "examples", TEMPLATE);

/** The running package's version: what the new project depends on. */
export function runningVersion(): string {
  const pkg = z
    .object({ version: z.string() })
    .passthrough()
    .parse(JSON.parse(fs.readFileSync(path.join(PROJECT_ROOT, "package.json"), "utf8")));
  return pkg.version;
}

/** An npm package name made from a folder name: lower case, dashes for anything else. */
function packageName(dir: string): string {
  const name = path
    .basename(path.resolve(dir))
    .toLowerCase()
    .replace(/[^a-z0-9._-]+/g, "-")
    .replace(/^[._-]+|-+$/g, "");
  return name === "" ? "selfimprove-project" : name.slice(0, 214);
}

/** The template's files, relative to it (never an installed node_modules). */
function templateFiles(dir: string, rel = ""): string[] {
  return fs.readdirSync(path.join(dir, rel), { withFileTypes: true }).flatMap((e) => {
    const r = path.join(rel, e.name);
    if (e.isDirectory()) return e.name === "node_modules" ? [] : templateFiles(dir, r);
    return e.isFile() ? [r] : [];
  });
}

/** What each file of the new project holds: the template's, with package.json and README made its own. */
export function projectFiles(name: string, version: string): Map<string, string> {
  const files = new Map<string, string>();
  for (const rel of templateFiles(TEMPLATE_DIR)) files.set(rel, fs.readFileSync(path.join(TEMPLATE_DIR, rel), "utf8"));
  const pkg = JSON.parse(files.get("package.json") ?? "{}") as { name?: string; dependencies?: Record<string, string> };
  pkg.name = name;
  pkg.dependencies = { ...pkg.dependencies, selfimprove: `^${version}` };
  files.set("package.json", JSON.stringify(pkg, null, 2) + "\n");
  const readme = files.get("README.md");
  if (readme !== undefined) files.set("README.md", readme.replace(`# ${TEMPLATE}`, `# ${name}`));
  return files;
}

/** Writes the project into `dir`; returns the files written. A CliError (exit 2) if `dir` is in the way. */
export function initProject(dir: string, version = runningVersion()): string[] {
  const target = path.resolve(dir);
  if (fs.existsSync(target)) {
    if (!fs.statSync(target).isDirectory()) throw new CliError(`init: ${target} exists and is not a folder`, 2);
    if (fs.readdirSync(target).length > 0)
      throw new CliError(`init: ${target} is not empty; init writes a new project into an empty or new folder`, 2);
  }
  const files = projectFiles(packageName(target), version);
  const staging = `${target}.init-${process.pid}`;
  try {
    for (const [rel, text] of files) {
      fs.mkdirSync(path.dirname(path.join(staging, rel)), { recursive: true });
      fs.writeFileSync(path.join(staging, rel), text);
    }
    if (fs.existsSync(target)) fs.rmdirSync(target);
    fs.renameSync(staging, target);
  } catch (err) {
    fs.rmSync(staging, { recursive: true, force: true });
    throw new CliError(`init: cannot write ${target}: ${err instanceof Error ? err.message : String(err)}`, 2);
  }
  return [...files.keys()].sort();
}

export function registerInit(program: Command): Command {
  return program
    .command("init")
    .description(
      "write a new project built on selfimprove into DIR: a task, a reward with a property test, a scenario (npm install && npm test there)",
    )
    .argument("<dir>", "a new or empty folder")
    .action((dir: string) => {
      const files = initProject(dir);
      const shown = path.relative(process.cwd(), path.resolve(dir)) || ".";
      process.stdout.write(
        `wrote ${files.length} files into ${shown}: ${files.join(", ")}\nnext: cd ${shown} && npm install && npm test\n`,
      );
    });
}
