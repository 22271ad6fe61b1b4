// Human-readable rendering of a BenchReport: machine line, one table row per figure with a
// bar showing progress toward the issue's target, and a loud notice when PyTorch is missing
// (a benchmark without its reference otherwise looks like a finished one).
import type { BenchReport, BenchRow, TorchSummary } from "./engine-report.js";
import { TORCH_INSTALL_HINT, TORCH_SCRIPT_HINT } from "./torch-ref.js";

const BAR_WIDTH = 20;

function tokens(x: number | undefined): string {
  return x === undefined || !Number.isFinite(x) ? "—" : Math.round(x).toLocaleString("en-US");
}

function times(x: number): string {
  return `${x.toFixed(2)}×`;
}

/**
 * Progress toward the target: full bar = target reached, `|` marks what the issue requires,
 * a trailing `+` says the target is exceeded.
 */
export function ratioBar(ratio: number | null, target: number, required: number): string {
  if (ratio === null) return " ".repeat(BAR_WIDTH + 3);
  const fill = Math.min(ratio / target, 1) * BAR_WIDTH;
  const mark = Math.min(BAR_WIDTH - 1, Math.round((required / target) * BAR_WIDTH));
  let bar = "";
  for (let i = 0; i < BAR_WIDTH; i++) bar += i + 0.5 <= fill ? "█" : i === mark ? "|" : "·";
  return `[${bar}]${ratio > target ? "+" : " "}`;
}

function verdict(r: BenchRow): string {
  if (r.ratio === null) return "no reference";
  if (r.ratio >= r.target) return "target met";
  if (r.ratio >= r.required) return "meets issue";
  return `BELOW ${times(r.required)}`;
}

/** Half the min-max range relative to its midpoint (0 for fewer than two samples). */
function halfRange(samples: readonly number[]): number {
  if (samples.length < 2) return 0;
  const lo = Math.min(...samples);
  const hi = Math.max(...samples);
  const mid = (lo + hi) / 2;
  return mid > 0 ? (hi - lo) / 2 / mid : 0;
}

function spread(samples: readonly number[]): string {
  return samples.length < 2 ? "" : `±${Math.round(halfRange(samples) * 100)}%`;
}

function pad(s: string, n: number, right = false): string {
  // Bars use one-column box characters, so string length is display width here.
  return right ? s.padStart(n) : s.padEnd(n);
}

/** The loud lines for a missing or failing reference; empty when torch ran fine or was skipped. */
export function torchNotice(t: TorchSummary): string[] {
  if (t.status === "not-installed") {
    return [
      "!!! PyTorch reference NOT RUN: " + t.messages.join("; "),
      t.install === TORCH_INSTALL_HINT
        ? `!!! Install it (Debian/Ubuntu, as root): ${t.install}`
        : `!!! To get it: ${t.install ?? TORCH_SCRIPT_HINT}`,
      "!!! Without it there are no ratios; then rerun `npm run bench` (or pass --python PATH).",
    ];
  }
  if (t.status === "failed" || t.status === "partial") {
    return [
      `!!! PyTorch reference ${t.status === "failed" ? "FAILED" : "failed on some runs"}: ${t.messages.join("; ")}`,
      ...(t.status === "partial" ? ["!!! Ratios use only the runs that succeeded."] : []),
    ];
  }
  return [];
}

export function formatBenchReport(r: BenchReport): string {
  const m = r.machine;
  const lines: string[] = [];
  lines.push(
    `selfimprove bench: tokens/s, median of ${r.settings.repeat} run(s) per engine (higher is better; spread = half the min-max range)`,
  );
  lines.push(
    `machine  ${m.cpu} · ${m.cores} cores · ${m.memoryGiB} GiB · node ${m.node} · ${m.os} · load ${m.loadAverage} at start, ${m.loadAverageEnd} at end`,
  );
  lines.push(
    `backend  ${r.backend.description}${r.backend.threads === null ? "" : ` · ${r.backend.threads} wasm thread(s)`}`,
  );
  const t = r.torch;
  const torchLine =
    t.status === "disabled"
      ? "skipped (--no-torch)"
      : t.status === "not-installed"
        ? `not installed (${t.messages.join("; ")})`
        : `${t.engine ?? "no successful run"} · ${t.python ?? ""} ${t.script ?? ""}`;
  lines.push(`pytorch  ${torchLine}`);
  lines.push(
    `protocol train: ${r.settings.warmupSteps} warm-up + ${r.settings.steps} timed steps (forward+backward+AdamW); ` +
      "gen: 1 warm-up + 1 timed KV-cache sampling run, context tokens per sequence",
  );
  lines.push("");
  const header = [
    pad("figure", 24),
    pad("selfimprove", 12, true),
    pad("spread", 6, true),
    pad("pytorch", 10, true),
    pad("spread", 6, true),
    pad("ratio", 7, true),
    pad("best/best", 9, true),
    pad("target", 15, true),
    " " + pad("progress to target", BAR_WIDTH + 3),
    "verdict",
  ].join("  ");
  lines.push(header);
  lines.push("-".repeat(header.length + 6));
  for (const row of r.rows) {
    lines.push(
      [
        pad(row.label, 24),
        pad(tokens(row.ours.median), 12, true),
        pad(spread(row.ours.samples), 6, true),
        pad(row.torch ? tokens(row.torch.median) : "—", 10, true),
        pad(row.torch ? spread(row.torch.samples) : "", 6, true),
        pad(row.ratio === null ? "—" : times(row.ratio), 7, true),
        pad(row.ratioOfBest === null ? "—" : times(row.ratioOfBest), 9, true),
        pad(`${times(row.target)} (≥${times(row.required)})`, 15, true),
        " " + ratioBar(row.ratio, row.target, row.required),
        verdict(row),
      ].join("  "),
    );
  }
  lines.push("");
  const s = r.summary;
  if (s.meetsRequired === null) lines.push("summary  no ratios (no PyTorch figures)");
  else {
    const fmt = (x: number | null): string => (x === null ? "—" : times(x));
    lines.push(
      `summary  worst train ${fmt(s.trainMinRatio)} (issue ≥${times(r.rows.find((x) => x.kind === "train")?.required ?? 0)}), ` +
        `worst gen ${fmt(s.genMinRatio)} (issue ≥${times(r.rows.find((x) => x.kind === "gen")?.required ?? 0)}): ` +
        (s.meetsTarget
          ? "all targets met"
          : s.meetsRequired
            ? "meets the issue, targets not all met"
            : "BELOW what the issue requires"),
    );
  }
  lines.push(`         ${r.seconds} s in all`);
  if (m.loadAverage >= 0.5) {
    lines.push(
      `note     the machine was already busy (load ${m.loadAverage} on ${m.cores} cores): multi-threaded PyTorch suffers most`,
    );
  }
  // Spread is the evidence of other load during the run, which the start load cannot show.
  const worst = (side: "ours" | "torch"): number =>
    Math.max(0, ...r.rows.map((row) => halfRange(row[side]?.samples ?? [])).filter((x) => Number.isFinite(x)));
  const noisy = Math.max(worst("ours"), worst("torch"));
  if (noisy > 0.25) {
    lines.push(
      `note     runs of one figure differ by up to ±${Math.round(noisy * 100)}% (selfimprove ±${Math.round(worst("ours") * 100)}%, ` +
        `pytorch ±${Math.round(worst("torch") * 100)}%): the machine was not quiet; rerun on an idle one before trusting the ratios`,
    );
  }
  const notice = torchNotice(r.torch);
  if (notice.length > 0) lines.push("", ...notice);
  return lines.join("\n") + "\n";
}
