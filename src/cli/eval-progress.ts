// A one-line progress report with rate and ETA for long evaluation loops, on stderr.
export function progress(label: string, total: number): (done: number) => void {
  const t0 = performance.now();
  const tty = process.stderr.isTTY;
  let last = 0;
  return (done: number) => {
    const now = performance.now();
    if (done < total && now - last < 1000 && tty) return;
    last = now;
    const s = (now - t0) / 1000;
    const rate = done / Math.max(s, 1e-9);
    const eta = done > 0 ? (total - done) / rate : NaN;
    const fmt = (x: number) => (Number.isFinite(x) ? `${Math.floor(x / 60)}m${String(Math.round(x % 60)).padStart(2, '0')}s` : '?');
    const line = `${label}: ${done}/${total} (${((100 * done) / total).toFixed(1)}%) ${fmt(s)} elapsed, ETA ${fmt(eta)}`;
    process.stderr.write(tty ? `\r${line}${done >= total ? '\n' : ''}` : `${line}\n`);
  };
}
