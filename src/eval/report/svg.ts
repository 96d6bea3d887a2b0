// Small SVG chart builders (no dependencies): bars with error bars, grouped bars, histograms,
// line charts. Every chart is an <svg class="chart" data-chart=KIND> with its numbers as <text>.

export const PALETTE = ['#4269d0', '#efb118', '#ff725c', '#6cc5b0', '#3ca951', '#ff8ab7', '#a463f2', '#97bbf5', '#9c6b4e', '#9498a0'];

export function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

const W = 720;
const M = { top: 20, right: 20, bottom: 50, left: 60 };

function fmt(v: number, digits = 1): string {
  return Number.isFinite(v) ? v.toFixed(digits) : 'NaN';
}

/** "Nice" tick values covering [lo, hi]. */
export function ticks(lo: number, hi: number, n = 5): number[] {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / n;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((k) => k * mag).find((s) => s >= raw)!;
  const out: number[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) out.push(Number(v.toPrecision(12)));
  return out;
}

function yAxis(lo: number, hi: number, y: (v: number) => number, innerW: number, label: string, h: number): string {
  const t = ticks(lo, hi)
    .map((v) => `<line x1="${M.left}" x2="${M.left + innerW}" y1="${y(v)}" y2="${y(v)}" stroke="#e5e5e5"/><text x="${M.left - 6}" y="${y(v) + 4}" text-anchor="end" class="tick">${v}</text>`)
    .join('');
  return `${t}<text x="14" y="${M.top + (h - M.top - M.bottom) / 2}" transform="rotate(-90 14 ${M.top + (h - M.top - M.bottom) / 2})" text-anchor="middle" class="axis">${esc(label)}</text>`;
}

export interface Bar {
  label: string;
  value: number;
  error?: number;
  note?: string;
}

/** Vertical bars with ±error whiskers and the value printed above each bar. */
export function barChart(kind: string, bars: readonly Bar[], opts: { yLabel: string; yMax?: number; refLine?: number }): string {
  const h = 320;
  const innerW = W - M.left - M.right;
  const innerH = h - M.top - M.bottom;
  const finite = bars.flatMap((b) => [b.value + (b.error ?? 0)]).filter(Number.isFinite);
  const hi = opts.yMax ?? Math.max(1, ...finite) * 1.1;
  const y = (v: number): number => M.top + innerH - (Math.max(0, Math.min(v, hi)) / hi) * innerH;
  const bw = innerW / Math.max(bars.length, 1);
  const body = bars
    .map((b, i) => {
      const x = M.left + i * bw + bw * 0.15;
      const w = bw * 0.7;
      const v = Number.isFinite(b.value) ? b.value : 0;
      const err = b.error !== undefined && Number.isFinite(b.error) ? `<line class="errorbar" x1="${x + w / 2}" x2="${x + w / 2}" y1="${y(v - b.error)}" y2="${y(v + b.error)}" stroke="#222" stroke-width="1.5"/><line x1="${x + w / 2 - 6}" x2="${x + w / 2 + 6}" y1="${y(v + b.error)}" y2="${y(v + b.error)}" stroke="#222"/><line x1="${x + w / 2 - 6}" x2="${x + w / 2 + 6}" y1="${y(v - b.error)}" y2="${y(v - b.error)}" stroke="#222"/>` : '';
      const label = `${fmt(b.value)}${b.error !== undefined && Number.isFinite(b.error) ? ` ± ${fmt(b.error)}` : ''}${b.note ? ` ${b.note}` : ''}`;
      return `<g class="bar" data-label="${esc(b.label)}" data-value="${b.value}"><rect x="${x}" y="${y(v)}" width="${w}" height="${y(0) - y(v)}" fill="${PALETTE[i % PALETTE.length]}"/>${err}<text x="${x + w / 2}" y="${y(v + (b.error ?? 0)) - 6}" text-anchor="middle" class="value">${esc(label)}</text><text x="${x + w / 2}" y="${h - M.bottom + 16}" text-anchor="middle" class="tick">${esc(b.label)}</text></g>`;
    })
    .join('');
  const ref = opts.refLine !== undefined ? `<line x1="${M.left}" x2="${M.left + innerW}" y1="${y(opts.refLine)}" y2="${y(opts.refLine)}" stroke="#888" stroke-dasharray="4 4"/>` : '';
  return `<svg class="chart" data-chart="${esc(kind)}" viewBox="0 0 ${W} ${h}" width="${W}" height="${h}" xmlns="http://www.w3.org/2000/svg">${yAxis(0, hi, y, innerW, opts.yLabel, h)}${ref}${body}</svg>`;
}

