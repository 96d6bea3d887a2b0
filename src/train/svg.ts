// A loss curve as a small standalone SVG: training loss per step (a thin line, plus a moving
// average) and held-out loss (points joined by a line), log-free linear axes with tick labels.
export interface Curve {
  train: { step: number; loss: number }[];
  heldout: { step: number; loss: number }[];
  title?: string;
}

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

function ticks(lo: number, hi: number, n = 5): number[] {
  const span = hi - lo || 1;
  const raw = span / n;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((k) => k * mag).find((s) => s >= raw)!;
  const out: number[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + 1e-9; v += step) out.push(+v.toPrecision(12));
  return out;
}

/** Moving average over `w` points (trailing window). */
export function smooth(ys: readonly number[], w: number): number[] {
  let acc = 0;
  return ys.map((y, i) => {
    acc += y;
    if (i >= w) acc -= ys[i - w]!;
    return acc / Math.min(i + 1, w);
  });
}

export function lossCurveSvg(c: Curve): string {
  const W = 640;
  const H = 360;
  const L = 56;
  const R = 16;
  const T = 32;
  const B = 40;
  const pts = [...c.train, ...c.heldout].filter((p) => Number.isFinite(p.loss));
  if (pts.length === 0) throw new Error('lossCurveSvg: no finite points');
  const avg = smooth(
    c.train.map((p) => p.loss),
    Math.max(1, Math.round(c.train.length / 50)),
  );
  const x0 = Math.min(...pts.map((p) => p.step));
  const x1 = Math.max(x0 + 1, ...pts.map((p) => p.step));
  const y0 = Math.min(...pts.map((p) => p.loss));
  // the y range follows the moving average, the held-out points and the 98th percentile of the
  // raw losses, so one outlier batch does not flatten the curve (raw points beyond are clipped)
  const raw = c.train
    .map((p) => p.loss)
    .filter(Number.isFinite)
    .sort((a, b) => a - b);
  const hiRaw = raw.length ? raw[Math.min(raw.length - 1, Math.floor(0.98 * raw.length))]! : -Infinity;
  const y1 = Math.max(y0 + 1e-6, hiRaw, ...avg.filter(Number.isFinite), ...c.heldout.map((p) => p.loss).filter(Number.isFinite));
  const sx = (s: number) => L + ((s - x0) / (x1 - x0)) * (W - L - R);
  const sy = (l: number) => T + (1 - (Math.min(l, y1) - y0) / (y1 - y0)) * (H - T - B);
  const line = (ps: { step: number; loss: number }[]) =>
    ps
      .filter((p) => Number.isFinite(p.loss))
      .map((p) => `${sx(p.step).toFixed(1)},${sy(p.loss).toFixed(1)}`)
      .join(' ');
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="11">`,
    `<rect width="${W}" height="${H}" fill="white"/>`,
    `<text x="${W / 2}" y="18" text-anchor="middle" font-size="13">${esc(c.title ?? 'loss')}</text>`,
    `<line x1="${L}" y1="${H - B}" x2="${W - R}" y2="${H - B}" stroke="black"/>`,
    `<line x1="${L}" y1="${T}" x2="${L}" y2="${H - B}" stroke="black"/>`,
  ];
  for (const v of ticks(x0, x1)) parts.push(`<text x="${sx(v).toFixed(1)}" y="${H - B + 14}" text-anchor="middle">${v}</text>`);
  for (const v of ticks(y0, y1, 6))
    parts.push(
      `<text x="${L - 4}" y="${(sy(v) + 4).toFixed(1)}" text-anchor="end">${v}</text>`,
      `<line x1="${L}" y1="${sy(v).toFixed(1)}" x2="${W - R}" y2="${sy(v).toFixed(1)}" stroke="#eee"/>`,
    );
  parts.push(`<text x="${(L + W - R) / 2}" y="${H - 6}" text-anchor="middle">step</text>`);
  if (c.train.length) {
    parts.push(`<polyline fill="none" stroke="#9ecae1" stroke-width="1" points="${line(c.train)}"/>`);
    parts.push(
      `<polyline fill="none" stroke="#3182bd" stroke-width="2" points="${line(c.train.map((p, i) => ({ step: p.step, loss: avg[i]! })))}"/>`,
    );
  }
  if (c.heldout.length) {
    parts.push(`<polyline fill="none" stroke="#e6550d" stroke-width="2" points="${line(c.heldout)}"/>`);
    for (const p of c.heldout) parts.push(`<circle cx="${sx(p.step).toFixed(1)}" cy="${sy(p.loss).toFixed(1)}" r="3" fill="#e6550d"/>`);
  }
  parts.push(
    `<text x="${W - R - 150}" y="${T + 12}" fill="#3182bd">train (moving average)</text>`,
    `<text x="${W - R - 150}" y="${T + 26}" fill="#e6550d">held-out</text>`,
    '</svg>',
  );
  return `${parts.join('\n')}\n`;
}
