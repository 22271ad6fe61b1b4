// End to end, in headless Chromium (Debian's `chromium`, driven by playwright-core): a short real
// run of r3-countdown with the shipped model and `--inspect`; the page must show states changing,
// edge counts growing and a chart gaining points; Pause must hold the run at a step boundary,
// Step must run exactly one more step and pause again, Resume must let it go. A screenshot is
// saved in the test's temp dir (and copied to docs/inspector.png with UPDATE_DOCS=1).
// Without /usr/bin/chromium (outside CI) the test says loudly that it was skipped.
import { spawn, type ChildProcessByStdio } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import type { Readable } from "node:stream";
import { afterAll, describe, expect, test } from "vitest";
import { chromium, type BrowserContext, type Page } from "playwright-core";
import { PROJECT_ROOT } from "../src/paths.js";

const CHROMIUM = "/usr/bin/chromium";
const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];
const HAVE_CHROMIUM = fs.existsSync(CHROMIUM);
const STAGES = ["student", "verifier", "reflector", "learner"];
if (!HAVE_CHROMIUM) {
  console.warn(
    `\n${"!".repeat(100)}\n!! SKIPPED test/inspect.e2e.test.ts: no Chromium at ${CHROMIUM}. The inspector's browser test did NOT run.\n` +
      `!! Install Debian's chromium (apt-get install -y --no-install-recommends chromium; .ci/run does) to run it.\n${"!".repeat(100)}\n`,
  );
}

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "selfimprove-e2e-"));
let child: ChildProcessByStdio<null, Readable, Readable> | undefined;
let context: BrowserContext | undefined;
afterAll(async () => {
  await context?.close();
  if (child && child.exitCode === null) {
    child.kill("SIGKILL");
    await new Promise((r) => child?.on("close", r));
  }
  fs.rmSync(tmp, { recursive: true, force: true });
});

/** Starts `selfimprove run ... --inspect --port 0` and resolves with the URL it prints (token included). */
function startRun(): Promise<string> {
  const args = [
    "run",
    "r3-countdown",
    "--steps",
    "12",
    "--no-eval",
    "--inspect",
    "--port",
    "0",
    "--backend",
    "wasm",
    "--out",
    path.join(tmp, "run"),
  ];
  const proc = spawn(process.execPath, [path.join(PROJECT_ROOT, "bin", "selfimprove.js"), ...args], {
    cwd: PROJECT_ROOT,
    stdio: ["ignore", "pipe", "pipe"],
  });
  child = proc;
  return new Promise((resolve, reject) => {
    let stderr = "";
    const timer = setTimeout(() => reject(new Error(`no inspector URL after 30 s; stderr:\n${stderr}`)), 30_000);
    proc.stderr.on("data", (c: Buffer) => {
      stderr += c.toString();
      // The printed URL carries the run's token: without it the page could watch but not pause.
      const m = /inspector: (http:\/\/127\.0\.0\.1:\d+\/\?token=[\w-]+)/.exec(stderr);
      if (m) {
        clearTimeout(timer);
        resolve(m[1] as string);
      }
    });
    proc.on("close", (code) =>
      reject(new Error(`the run exited (${code}) before the inspector came up; stderr:\n${stderr}`)),
    );
  });
}

interface Seen {
  status: string;
  step: number;
  paused: boolean;
  actors: Record<string, string>;
  /** States entered so far, per actor. */
  visits: Record<string, number>;
  lit: number;
  /** States drawn as passed through since the last update. */
  recent: number;
  edge0: number;
  edgeLast: number;
  labelLast: string;
  rewardPoints: number;
}

/** What the page shows now, read through locators (attributes the page keeps for this). */
async function look(page: Page): Promise<Seen> {
  const attr = async (selector: string, name: string): Promise<string> =>
    (await page.locator(selector).first().getAttribute(name)) ?? "";
  const actors: Record<string, string> = {};
  const visits: Record<string, number> = {};
  for (const a of await page.locator("[data-actor]").all()) {
    const name = (await a.getAttribute("data-actor")) ?? "?";
    actors[name] = (await a.getAttribute("data-state")) ?? "";
    visits[name] = Number(await a.getAttribute("data-visits"));
  }
  const edges = await page.locator("#edges tbody tr").count();
  return {
    status: await attr("#status", "data-value"),
    step: Number(await attr("#status", "data-step")),
    paused: (await attr("#status", "class")).split(" ").includes("paused"),
    actors,
    visits,
    lit: await page.locator(".state.active").count(),
    recent: await page.locator(".state.recent").count(),
    edge0: Number(await attr('#edges tbody tr[data-edge="0"]', "data-count")),
    edgeLast: Number(await attr(`#edges tbody tr[data-edge="${edges - 1}"]`, "data-count")),
    labelLast:
      (await page
        .locator(`[id="edge:${edges - 1}"] text`)
        .last()
        .textContent()) ?? "",
    rewardPoints: Number(await attr('figure[data-chart="reward"]', "data-points")),
  };
}

async function waitFor(page: Page, cond: (s: Seen) => boolean, what: string, ms: number): Promise<Seen> {
  const t0 = Date.now();
  let s = await look(page);
  while (!cond(s)) {
    if (Date.now() - t0 > ms)
      throw new Error(`timed out after ${ms} ms waiting for ${what}; last seen ${JSON.stringify(s)}`);
    await page.waitForTimeout(50);
    s = await look(page);
  }
  return s;
}