/** Groups (x categories) of bars, one bar per series. */
export function groupedBarChart(kind: string, groups: readonly string[], series: readonly { name: string; values: readonly number[] }[], opts: { yLabel: string; yMax: number }): string {
  const h = 360;
  const innerW = W - M.left - M.right;
  const innerH = h - M.top - M.bottom - 20;
  const y = (v: number): number => M.top + innerH - (Math.max(0, Math.min(v, opts.yMax)) / opts.yMax) * innerH;
  const gw = innerW / Math.max(groups.length, 1);
  const bw = (gw * 0.8) / Math.max(series.length, 1);
  let body = '';
  groups.forEach((g, gi) => {
    series.forEach((s, si) => {
      const v = s.values[gi]!;
      const x = M.left + gi * gw + gw * 0.1 + si * bw;
      body += `<rect class="bar" data-group="${esc(g)}" data-series="${esc(s.name)}" data-value="${v}" x="${x}" y="${y(v)}" width="${bw}" height="${y(0) - y(v)}" fill="${PALETTE[si % PALETTE.length]}"><title>${esc(`${s.name} · ${g}: ${fmt(v)}`)}</title></rect>`;
    });
    body += `<text x="${M.left + gi * gw + gw / 2}" y="${M.top + innerH + 14}" text-anchor="end" transform="rotate(-35 ${M.left + gi * gw + gw / 2} ${M.top + innerH + 14})" class="tick">${esc(g)}</text>`;
  });
  return `<svg class="chart" data-chart="${esc(kind)}" viewBox="0 0 ${W} ${h + 40}" width="${W}" height="${h + 40}" xmlns="http://www.w3.org/2000/svg">${yAxis(0, opts.yMax, y, innerW, opts.yLabel, h - 20)}${body}${legend(series.map((s) => s.name), h + 20)}</svg>`;
}

function legend(names: readonly string[], yPos: number): string {
  let x = M.left;
  return names
    .map((n, i) => {
      const s = `<g class="legend"><rect x="${x}" y="${yPos - 10}" width="12" height="12" fill="${PALETTE[i % PALETTE.length]}"/><text x="${x + 16}" y="${yPos}" class="tick">${esc(n)}</text></g>`;
      x += 24 + n.length * 7;
      return s;
    })
    .join('');
}

