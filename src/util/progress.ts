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

/** `start` rows were already done (resumed): the rate counts only the rows done in this run. */
export function progress(label: string, total: number, unit: string, start = 0, out: NodeJS.WriteStream = process.stderr): Progress {
  const t0 = performance.now();
  let lastPrint = 0;
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
      if (out.isTTY) out.write(`\r${line(done)}\x1b[K`);
      else if (performance.now() - lastPrint > 5000 || done === total) {
        lastPrint = performance.now();
        out.write(`${line(done)}\n`);
      }
    },
    end() {
      if (out.isTTY) out.write(`\r${line(last)}\x1b[K\n`);
    },
  };
}

/** Runs `fn` with an `onProgress(done, total)` that draws a progress line, opened at the first
 *  report (its `done` counts as resumed work, not this run's rate) and closed when `fn` ends. */
export async function withBar<T>(label: string, unit: string, fn: (onProgress: (done: number, total: number) => void) => Promise<T>, out: NodeJS.WriteStream = process.stderr): Promise<T> {
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
