// Small SVG chart builders (no dependencies): horizontal bars with interval whiskers, per-run box
// plots with the points drawn over them, and line charts. Every chart is an
// <svg class="chart" data-chart=KIND> with its numbers as <text>. Categories run down the page, one
// row each, so a dozen long run names never collide, and every legend wraps to the chart's width:
// no two text boxes of a chart overlap (the report's browser test checks it).
import { quantile } from '../../util/stats.ts';

export const PALETTE = ['#4269d0', '#efb118', '#ff725c', '#6cc5b0', '#3ca951', '#ff8ab7', '#a463f2', '#97bbf5', '#9c6b4e', '#9498a0'];

export function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

const W = 720;
const ROW = 24;
/** A generous width per character of the 11-12 px chart text, so layout never underestimates. */
const CHAR_W = 7;

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

/** Left margin that holds the longest category label. */
const labelMargin = (labels: readonly string[]): number => Math.min(260, 16 + CHAR_W * Math.max(4, ...labels.map((l) => l.length)));

/** An x axis along the bottom of rows [top, bottom): grid lines, tick labels and the axis title. */
function xAxis(lo: number, hi: number, x: (v: number) => number, top: number, bottom: number, label: string): string {
  const t = ticks(lo, hi)
    .map(
      (v) =>
        `<line x1="${x(v)}" x2="${x(v)}" y1="${top}" y2="${bottom}" stroke="#e5e5e5"/><text x="${x(v)}" y="${bottom + 14}" text-anchor="middle" class="tick">${v}</text>`,
    )
    .join('');
  return `${t}<text x="${(x(lo) + x(hi)) / 2}" y="${bottom + 32}" text-anchor="middle" class="axis">${esc(label)}</text>`;
}

/** Legend entries laid out left to right, wrapping to a new row before the chart's edge; returns the markup and its height. */
function legend(names: readonly string[], left: number, top: number): { svg: string; height: number } {
  let x = left;
  let y = top + 12;
  const parts = names.map((n, i) => {
    const w = 24 + n.length * CHAR_W;
    if (x + w > W - 10 && x > left) {
      x = left;
      y += 18;
    }
    const s = `<g class="legend"><rect x="${x}" y="${y - 10}" width="12" height="12" fill="${PALETTE[i % PALETTE.length]}"/><text x="${x + 16}" y="${y}" class="tick">${esc(n)}</text></g>`;
    x += w;
    return s;
  });
  return { svg: parts.join(''), height: names.length ? y - top + 8 : 0 };
}

export interface Bar {
  label: string;
  value: number;
  /** An interval drawn as a whisker (e.g. a 95% confidence interval). */
  lo?: number;
  hi?: number;
  /** Extra text after the value (e.g. "[lo, hi]" is added automatically). */
  note?: string;
}

