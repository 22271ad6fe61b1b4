// Which file a scenario argument loads. A shipped name always means the shipped scenario, even
// when the current directory holds a file of that name (which would otherwise run whatever code
// it contains); a local file is loaded only when named as a path. Each local file here writes a
// marker when imported, so the tests see exactly which code ran.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, test } from "vitest";
import { loadScenario, resolveScenarioPath, SCENARIOS_DIR } from "../src/run/load.js";
import { ScenarioError } from "../src/run/scenario.js";

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "selfimprove-scenario-loading-"));
const marker = path.join(tmp, "imported.txt");
const startCwd = process.cwd();

/** A module that records its import, then exports something that is not a scenario. */
const markerModule = (tag: string): string =>
  `import fs from "node:fs";\nfs.appendFileSync(${JSON.stringify(marker)}, ${JSON.stringify(`${tag}\n`)});\nexport default {};\n`;

beforeAll(() => {
  for (const name of ["r3-countdown", "r3-countdown.ts", "grpo-countdown.js", "mine.ts"])
    fs.writeFileSync(path.join(tmp, name), markerModule(name));
  process.chdir(tmp);
});
afterEach(() => fs.rmSync(marker, { force: true }));
afterAll(() => {
  process.chdir(startCwd);
  fs.rmSync(tmp, { recursive: true, force: true });
});

const imported = (): string[] => (fs.existsSync(marker) ? fs.readFileSync(marker, "utf8").trim().split("\n") : []);

describe("a shipped name is never shadowed by a file in the current directory", () => {
  test("resolves to scenarios/NAME.ts although ./NAME and ./NAME.ts exist", () => {
    expect(fs.existsSync("r3-countdown")).toBe(true);
    expect(resolveScenarioPath("r3-countdown")).toBe(path.join(SCENARIOS_DIR, "r3-countdown.ts"));
    expect(resolveScenarioPath("grpo-countdown")).toBe(path.join(SCENARIOS_DIR, "grpo-countdown.ts"));
  });

  test("loading it runs the shipped file and none of the local ones", async () => {
    const { scenario, file } = await loadScenario("r3-countdown");
    expect(scenario.name).toBe("r3-countdown");
    expect(file).toBe(path.join(SCENARIOS_DIR, "r3-countdown.ts"));
    expect(imported()).toEqual([]);
  });
});

describe("a local file is loaded only when named as a path", () => {
  test("./NAME.ts loads the local file", async () => {
    await expect(loadScenario("./r3-countdown.ts")).rejects.toThrow(ScenarioError);
    expect(imported()).toEqual(["r3-countdown.ts"]);
  });

  test("an absolute path loads the file", async () => {
    await expect(loadScenario(path.join(tmp, "mine.ts"))).rejects.toThrow(/invalid scenario/);
    expect(imported()).toEqual(["mine.ts"]);
  });

  test("a bare name that is not shipped is an error that shows the path to type, and imports nothing", async () => {
    const err = await loadScenario("mine.ts").then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ScenarioError);
    expect((err as Error).message).toMatch(
      /^no scenario "mine\.ts": not one of the shipped scenarios \(.*r3-countdown.*\) \(to load the file "mine\.ts" here, name it by path: \.\/mine\.ts\)/,
    );
    await expect(loadScenario("grpo-countdown.js")).rejects.toThrow(/name it by path: \.\/grpo-countdown\.js/);
    expect(imported()).toEqual([]);
  });

  test("a path to nothing names the resolved path", () => {
    expect(() => resolveScenarioPath("./nope.ts")).toThrow(`no scenario file at ${path.join(tmp, "nope.ts")}`);
    fs.mkdirSync(path.join(tmp, "dir"), { recursive: true });
    expect(() => resolveScenarioPath("./dir")).toThrow(/\(it is not a file\)/);
  });
});
