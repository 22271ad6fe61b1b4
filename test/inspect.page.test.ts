// The inspector page as a newcomer meets it (issue 13), in headless Chromium against a real
// ScenarioRun with a stand-in policy whose Learner updates wait for the test, so every moment
// (a step in flight, paused, finished) is reached by operation, not by timing: chart legends
// show values without hovering; the accuracy axis fits the data; the Learner's statechart is
// drawn large enough to read; completions show text, not role tokens (raw on request); the
// "pausing…" hint clears once paused; a page without the token is read-only; and when the run
// ends the page says so and that the inspector closed.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, test } from "vitest";
import { chromium, type Browser, type Page } from "playwright-core";
import { loadScenario } from "../src/run/load.js";
import { ScenarioRun } from "../src/run/runner.js";
import { InspectorHub } from "../src/inspect/hub.js";
import { startInspectorServer } from "../src/inspect/server.js";
import type { ExperienceMessage } from "../src/messages.js";
import { RecordingUpdate, StandInPolicy, fixedProblems } from "./helpers/standin.js";
import { until } from "./helpers/ws-raw.js";

const CHROMIUM = "/usr/bin/chromium";
const HAVE_CHROMIUM = fs.existsSync(CHROMIUM);
if (!HAVE_CHROMIUM)
  console.warn(
    `\n!! SKIPPED test/inspect.page.test.ts: no Chromium at ${CHROMIUM}; the inspector page's checks did NOT run.\n`,
  );

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "selfimprove-page-"));
let browser: Browser | undefined;
afterAll(async () => {
  await browser?.close();
  fs.rmSync(tmp, { recursive: true, force: true });
});

const PROBLEMS = fixedProblems(16);
const EASY = new Set(PROBLEMS.filter((_, i) => i % 2 === 0).map((p) => p.id));

/** Learner updates that wait for a permit: the test decides when each step may end. */
class GatedUpdate {
  private readonly inner = new RecordingUpdate();
  private permits = 0;
  private waiting: Array<() => void> = [];
  started = 0;
  readonly fn = async (batch: ExperienceMessage[]): ReturnType<RecordingUpdate["fn"]> => {
    this.started += 1;
    if (this.permits > 0) this.permits -= 1;
    else await new Promise<void>((r) => this.waiting.push(r));
    return this.inner.fn(batch);
  };
  grant(n = 1): void {
    for (let i = 0; i < n; i++) {
      const next = this.waiting.shift();
      if (next) next();
      else this.permits += 1;
    }
  }
}

const text = async (page: Page, selector: string): Promise<string> =>
  (await page.locator(selector).first().textContent()) ?? "";