/** Horizontal bars, one row per category, with interval whiskers and the value printed after each. */
export function hBarChart(
  kind: string,
  bars: readonly Bar[],
  opts: { xLabel: string; xMax?: number; refLine?: number; digits?: number },
): string {
  const d = opts.digits ?? 1;
  const left = labelMargin(bars.map((b) => b.label));
  const text = (b: Bar): string =>
    `${fmt(b.value, d)}${b.lo !== undefined && b.hi !== undefined && Number.isFinite(b.lo) && Number.isFinite(b.hi) ? ` [${fmt(b.lo, d)}, ${fmt(b.hi, d)}]` : ''}${b.note ? ` ${b.note}` : ''}`;
  const right = 16 + CHAR_W * Math.max(...bars.map((b) => text(b).length), 4);
  const innerW = Math.max(120, W - left - right);
  const top = 10;
  const bottom = top + bars.length * ROW;
  const ends = bars.flatMap((b) => [b.value, b.hi ?? b.value]).filter(Number.isFinite);
  const hi = opts.xMax ?? Math.max(1, ...ends) * 1.05;
  const x = (v: number): number => left + (Math.max(0, Math.min(v, hi)) / hi) * innerW;
  const body = bars
    .map((b, i) => {
      const y = top + i * ROW;
      const v = Number.isFinite(b.value) ? b.value : 0;
      const whisker =
        b.lo !== undefined && b.hi !== undefined && Number.isFinite(b.lo) && Number.isFinite(b.hi)
          ? `<line class="errorbar" x1="${x(b.lo)}" x2="${x(b.hi)}" y1="${y + ROW / 2}" y2="${y + ROW / 2}" stroke="#222" stroke-width="1.5"/><line x1="${x(b.lo)}" x2="${x(b.lo)}" y1="${y + 6}" y2="${y + ROW - 6}" stroke="#222"/><line x1="${x(b.hi)}" x2="${x(b.hi)}" y1="${y + 6}" y2="${y + ROW - 6}" stroke="#222"/>`
          : '';
      const end = Math.max(x(v), b.hi !== undefined && Number.isFinite(b.hi) ? x(b.hi) : 0);
      return `<g class="bar" data-label="${esc(b.label)}" data-value="${b.value}"><text x="${left - 8}" y="${y + ROW / 2 + 4}" text-anchor="end" class="tick">${esc(b.label)}</text><rect x="${left}" y="${y + 4}" width="${x(v) - left}" height="${ROW - 8}" fill="${PALETTE[i % PALETTE.length]}"/>${whisker}<text x="${end + 6}" y="${y + ROW / 2 + 4}" class="value">${esc(text(b))}</text></g>`;
    })
    .join('');
  const ref =
    opts.refLine !== undefined
      ? `<line class="ref" x1="${x(opts.refLine)}" x2="${x(opts.refLine)}" y1="${top}" y2="${bottom}" stroke="#888" stroke-dasharray="4 4"/>`
      : '';
  const h = bottom + 44;
  return `<svg class="chart" data-chart="${esc(kind)}" viewBox="0 0 ${W} ${h}" width="${W}" height="${h}" xmlns="http://www.w3.org/2000/svg">${xAxis(0, hi, x, top, bottom, opts.xLabel)}${ref}${body}</svg>`;
}

/** One horizontal box plot per sample (quartiles, median, whiskers to min and max) with every
 *  value drawn as a point over it (jittered by row, deterministically); the median is printed. */
export function boxPlot(kind: string, samples: readonly { name: string; values: readonly number[] }[], opts: { xLabel: string }): string {
  const left = labelMargin(samples.map((s) => s.name));
  const right = 16 + CHAR_W * 'median 9999'.length;
  const innerW = Math.max(120, W - left - right);
  const rowH = 30;
  const top = 10;
  const bottom = top + samples.length * rowH;
  const all = samples.flatMap((s) => s.values).filter(Number.isFinite);
  const hi = Math.max(1, ...all) * 1.02;
  const x = (v: number): number => left + (Math.max(0, Math.min(v, hi)) / hi) * innerW;
  const body = samples
    .map((s, i) => {
      const y = top + i * rowH;
      const mid = y + rowH / 2;
      const v = [...s.values].filter(Number.isFinite).sort((a, b) => a - b);
      const [q1, med, q3] = [0.25, 0.5, 0.75].map((q) => quantile(v, q)) as [number, number, number];
      const color = PALETTE[i % PALETTE.length];
      const box = v.length
        ? `<line x1="${x(v[0]!)}" x2="${x(v.at(-1)!)}" y1="${mid}" y2="${mid}" stroke="#555"/><rect class="box" x="${x(q1)}" y="${y + 6}" width="${Math.max(1, x(q3) - x(q1))}" height="${rowH - 12}" fill="${color}" fill-opacity="0.25" stroke="${color}"/><line class="median" x1="${x(med)}" x2="${x(med)}" y1="${y + 4}" y2="${y + rowH - 4}" stroke="#111" stroke-width="2"/>`
        : '';
      const dots = v
        .map(
          (val, k) =>
            `<circle cx="${x(val).toFixed(1)}" cy="${(mid + (((k * 7919) % 11) - 5) * 1.1).toFixed(1)}" r="1.8" fill="${color}" fill-opacity="0.7"/>`,
        )
        .join('');
      return `<g class="box-row" data-series="${esc(s.name)}" data-median="${med}" data-n="${v.length}"><text x="${left - 8}" y="${mid + 4}" text-anchor="end" class="tick">${esc(s.name)}</text>${box}${dots}<text x="${x(hi) + 6}" y="${mid + 4}" class="value">${esc(`median ${Number.isFinite(med) ? Math.round(med) : 'n/a'}`)}</text></g>`;
    })
    .join('');
  const h = bottom + 44;
  return `<svg class="chart" data-chart="${esc(kind)}" viewBox="0 0 ${W} ${h}" width="${W}" height="${h}" xmlns="http://www.w3.org/2000/svg">${xAxis(0, hi, x, top, bottom, opts.xLabel)}${body}</svg>`;
}

