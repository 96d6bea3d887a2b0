// A progress line with rate and ETA on stderr: redrawn in place on a terminal, otherwise printed
// at most every few seconds (and at the end) so logs stay short.

export interface Progress {
  update(done: number): void;
  end(): void;
}

export function formatDuration(s: number): string {
  if (!Number.isFinite(s)) return '?';
  const t = Math.round(s);
  const h = Math.floor(t / 3600);
  const m = Math.floor((t % 3600) / 60);
  const sec = t % 60;
  return h > 0 ? `${h}h${String(m).padStart(2, '0')}m` : m > 0 ? `${m}m${String(sec).padStart(2, '0')}s` : `${sec}s`;
}

/**
 * One status line on a stream, the one way heed shows progress: on a terminal it is redrawn in
 * place (carriage return, clear to the end of the line); elsewhere (logs, CI) each update is a
 * plain line, at most one every `plainEveryMs` so logs stay short. `keep` writes a line that stays.
 */
export class StatusLine {
  private last = -Infinity;
  constructor(
    private readonly out: NodeJS.WriteStream | null,
    private readonly every: { ttyMs: number; plainMs: number } = { ttyMs: 0, plainMs: 5000 },
  ) {}

  get isTTY(): boolean {
    return !!this.out?.isTTY;
  }

  /** A tick of progress: dropped if the last one was printed less than the interval ago. */
  update(line: string): void {
    if (!this.out) return;
    const now = performance.now();
    if (now - this.last < (this.isTTY ? this.every.ttyMs : this.every.plainMs)) return;
    this.last = now;
    this.out.write(this.isTTY ? `\r${line}\x1b[K` : `${line}\n`);
  }

  /** A line that stays (on a terminal it replaces the status line). */
  keep(line: string): void {
    if (!this.out) return;
    this.last = performance.now();
    this.out.write(this.isTTY ? `\r${line}\x1b[K\n` : `${line}\n`);
  }
}

/** `start` rows were already done (resumed): the rate counts only the rows done in this run. */
export function progress(label: string, total: number, unit: string, start = 0, out: NodeJS.WriteStream = process.stderr): Progress {
  const t0 = performance.now();
  const status = new StatusLine(out);
  let last = start;
  const line = (done: number): string => {
    const s = (performance.now() - t0) / 1000;
    const rate = (done - start) / s;
    const eta = rate > 0 ? (total - done) / rate : NaN;
    return `[${label}] ${done}/${total} ${unit} (${((100 * done) / Math.max(total, 1)).toFixed(1)}%), ${rate > 0 ? rate.toFixed(2) : '0'} ${unit}/s, ETA ${formatDuration(eta)}`;
  };
  return {
    update(done) {
      last = done;
      if (done === total && !status.isTTY) status.keep(line(done));
      else status.update(line(done));
    },
    end() {
      if (status.isTTY) status.keep(line(last));
    },
  };
}

/** Runs `fn` with an `onProgress(done, total)` that draws a progress line, opened at the first
 *  report (its `done` counts as resumed work, not this run's rate) and closed when `fn` ends. */
export async function withBar<T>(
  label: string,
  unit: string,
  fn: (onProgress: (done: number, total: number) => void) => Promise<T>,
  out: NodeJS.WriteStream = process.stderr,
): Promise<T> {
  let bar: Progress | undefined;
  try {
    return await fn((done, total) => {
      bar ??= progress(label, total, unit, done, out);
      bar.update(done);
    });
  } finally {
    bar?.end();
  }
}