describe.skipIf(!HAVE_CHROMIUM)("the inspector page", () => {
  test("is readable at a glance and says what is going on", { timeout: 180_000 }, async () => {
    const { scenario: base } = await loadScenario("r3-countdown");
    const scenario = { ...base, settings: { ...base.settings, tasksPerStep: 4, groupSize: 2 } };
    const steps = 3;
    const hub = await InspectorHub.create(scenario, steps);
    const server = await startInspectorServer(hub, { host: "127.0.0.1", port: 0, tickMs: 200 });
    const update = new GatedUpdate();
    const run = await ScenarioRun.create(scenario, {
      out: path.join(tmp, "run"),
      steps,
      skipEval: true,
      inspect: hub.inspect,
      onStep: hub.step,
      onCompletions: hub.completionsOf,
      onPhase: hub.phaseOf,
      overrides: {
        policy: new StandInPolicy(PROBLEMS, EASY),
        update: update.fn,
        problems: (step, n) =>
          Array.from({ length: n }, (_, i) => PROBLEMS[(step * n + i) % PROBLEMS.length] as (typeof PROBLEMS)[number]),
      },
    });
    hub.attach(run);
    // As `selfimprove run --inspect` does without --keep-open: finish, then close with the run.
    const done = run.run().then(async () => {
      hub.finish();
      await server.close("run finished; the inspector closed with it");
    });

    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: ["--no-sandbox", "--disable-gpu", "--no-first-run"],
    });
    const page = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
    const problems: string[] = [];
    page.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
    await page.goto(server.url);
    await page.waitForSelector('body[data-connected="true"][data-control="true"]', { timeout: 30_000 });
    await page.waitForSelector("#actor-learner svg", { timeout: 30_000 });

    // The Learner's statechart is drawn at a size whose labels can be read (Graphviz's 9-pt edge
    // labels squeezed into one column came out about 4 px tall).
    const heights = await page.$$eval("#actor-learner svg text", (ts) =>
      ts.map((t) => t.getBoundingClientRect().height),
    );
    expect(heights.length).toBeGreaterThan(10);
    expect(Math.min(...heights)).toBeGreaterThanOrEqual(9);
    const learnerBox = await page.locator("#actor-learner").boundingBox();
    const svgBox = await page.locator("#actor-learner svg").boundingBox();
    expect(svgBox && learnerBox && svgBox.width <= learnerBox.width).toBe(true);

    // Step 1 is in the Learner's update: Pause says it will pause when the step ends...
    await until(() => (update.started === 1 ? true : undefined), "step 1's update", 30_000);
    await page.click("#pause");
    await expect
      .poll(() => text(page, "#status"), { timeout: 30_000, interval: 50 })
      .toContain("pausing after this step");
    expect(await text(page, "#ack")).toBe("pausing when the current step ends");
    // ...and once paused, neither the status line nor the ack says "pausing" any more.
    update.grant();
    await page.waitForSelector("#status.paused", { timeout: 30_000 });
    expect(await text(page, "#status")).not.toContain("pausing");
    expect(await text(page, "#ack")).toBe("");

    // Legends show the latest values without hovering.
    await page.waitForSelector('figure[data-chart="reward"][data-points="1"]', { timeout: 30_000 });
    const legend = await page.$$eval("figure[data-chart] .u-legend .u-value", (vs) =>
      vs.map((v) => v.textContent ?? ""),
    );
    expect(legend.length).toBeGreaterThan(6);
    expect(legend.filter((v) => v === "--")).toEqual([]);
    const metrics = hub.hello().metrics;
    expect(await page.locator('figure[data-chart="reward"] .u-legend .u-value').nth(1).textContent()).toBe(
      String(Number((metrics[0]?.reward_mean as number).toPrecision(3))),
    );

    // The accuracy axis fits the data instead of spanning 0..1.
    const accuracies = metrics
      .flatMap((m) => ["first_try_accuracy", "second_try_accuracy", "retry_accuracy", "judge_p_yes"].map((k) => m[k]))
      .filter((v): v is number => typeof v === "number");
    const lo = Math.min(...accuracies);
    const hi = Math.max(...accuracies);
    expect(hi - lo, "the stand-in's accuracies must not span 0..1 for this check to mean anything").toBeLessThan(0.8);
    const yMin = Number(await page.locator('figure[data-chart="accuracy"]').getAttribute("data-y-min"));
    const yMax = Number(await page.locator('figure[data-chart="accuracy"]').getAttribute("data-y-max"));
    expect(yMin).toBeLessThanOrEqual(lo);
    expect(yMax).toBeGreaterThanOrEqual(hi);
    expect(yMax - yMin).toBeLessThan(hi - lo + 0.2);

    // Completions read as text; the role tokens are there on request.
    await page.waitForSelector("#completions tbody tr td.mono", { timeout: 30_000 });
    const cells = await page.$$eval("#completions tbody td.mono", (tds) => tds.map((t) => t.textContent ?? ""));
    expect(hub.hello().completions.some((c) => c.prompt.includes("<|bos|>"))).toBe(true);
    expect(cells.filter((c) => c.includes("<|"))).toEqual([]);
    expect(await page.locator("#completions tbody .tok").count()).toBeGreaterThan(0);
    await page.check("#raw-tokens");
    const raw = await page.$$eval("#completions tbody td.mono", (tds) => tds.map((t) => t.textContent ?? ""));
    expect(raw.some((c) => c.startsWith("<|bos|>"))).toBe(true);

    // A page opened without the token watches but cannot control.
    const watcher = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    await watcher.goto(server.url.replace(/\?token=.*/, ""));
    await watcher.waitForSelector('body[data-connected="true"][data-control="false"]', { timeout: 30_000 });
    await watcher.waitForSelector("#status.paused", { timeout: 30_000 });
    expect(await watcher.locator("#readonly").isVisible()).toBe(true);
    expect(await text(watcher, "#readonly")).toMatch(/^read-only: this page was opened without the run's token/);
    for (const id of ["#pause", "#step", "#resume"]) expect(await watcher.locator(id).isDisabled(), id).toBe(true);
    expect(await page.locator("#step").isEnabled()).toBe(true);

    // Step runs one step and pauses again; Resume lets the run finish.
    await page.click("#step");
    update.grant();
    await page.waitForSelector('#status.paused[data-step="2"]', { timeout: 30_000 });
    await page.click("#resume");
    update.grant();
    await done;
    // The page says the run finished and that the inspector closed, and stops reconnecting.
    await page.waitForSelector("#ended:not([hidden])", { timeout: 30_000 });
    expect(await text(page, "#ended")).toBe("The run has finished: 3 of 3 steps done.");
    await page.waitForSelector("#conn.closed", { timeout: 30_000 });
    expect(await text(page, "#conn")).toBe("closed: run finished; the inspector closed with it");
    expect(await watcher.locator("#ended").isVisible()).toBe(true);
    await page.screenshot({ path: path.join(tmp, "page.png"), fullPage: true });
    if (process.env.KEEP_SHOT) fs.copyFileSync(path.join(tmp, "page.png"), process.env.KEEP_SHOT);
    expect(problems).toEqual([]);
  });
});
