// The study's report: a Markdown page with tables (mean ± std over seeds, every seed counted),
// the comparison with the papers' headlines stated plainly, and SVG figures beside it.
import path from "node:path";
import { writeFileAtomic } from "../util/atomic.js";
import type { Stat } from "../study/over-seeds.js";
import { evalMetric, percent as pct } from "../tasks/eval-metrics.js";
import { METHODS, type Method } from "./plan.js";
import { curveSpec, deltaSpec, renderSvg, type DeltaRow } from "./plots.js";
import type { Change, StudyResults } from "./summarise.js";

export interface ReportContext {
  quick: boolean;
  seeds: readonly number[];
  methods: readonly Method[];
  /** The command that reproduces the report. */
  command: string;
  machine: string;
  /** How many runs went at once. */
  jobs: number;
  scaleNote: string;
  date: Date;
}

/** Balanced judging accuracy below this is too close to chance (50%) to carry a reward signal. */
const BLIND_JUDGE = 0.55;

const pts = (x: number): string => `${x >= 0 ? "+" : ""}${(100 * x).toFixed(1)}`;
const pm = (s: Stat, f: (x: number) => string): string => `${f(s.mean)} ± ${(100 * s.std).toFixed(1)}`;

function changeCells(c: Change | null): string[] {
  if (!c) return ["–", "–", "–", "–"];
  return [
    pm(c.before, pct),
    pm(c.after, pct),
    `${pm(c.delta, pts)} pts (${pts(c.delta.min)} … ${pts(c.delta.max)})`,
    c.relative ? `${pts(c.relative.mean)}% ± ${(100 * c.relative.std).toFixed(1)}` : "n/a (before = 0)",
  ];
}

function table(header: string[], rows: string[][]): string {
  return [
    `| ${header.join(" | ")} |`,
    `| ${header.map(() => "---").join(" | ")} |`,
    ...rows.map((r) => `| ${r.join(" | ")} |`),
  ].join("\n");
}

function verdict(paper: number, ours: Change | null): string {
  if (!ours?.relative) return "not measurable";
  const r = ours.relative;
  if (r.mean >= paper && r.min >= paper) return "met on every seed";
  if (r.mean >= paper) return `met on average (${pts(r.min)}% on the worst seed)`;
  if (r.mean > 0) return "short of it (positive but smaller)";
  return "not met (no gain)";
}