describe.skipIf(!HAVE_CHROMIUM)("the live inspector in headless Chromium", () => {
  test("shows a real run live, and pauses and single-steps it from the page", { timeout: 90_000 }, async () => {
    const url = await startRun();
    context = await chromium.launchPersistentContext(path.join(tmp, "chromium-profile"), {
      executablePath: CHROMIUM,
      headless: true,
      args: CHROMIUM_ARGS,
      viewport: { width: 1280, height: 1000 },
    });
    const page = context.pages()[0] ?? (await context.newPage());
    const problems: string[] = [];
    page.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
    page.on("console", (m) => {
      if (m.type() === "error") problems.push(`console error: ${m.text()}`);
    });
    await page.goto(url);
    await page.waitForSelector('body[data-connected="true"]', { timeout: 10_000 });
    await page.waitForSelector("#actor-student svg", { timeout: 10_000 });

    // Live: states change, edge counts grow, charts gain points.
    const first = await waitFor(page, (s) => s.rewardPoints >= 1 && s.edge0 > 0, "a first step on the page", 30_000);
    // The run's own state changes at each step's phases; the stages are mostly caught between
    // their (synchronous) work, so their entry counts show they moved.
    const statuses = new Set<string>([first.status]);
    const runStates = new Set<string>([first.actors.run ?? ""]);
    let recentSeen = first.recent;
    const later = await waitFor(
      page,
      (s) => {
        statuses.add(s.status);
        runStates.add(s.actors.run ?? "");
        recentSeen = Math.max(recentSeen, s.recent);
        const moved = STAGES.every((a) => (s.visits[a] ?? 0) > (first.visits[a] ?? 0));
        return (
          s.rewardPoints >= first.rewardPoints + 1 &&
          statuses.size >= 2 &&
          runStates.size >= 2 &&
          recentSeen > 0 &&
          moved
        );
      },
      "the run's state to change, every actor to move, and one more step",
      30_000,
    );
    expect([...statuses].some((v) => v.startsWith("running."))).toBe(true);
    expect(later.edge0).toBeGreaterThan(first.edge0);
    expect(later.edgeLast).toBeGreaterThan(0);
    expect(later.labelLast).toMatch(/^\d+ msgs · \d+\.\d\/s$/);
    expect(later.lit, "every actor has its current state lit").toBeGreaterThanOrEqual(Object.keys(later.actors).length);
    expect(Object.keys(later.actors)).toEqual(["run", "student", "verifier", "reflector", "learner"]);
    // Lit means drawn lit: the page's style reaches Graphviz's shapes.
    expect(
      await page.evaluate(
        "getComputedStyle(document.querySelector('#actor-student .node.state.active path, #actor-student .node.state.active polygon')).fill",
      ),
    ).toBe("rgb(255, 215, 94)");
    expect(await page.locator("#completions tbody tr").count()).toBeGreaterThan(0);
    expect(await page.locator("#events tbody tr").count()).toBeGreaterThan(0);

    // The log filter narrows the rows to what matches.
    await page.fill("#event-filter", "learner");
    const filtered = await page.locator("#events tbody tr td:nth-child(4)").allTextContents();
    expect(filtered.length).toBeGreaterThan(0);
    expect(filtered.every((a) => a.includes("learner"))).toBe(true);
    await page.fill("#event-filter", "");

    // Pause: the step in flight finishes, then nothing moves.
    await page.click("#pause");
    const paused = await waitFor(page, (s) => s.paused && s.status === "paused", "the run to pause", 15_000);
    expect(await page.locator("#step").isEnabled()).toBe(true);
    await page.waitForTimeout(1500);
    const held = await look(page);
    expect(held.step).toBe(paused.step);
    expect(held.rewardPoints).toBe(paused.rewardPoints);
    expect(held.edge0).toBe(paused.edge0);

    // Step: exactly one more step, then paused again.
    await page.click("#step");
    const stepped = await waitFor(
      page,
      (s) => s.step === held.step + 1 && s.paused && s.rewardPoints === held.rewardPoints + 1,
      "one step, then paused again",
      15_000,
    );
    expect(stepped.edge0).toBeGreaterThan(held.edge0);
    await page.waitForTimeout(1000);
    expect((await look(page)).step).toBe(held.step + 1);

    const shot = path.join(tmp, "inspector.png");
    await page.evaluate("window.scrollTo(0, 0)");
    await page.waitForTimeout(300); // one more tick: the status line and lit states are current
    await page.screenshot({ path: shot });
    // The README's picture is refreshed on request only, so a test run leaves the tree clean.
    if (process.env.UPDATE_DOCS === "1") {
      fs.mkdirSync(path.join(PROJECT_ROOT, "docs"), { recursive: true });
      fs.copyFileSync(shot, path.join(PROJECT_ROOT, "docs", "inspector.png"));
    }
    expect(fs.statSync(shot).size).toBeGreaterThan(10_000);

    // Resume: it runs on.
    await page.click("#resume");
    await waitFor(page, (s) => !s.paused && s.status.startsWith("running"), "the run to go on", 15_000);
    expect(problems).toEqual([]);
  });
});
