// `selfimprove init DIR` writes the example project (examples/small-countdown) as a new project
// depending on the running version: every template file, package.json and README made its own;
// it refuses a folder that is not empty (exit 2, nothing touched); the project it writes
// typechecks against the sources and its property test passes under its own vitest.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, test } from "vitest";
import { PROJECT_ROOT } from "../src/paths.js";
import { initProject, runningVersion } from "../src/cli/commands/init.js";
import { CliError } from "../src/cli/errors.js";
import { typecheckScenario } from "../src/cli/typecheck-scenario.js";
import { cli } from "./helpers/run-cli.js";
import { EXAMPLE, installedCopy, projectVitest } from "./helpers/user-project.js";

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "selfimprove-init-"));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

const TEMPLATE_FILES = [
  "README.md",
  "package.json",
  "scenario.ts",
  path.join("src", "reward.ts"),
  path.join("src", "task.ts"),
  path.join("test", "reward.test.ts"),
  "tsconfig.json",
].sort();

describe("selfimprove init", () => {
  test("writes the example project, depending on the running version", () => {
    const dir = path.join(tmp, "My Project");
    expect(initProject(dir)).toEqual(TEMPLATE_FILES);
    const pkg = JSON.parse(fs.readFileSync(path.join(dir, "package.json"), "utf8")) as {
      name: string;
      dependencies: Record<string, string>;
      scripts: Record<string, string>;
    };
    const version = (
      JSON.parse(fs.readFileSync(path.join(PROJECT_ROOT, "package.json"), "utf8")) as { version: string }
    ).version;
    expect(runningVersion()).toBe(version);
    expect(pkg.name).toBe("my-project");
    expect(pkg.dependencies.selfimprove).toBe(`^${version}`);
    expect(pkg.scripts.test).toBe("tsc --noEmit && vitest run");
    for (const f of [
      "scenario.ts",
      path.join("src", "task.ts"),
      path.join("src", "reward.ts"),
      path.join("test", "reward.test.ts"),
      "tsconfig.json",
    ]) {
      expect(fs.readFileSync(path.join(dir, f), "utf8"), f).toBe(fs.readFileSync(path.join(EXAMPLE, f), "utf8"));
    }
    expect(fs.readFileSync(path.join(dir, "README.md"), "utf8")).toMatch(/^# my-project\n/);
    // Nothing is left beside it.
    expect(fs.readdirSync(tmp).filter((f) => f.includes(".init-"))).toEqual([]);
  });

  test("an empty folder is fine; a folder that is not empty, or a file, is refused and left alone", () => {
    const empty = path.join(tmp, "empty");
    fs.mkdirSync(empty);
    expect(initProject(empty)).toEqual(TEMPLATE_FILES);
    const busy = path.join(tmp, "busy");
    fs.mkdirSync(busy);
    fs.writeFileSync(path.join(busy, "notes.txt"), "mine");
    const err = (() => {
      try {
        initProject(busy);
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(err).toBeInstanceOf(CliError);
    expect((err as CliError).exitCode).toBe(2);
    expect((err as CliError).message).toBe(
      `init: ${busy} is not empty; init writes a new project into an empty or new folder`,
    );
    expect(fs.readdirSync(busy)).toEqual(["notes.txt"]);
    const file = path.join(tmp, "a-file");
    fs.writeFileSync(file, "x");
    expect(() => initProject(file)).toThrow(`init: ${file} exists and is not a folder`);
  });

  test("the project it writes typechecks against the sources and passes its own tests", async () => {
    const dir = path.join(tmp, "checked");
    initProject(dir);
    const project = installedCopy(dir, path.join(tmp, "checked-installed"));
    const vitest = projectVitest(project);
    expect(await typecheckScenario(path.join(project, "scenario.ts"))).toEqual({ checked: true, errors: [] });
    const r = await vitest;
    expect(r.code, r.output).toBe(0);
    expect(r.output).toMatch(/Tests\s+2 passed/);
  });

  test("the CLI: init prints the next steps; again into the same folder, exit 2", async () => {
    const dir = path.join(tmp, "from-cli");
    const first = await cli(["init", dir]);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toContain(`wrote ${TEMPLATE_FILES.length} files into`);
    expect(first.stdout).toContain("&& npm install && npm test");
    const again = await cli(["init", dir]);
    expect(again.code).toBe(2);
    expect(again.stderr).toBe(
      `selfimprove: init: ${dir} is not empty; init writes a new project into an empty or new folder\n`,
    );
  });
});