export async function writeReport(dir: string, res: StudyResults, ctx: ReportContext): Promise<string> {
  const file = path.join(dir, "README.md");
  const methods = ctx.methods;
  const deltas = (field: "firstTry" | "secondTry", only?: Method[]): DeltaRow[] =>
    res.seeds.flatMap((s) => {
      const [b, a] = s[field];
      return b !== null && a !== null && (!only || only.includes(s.method))
        ? [{ task: s.task, method: s.method, seed: s.seed, delta: 100 * (a - b) }]
        : [];
    });
  const figures: Array<[string, string, Promise<string>]> = [
    [
      "first-try.svg",
      "Held-out first-try accuracy, after − before (points; bars: mean, whiskers: ±1 std, dots: seeds)",
      renderSvg(deltaSpec(deltas("firstTry"), "First try: after − before (points)", methods)),
    ],
    [
      "second-try-r3.svg",
      "R3's held-out second-try accuracy (after a reflection), after − before",
      renderSvg(deltaSpec(deltas("secondTry", ["r3"]), "R3 second try: after − before (points)", ["r3"])),
    ],
    [
      "reward-curves.svg",
      "Training reward per step (mean over seeds, band ±1 std). R3: retry success after the reflection; RLC: the frozen judge's P(yes); GRPO: verifier reward. The oracle's reward is 1 by construction and is left out.",
      renderSvg(
        curveSpec(
          res.curves,
          "reward",
          "Training reward",
          methods.filter((m) => m !== "oracle"),
        ),
      ),
    ],
    [
      "first-try-curves.svg",
      "First-try accuracy on each step's own problems (R3's are drawn from its failure set, so they start near zero).",
      renderSvg(
        curveSpec(
          res.curves,
          "firstTry",
          "First-try accuracy on the step's problems",
          methods.filter((m) => m !== "oracle"),
        ),
      ),
    ],
  ];
  for (const [name, , svg] of figures) writeFileAtomic(path.join(dir, name), await svg);

  const runSeconds = res.seeds.reduce((a, r) => a + r.seconds, 0);
  const lines: string[] = [];
  lines.push(`# Experiments${ctx.quick ? " (quick)" : ""}`, "");
  lines.push(
    `Written by \`${ctx.command}\` on ${ctx.date.toISOString().slice(0, 10)}; ${ctx.machine}; ${res.seeds.length} runs taking ${(runSeconds / 60).toFixed(1)} minutes in all (each run's own wall time, summed; they ran ${ctx.jobs} at a time). Seeds ${ctx.seeds.join(", ")}; ${ctx.scaleNote}`,
    "",
  );
  if (ctx.quick)
    lines.push(
      "> **Quick mode** is a smoke-scale pass over the whole matrix: a few steps on a few problems, small evaluations. Its numbers are noise and say nothing about the methods; they show that every arm runs on every task and that the report is produced end to end.",
      "",
    );
  if (res.failed.length > 0)
    lines.push("**Runs that did not finish** (left out of every table):", "", ...res.failed.map((f) => `- ${f}`), "");

  lines.push("## The papers' headlines against ours", "");
  lines.push(
    table(
      ["claim", "paper", "ours: before", "ours: after", "ours: change", "ours: relative", "verdict"],
      res.headlines.map((h) => [h.claim, h.paper.text, ...changeCells(h.ours), verdict(h.paper.relative, h.ours)]),
    ),
    "",
    "The papers' numbers are for 1.5B-70B models (R3) and FLAN-T5 (RLC) on real data; ours are for 0.3-0.8M-parameter models on the procedural tasks in `src/tasks`. The metric compared is the one each paper reports: R3's gain after reflection (second try), RLC's first-try accuracy.",
    "",
  );

  lines.push("## Judging versus answering (each base model, before training)", "");
  lines.push(
    table(
      ["task", "answering (first try)", "judging (balanced)", "gap", "evaluations"],
      res.gaps.map((g) => [
        g.task,
        pm(g.answering, pct),
        pm(g.judging, pct),
        `${pm(g.gap, pts)} pts`,
        String(g.evaluations),
      ]),
    ),
    "",
    "RLC's premise is that judging is easier than answering (FLAN-T5: 27 vs 42, 39 vs 54, 60 vs 66 for Large, XL, XXL). Judging is scored on a balanced set of the generator's right answers and the task's typical mistakes, so 50% is chance.",
    "",
  );
  // A gap over a judge at chance is not RLC's premise: say so where the reader compares gains.
  const blind = res.gaps.filter((g) => g.judging.mean < BLIND_JUDGE);
  if (blind.length > 0) {
    lines.push(
      `**No judging signal on ${blind.map((g) => `${g.task} (${pct(g.judging.mean)})`).join(", ")}:** the base model judges right and wrong answers alike, so its P(yes) cannot tell RLC which answers are right, and RLC's before → after there is not evidence of learning from self-evaluation. Compare it with the arms' spread and with the label-using references.`,
      "",
    );
  }

  lines.push("## Every arm: held-out accuracy before → after", "");
  for (const [field, note] of [
    ["firstTry", ""],
    ["secondTry", " (after a failed first try: reflect, then retry)"],
  ] as const) {
    const label = evalMetric(field === "firstTry" ? "first_try" : "second_try").label;
    lines.push(`### ${label.charAt(0).toUpperCase()}${label.slice(1)}${note}`, "");
    lines.push(
      table(
        ["task", "method", "before", "after", "change (min … max)", "relative", "seeds", "s/run"],
        res.arms.map((a) => {
          const c = a[field];
          return [a.task, METHODS[a.method].label, ...changeCells(c), String(c?.seeds ?? 0), a.seconds.toFixed(0)];
        }),
      ),
      "",
    );
  }
  lines.push("## Figures", "");
  for (const [name, caption] of figures) lines.push(`![${caption}](${name})`, "", `*${caption}*`, "");
  lines.push(
    "## What each arm is",
    "",
    "- **R3**: `scenarios/r3-countdown.ts` on each task: failure set by rejection sampling, G reflections per failure, the retry's success rewards only the reflection tokens (GRPO, KL 0.001).",
    "- **RLC**: `scenarios/rlc-countdown.ts`: G answers per problem, the frozen base model judges each with the correctness prompt, reward = P(yes); on translation it scores each with the quality prompt instead (reward = score / 10), as the paper does for open-ended tasks. No labels anywhere.",
    "- **GRPO**: `scenarios/grpo-countdown.ts`: the verifier's binary reward (uses labels).",
    "- **Oracle labels**: `scenarios/oracle-countdown.ts`: the Student is shown each problem's label and the Learner imitates it (SFT); the same problem budget as GRPO.",
    "",
    "Raw numbers: `results.json` beside this file; every run directory (metrics, completions, evaluations) is under the runs directory given on the command line.",
    "",
  );
  writeFileAtomic(file, lines.join("\n"));
  writeFileAtomic(
    path.join(dir, "results.json"),
    JSON.stringify({ context: { ...ctx, date: ctx.date.toISOString() }, ...res, curves: undefined }, null, 1),
  );
  return file;
}