/** Histograms of several samples over shared bins, drawn as outlined step lines. */
export function histogramChart(kind: string, samples: readonly { name: string; values: readonly number[] }[], opts: { xLabel: string; bins?: number }): string {
  const h = 320;
  const innerW = W - M.left - M.right;
  const innerH = h - M.top - M.bottom - 10;
  const all = samples.flatMap((s) => s.values);
  const lo = 0;
  // The 99th percentile bounds the axis so a few very long outputs do not squash the rest; longer
  // values fall into the last bin.
  const sorted = [...all].sort((a, b) => a - b);
  const hi = Math.max(1, sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * 0.99))] ?? 1);
  const nb = opts.bins ?? 30;
  const bw = (hi - lo) / nb;
  const counts = samples.map((s) => {
    const c = new Array<number>(nb).fill(0);
    for (const v of s.values) c[Math.min(nb - 1, Math.floor((v - lo) / bw))]!++;
    return c.map((k) => k / Math.max(s.values.length, 1));
  });
  const yMax = Math.max(0.01, ...counts.flat()) * 1.1;
  const x = (v: number): number => M.left + ((v - lo) / (hi - lo)) * innerW;
  const y = (v: number): number => M.top + innerH - (v / yMax) * innerH;
  const paths = counts
    .map((c, si) => {
      let d = `M ${x(lo)} ${y(0)}`;
      c.forEach((f, b) => (d += ` L ${x(lo + b * bw)} ${y(f)} L ${x(lo + (b + 1) * bw)} ${y(f)}`));
      d += ` L ${x(hi)} ${y(0)}`;
      const s = samples[si]!;
      const median = [...s.values].sort((a, b) => a - b)[Math.floor(s.values.length / 2)] ?? NaN;
      return `<path class="hist" data-series="${esc(s.name)}" d="${d}" fill="${PALETTE[si % PALETTE.length]}" fill-opacity="0.15" stroke="${PALETTE[si % PALETTE.length]}" stroke-width="1.5"><title>${esc(`${s.name}: n=${s.values.length}, median ${median}`)}</title></path>`;
    })
    .join('');
  const xt = ticks(lo, hi)
    .map((v) => `<text x="${x(v)}" y="${M.top + innerH + 16}" text-anchor="middle" class="tick">${v}</text>`)
    .join('');
  return `<svg class="chart" data-chart="${esc(kind)}" viewBox="0 0 ${W} ${h + 20}" width="${W}" height="${h + 20}" xmlns="http://www.w3.org/2000/svg">${yAxis(0, yMax, y, innerW, 'fraction of outputs', h - 10)}${paths}${xt}<text x="${M.left + innerW / 2}" y="${M.top + innerH + 34}" text-anchor="middle" class="axis">${esc(opts.xLabel)}</text>${legend(samples.map((s) => s.name), h + 12)}</svg>`;
}

/** Line chart of several (x, y) series. */
export function lineChart(kind: string, series: readonly { name: string; points: readonly [number, number][] }[], opts: { xLabel: string; yLabel: string }): string {
  const h = 320;
  const innerW = W - M.left - M.right;
  const innerH = h - M.top - M.bottom - 10;
  const pts = series.flatMap((s) => s.points).filter(([a, b]) => Number.isFinite(a) && Number.isFinite(b));
  const xLo = Math.min(...pts.map((p) => p[0]));
  const xHi = Math.max(xLo + 1, ...pts.map((p) => p[0]));
  const yLo = Math.min(0, ...pts.map((p) => p[1]));
  const yHi = Math.max(yLo + 1e-9, ...pts.map((p) => p[1])) * 1.05;
  const x = (v: number): number => M.left + ((v - xLo) / (xHi - xLo)) * innerW;
  const y = (v: number): number => M.top + innerH - ((v - yLo) / (yHi - yLo)) * innerH;
  const lines = series
    .map((s, i) => {
      const p = s.points.filter(([a, b]) => Number.isFinite(a) && Number.isFinite(b));
      const d = p.map(([a, b], k) => `${k ? 'L' : 'M'} ${x(a).toFixed(1)} ${y(b).toFixed(1)}`).join(' ');
      const last = p[p.length - 1];
      return `<path class="line" data-series="${esc(s.name)}" d="${d}" fill="none" stroke="${PALETTE[i % PALETTE.length]}" stroke-width="1.8"/>${last ? `<text x="${x(last[0]) - 4}" y="${y(last[1]) - 6}" text-anchor="end" class="value">${esc(last[1].toFixed(3))}</text>` : ''}`;
    })
    .join('');
  const xt = ticks(xLo, xHi)
    .map((v) => `<text x="${x(v)}" y="${M.top + innerH + 16}" text-anchor="middle" class="tick">${v}</text>`)
    .join('');
  return `<svg class="chart" data-chart="${esc(kind)}" viewBox="0 0 ${W} ${h + 20}" width="${W}" height="${h + 20}" xmlns="http://www.w3.org/2000/svg">${yAxis(yLo, yHi, y, innerW, opts.yLabel, h - 10)}${lines}${xt}<text x="${M.left + innerW / 2}" y="${M.top + innerH + 34}" text-anchor="middle" class="axis">${esc(opts.xLabel)}</text>${legend(series.map((s) => s.name), h + 12)}</svg>`;
}
