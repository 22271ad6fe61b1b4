// `selfimprove report RUN_DIR`: from a real (tiny-model) run directory, one self-contained HTML
// file with the summary tables, the before/after evaluation, charts, the topology and sample
// completions, with nothing fetched from anywhere and everything from the run escaped; every
// missing or corrupt file is an error that names it. In Chromium (when present), the file opens
// from disk and its charts have the run's points.
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { chromium } from "playwright-core";
import { initBackend } from "../src/engine/backend.js";
import { ScenarioRun } from "../src/run/runner.js";
import { buildReport } from "../src/report/build.js";
import { ReportError, loadRunDir } from "../src/report/load.js";
import { renderReport } from "../src/report/html.js";
import { sampleCompletions } from "../src/report/stats.js";
import { PROJECT_ROOT } from "../src/paths.js";
import { saveTinyModel, tinyScenario } from "./helpers/tiny-run.js";

const CHROMIUM = "/usr/bin/chromium";
const HAVE_CHROMIUM = fs.existsSync(CHROMIUM);
if (!HAVE_CHROMIUM)
  console.warn(
    `\n!!!! SKIPPED in test/report.build.test.ts: opening the report in Chromium (no ${CHROMIUM}; .ci/run installs it) !!!!\n`,
  );

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "selfimprove-report-"));
const runDir = path.join(tmp, "run");
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

beforeAll(async () => {
  await initBackend("wasm");
  const model = await saveTinyModel(path.join(tmp, "model"), 5);
  const scenario = await tinyScenario("r3-countdown", model);
  const run = await ScenarioRun.create(scenario, { out: runDir, steps: 2, evalN: 8 });
  await run.run();
}, 60_000);

/** A copy of the run directory to break. */
function copyRun(name: string): string {
  const dir = path.join(tmp, name);
  fs.cpSync(runDir, dir, { recursive: true });
  return dir;
}

describe("a finished run's report", () => {
  test("is one HTML file with the tables, evaluation, charts, topology and sample completions", async () => {
    const r = await buildReport(runDir);
    expect(r.file).toBe(path.join(runDir, "report.html"));
    const html = fs.readFileSync(r.file, "utf8");
    expect(html.startsWith("<!doctype html>")).toBe(true);
    expect(html).toContain('selfimprove report: <span class="scenario">r3-countdown</span>');
    for (const id of ["run", "evaluation", "charts", "metric-summary", "topology", "samples", "steps"])
      expect(html).toContain(`id="${id}"`);
    expect(html).toContain('<th class="num">before</th><th class="num">after</th>');
    expect(html).toContain("first-try accuracy");
    expect(html).toContain("<dt>steps logged</dt><dd>2 of 2</dd>");
    expect(html).toMatch(/<dt>failure set<\/dt><dd>\d+ problems/);
    // The topology, drawn from what the run recorded (no scenario file is loaded), names every actor.
    const recorded = JSON.parse(fs.readFileSync(path.join(runDir, "topology.json"), "utf8")) as {
      scenario: string;
      nodes: Array<{ id: string }>;
      edges: unknown[];
    };
    expect(recorded.scenario).toBe("r3-countdown");
    expect(recorded.nodes.map((n) => n.id)).toEqual(["tasks", "student", "verifier", "reflector", "learner"]);
    expect(recorded.edges).toHaveLength(5);
    for (const actor of ["tasks", "student", "verifier", "reflector", "learner"])
      expect(html).toContain(`>${actor}</text>`);
    // Samples: prompts are escaped (they contain <|bos|>).
    expect(html).toContain("&lt;|bos|&gt;");
    expect(html).not.toContain("<|bos|>");
    // Self-contained: no external scripts, styles or images.
    expect(html).not.toMatch(/<(script|link|img|iframe)[^>]+(src|href)=/i);
    expect(html).toContain("uPlot");
    const data = JSON.parse(
      /<script type="application\/json" id="metrics-data">([^<]*)<\/script>/.exec(html)?.[1] ?? "null",
    ) as Array<{ step: number }>;
    expect(data.map((d) => d.step)).toEqual([0, 1]);
  });

  test("model text cannot break out of the page", () => {
    const data = loadRunDir(runDir);
    const evil = "</script><script>alert(1)</script><img src=x onerror=alert(2)>";
    data.completions = data.completions.map((c, i) =>
      i === data.completions.length - 1 ? { ...c, attempt: evil, correct: false, retry: undefined } : c,
    );
    data.metrics = data.metrics.map((m) => ({ ...m, skip_reason: evil, updated: false }));
    const html = renderReport(data, { topologyNote: evil });
    expect(html).not.toContain("<script>alert");
    expect(html).not.toContain("<img src=x");
    expect(html).toContain("&lt;/script&gt;&lt;script&gt;alert(1)");
  });

  test("samples favour different tasks over G look-alike reflections on one", () => {
    const row = (taskId: string, step: number) => ({
      step,
      taskId,
      prompt: taskId,
      attempt: "a",
      reflection: "r",
      retry: "x",
      correct: false,
      reward: 0,
      weightVersion: 0,
    });
    const rows = [row("t1", 0), row("t2", 1), row("t2", 1), row("t2", 1), row("t3", 1)];
    const [group] = sampleCompletions(rows, 3);
    expect(group?.title).toBe("Still wrong after reflection");
    expect(group?.rows.map((r) => r.taskId)).toEqual(["t3", "t2", "t1"]);
  });

  test(
    "opens from disk in Chromium, no server, and its charts hold the run's points",
    { skip: !HAVE_CHROMIUM, timeout: 30_000 },
    async () => {
      const file = (await buildReport(runDir, path.join(tmp, "open-me.html"))).file;
      const browser = await chromium.launch({
        executablePath: CHROMIUM,
        headless: true,
        args: [
          "--no-sandbox",
          "--disable-gpu",
          "--disable-quic",
          "--no-first-run",
          "--disable-background-networking",
          "--disable-component-update",
          "--disable-sync",
        ],
      });
      try {
        const page = await browser.newPage();
        const problems: string[] = [];
        const requests: string[] = [];
        page.on("pageerror", (e) => problems.push(e.message));
        page.on("console", (m) => m.type() === "error" && problems.push(m.text()));
        page.on("request", (r) => requests.push(r.url()));
        await page.goto(`file://${file}`);
        await page.waitForSelector('figure[data-chart="reward"][data-points="2"]', { timeout: 10_000 });
        expect(await page.locator("figure.chart").count()).toBe(4);
        expect(await page.locator(".uplot canvas").count()).toBe(4);
        expect(problems).toEqual([]);
        expect(requests.filter((u) => !u.startsWith("file://") && !u.startsWith("data:"))).toEqual([]);
      } finally {
        await browser.close();
      }
    },
  );
});