/** Line chart of several (x, y) series; each series' last value is given in the legend. */
export function lineChart(
  kind: string,
  series: readonly { name: string; points: readonly [number, number][] }[],
  opts: { xLabel: string; yLabel: string },
): string {
  const M = { top: 20, right: 20, bottom: 44, left: 64 };
  const h = 300;
  const innerW = W - M.left - M.right;
  const innerH = h - M.top - M.bottom;
  const finite = series.map((s) => s.points.filter(([a, b]) => Number.isFinite(a) && Number.isFinite(b)));
  const pts = finite.flat();
  const xLo = Math.min(...pts.map((p) => p[0]));
  const xHi = Math.max(xLo + 1, ...pts.map((p) => p[0]));
  const yLo = Math.min(0, ...pts.map((p) => p[1]));
  const yHi = Math.max(yLo + 1e-9, ...pts.map((p) => p[1])) * 1.05;
  const x = (v: number): number => M.left + ((v - xLo) / (xHi - xLo)) * innerW;
  const y = (v: number): number => M.top + innerH - ((v - yLo) / (yHi - yLo)) * innerH;
  const lines = finite
    .map(
      (p, i) =>
        `<path class="line" data-series="${esc(series[i]!.name)}" d="${p.map(([a, b], k) => `${k ? 'L' : 'M'} ${x(a).toFixed(1)} ${y(b).toFixed(1)}`).join(' ')}" fill="none" stroke="${PALETTE[i % PALETTE.length]}" stroke-width="1.8"/>`,
    )
    .join('');
  const yt = ticks(yLo, yHi)
    .map(
      (v) =>
        `<line x1="${M.left}" x2="${M.left + innerW}" y1="${y(v)}" y2="${y(v)}" stroke="#e5e5e5"/><text x="${M.left - 6}" y="${y(v) + 4}" text-anchor="end" class="tick">${v}</text>`,
    )
    .join('');
  const yTitle = `<text x="14" y="${M.top + innerH / 2}" transform="rotate(-90 14 ${M.top + innerH / 2})" text-anchor="middle" class="axis">${esc(opts.yLabel)}</text>`;
  const xt = ticks(xLo, xHi)
    .map((v) => `<text x="${x(v)}" y="${M.top + innerH + 16}" text-anchor="middle" class="tick">${v}</text>`)
    .join('');
  const names = finite.map((p, i) => `${series[i]!.name}${p.length ? ` (last ${p.at(-1)![1].toFixed(3)})` : ''}`);
  const leg = legend(names, M.left, h);
  const total = h + leg.height;
  return `<svg class="chart" data-chart="${esc(kind)}" viewBox="0 0 ${W} ${total}" width="${W}" height="${total}" xmlns="http://www.w3.org/2000/svg">${yt}${yTitle}${lines}${xt}<text x="${M.left + innerW / 2}" y="${M.top + innerH + 34}" text-anchor="middle" class="axis">${esc(opts.xLabel)}</text>${leg.svg}</svg>`;
}

/** A table of values in [0, 100] shaded by value (rows x columns), for per-family accuracies: an
 *  HTML table, whose header cells wrap, rather than a chart of rotated labels. */
export function heatTable(id: string, rows: readonly string[], cols: readonly string[], value: (r: number, c: number) => number): string {
  const cell = (v: number): string => {
    if (!Number.isFinite(v)) return '<td class="heat" data-value="">–</td>';
    const a = (Math.max(0, Math.min(100, v)) / 100) * 0.75;
    return `<td class="heat" data-value="${v}" style="background:rgba(66,105,208,${a.toFixed(3)})${a > 0.45 ? ';color:#fff' : ''}">${v.toFixed(1)}</td>`;
  };
  return `<div class="scroll"><table id="${esc(id)}" class="heat"><thead><tr><th></th>${cols.map((c) => `<th>${esc(c.replace(/_/g, '_\u200b'))}</th>`).join('')}</tr></thead><tbody>${rows
    .map((r, ri) => `<tr><td>${esc(r)}</td>${cols.map((_, ci) => cell(value(ri, ci))).join('')}</tr>`)
    .join('')}</tbody></table></div>`;
}
