// Progress bars for anything that takes more than a few seconds. They draw on stderr and only
// on a terminal, so `--json` output on stdout stays machine-readable and CI logs stay clean.
import cliProgress from "cli-progress";

export interface Progress {
  update(value: number, payload?: Record<string, string | number>): void;
  stop(): void;
}

export function progressBar(label: string, total: number, opts: { enabled?: boolean; fields?: string } = {}): Progress {
  const enabled = opts.enabled ?? process.stderr.isTTY === true;
  if (!enabled) return { update: () => {}, stop: () => {} };
  const bar = new cliProgress.SingleBar(
    {
      format: `${label} [{bar}] {value}/{total} {percentage}% | ETA {eta_formatted}${opts.fields ? ` | ${opts.fields}` : ""}`,
      stream: process.stderr,
      hideCursor: true,
      clearOnComplete: false,
      etaBuffer: 50,
    },
    cliProgress.Presets.shades_classic,
  );
  bar.start(total, 0);
  return {
    update: (value, payload) => bar.update(value, payload ?? {}),
    stop: () => bar.stop(),
  };
}