describe("a bad run directory is a clear error", () => {
  const expectError = (dir: string, message: string | RegExp): void => {
    expect(() => loadRunDir(dir)).toThrow(ReportError);
    expect(() => loadRunDir(dir)).toThrow(message);
  };

  test("missing directory, a file, an empty directory", () => {
    expectError(path.join(tmp, "nope"), `no run directory at ${path.join(tmp, "nope")}`);
    fs.writeFileSync(path.join(tmp, "a-file"), "x");
    expectError(path.join(tmp, "a-file"), "is a file, not a run directory");
    fs.mkdirSync(path.join(tmp, "empty"));
    expectError(
      path.join(tmp, "empty"),
      "missing summary.json and metrics.jsonl; a run directory has summary.json (written when a run ends) and metrics.jsonl (one line per step): is this a run directory?",
    );
  });

  test("missing files", () => {
    const noSummary = copyRun("no-summary");
    fs.rmSync(path.join(noSummary, "summary.json"));
    expectError(noSummary, `${noSummary}: missing summary.json;`);
    const noMetrics = copyRun("no-metrics");
    fs.rmSync(path.join(noMetrics, "metrics.jsonl"));
    expectError(noMetrics, `${noMetrics}: missing metrics.jsonl;`);
    const empty = copyRun("empty-metrics");
    fs.writeFileSync(path.join(empty, "metrics.jsonl"), "");
    expectError(empty, "no steps logged");
  });

  test("corrupt files name the file, the record and the field", () => {
    const badJson = copyRun("bad-json");
    fs.writeFileSync(path.join(badJson, "summary.json"), '{"scenario": "r3-countdown", ');
    expectError(badJson, new RegExp(`${path.join(badJson, "summary.json")}: summary.json is not valid JSON`));

    const badSummary = copyRun("bad-summary");
    const summary = JSON.parse(fs.readFileSync(path.join(badSummary, "summary.json"), "utf8")) as Record<
      string,
      unknown
    >;
    fs.writeFileSync(path.join(badSummary, "summary.json"), JSON.stringify({ ...summary, steps: "two" }));
    expectError(badSummary, /summary.json: not a run summary \(steps: Expected number, received string\)/);

    const tornMiddle = copyRun("torn-middle");
    const lines = fs.readFileSync(path.join(tornMiddle, "metrics.jsonl"), "utf8").split("\n");
    fs.writeFileSync(
      path.join(tornMiddle, "metrics.jsonl"),
      [(lines[0] ?? "").slice(0, 20), ...lines.slice(1)].join("\n"),
    );
    expectError(tornMiddle, `${path.join(tornMiddle, "metrics.jsonl")}:1: corrupt log line`);

    const wrongField = copyRun("wrong-field");
    const m = fs.readFileSync(path.join(wrongField, "metrics.jsonl"), "utf8").trim().split("\n");
    const second = JSON.parse(m[1] ?? "{}") as Record<string, unknown>;
    fs.writeFileSync(
      path.join(wrongField, "metrics.jsonl"),
      [m[0], JSON.stringify({ ...second, reward_mean: "high" })].join("\n") + "\n",
    );
    expectError(
      wrongField,
      /metrics.jsonl: record 2 is not a valid metrics line \(reward_mean: Expected number, received string\)/,
    );

    const badCompletions = copyRun("bad-completions");
    fs.appendFileSync(path.join(badCompletions, "completions.jsonl"), '{"step": 0}\n');
    expectError(
      badCompletions,
      /completions.jsonl: record \d+ is not a valid completions line \(taskId: Required; prompt: Required; weightVersion: Required\)/,
    );

    const badFailures = copyRun("bad-failure-set");
    fs.writeFileSync(path.join(badFailures, "failure-set.json"), '{"not": "a list"}');
    expectError(badFailures, "failure-set.json: expected a JSON array of problems");
  });

  test("a torn LAST line (a run killed mid-write) is not an error: that record is skipped", () => {
    const torn = copyRun("torn-last");
    fs.appendFileSync(path.join(torn, "metrics.jsonl"), '{"step": 2, "weig');
    expect(loadRunDir(torn).metrics.length).toBe(2);
  });

  test("the command exits 2 with the message", () => {
    const r = spawnSync(
      process.execPath,
      [path.join(PROJECT_ROOT, "bin", "selfimprove.js"), "report", path.join(tmp, "empty")],
      { encoding: "utf8" },
    );
    expect(r.status).toBe(2);
    expect(r.stderr).toContain(`selfimprove: ${path.join(tmp, "empty")}: missing summary.json and metrics.jsonl`);
  });
});
