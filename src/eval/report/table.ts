// The results table: one row per run, the same columns in Markdown and CSV.
import type { RunResults } from './collect.ts';
import { esc } from './svg.ts';

export interface Column {
  header: string;
  value(r: RunResults): string | number | undefined;
  /** Digits for numbers in Markdown (CSV keeps full precision). */
  digits?: number;
}

const pct = (v: number | undefined): number | undefined => (v === undefined ? undefined : v * 100);
const lastLoss = (r: RunResults, k: 'loss' | 'eval_loss'): number | undefined => {
  const pts = r.log?.filter((p) => p[k] !== undefined && !Number.isNaN(p[k])) ?? [];
  return pts.length ? pts[pts.length - 1]![k] : undefined;
};

export const COLUMNS: Column[] = [
  { header: 'run', value: (r) => r.name },
  { header: 'model', value: (r) => r.winRate?.model },
  { header: 'reference', value: (r) => r.winRate?.reference },
  { header: 'judge', value: (r) => (r.winRate ? (r.winRate.proxy ? `${r.winRate.judge} (PROXY)` : r.winRate.judge) : undefined) },
  { header: 'win_rate', value: (r) => r.winRate?.win_rate, digits: 2 },
  { header: 'standard_error', value: (r) => r.winRate?.standard_error, digits: 2 },
  { header: 'lc_win_rate', value: (r) => r.winRate?.length_controlled_winrate, digits: 2 },
  { header: 'discrete_win_rate', value: (r) => r.winRate?.discrete_win_rate, digits: 2 },
  { header: 'n_total', value: (r) => r.winRate?.n_total },
  {
    header: 'avg_length',
    value: (r) =>
      r.winRate?.avg_length ?? (r.lengths ? Math.trunc(r.lengths.model.reduce((a, b) => a + b, 0) / r.lengths.model.length) : undefined),
  },
  { header: 'position_consistency', value: (r) => r.winRate?.position_consistency ?? undefined, digits: 3 },
  { header: 'ifeval_prompt_strict', value: (r) => pct(r.ifeval?.prompt_strict), digits: 2 },
  { header: 'ifeval_prompt_loose', value: (r) => pct(r.ifeval?.prompt_loose), digits: 2 },
  { header: 'ifeval_inst_strict', value: (r) => pct(r.ifeval?.inst_strict), digits: 2 },
  { header: 'ifeval_inst_loose', value: (r) => pct(r.ifeval?.inst_loose), digits: 2 },
  { header: 'final_loss', value: (r) => lastLoss(r, 'loss'), digits: 4 },
  { header: 'final_eval_loss', value: (r) => lastLoss(r, 'eval_loss'), digits: 4 },
];

/** Columns at least one run has a value for. */
function usedColumns(runs: readonly RunResults[]): Column[] {
  return COLUMNS.filter((c) => runs.some((r) => c.value(r) !== undefined));
}

/** A number with `digits` (as is without), NaN as "NaN", absent as "". */
export function formatCell(v: string | number | undefined, digits?: number): string {
  if (v === undefined) return '';
  if (typeof v === 'number') return Number.isNaN(v) ? 'NaN' : digits === undefined ? String(v) : v.toFixed(digits);
  return v;
}

/** A table of text cells, rendered by the functions below (Markdown, CSV, HTML, terminal). */
export interface Table {
  headers: string[];
  rows: string[][];
  /** Markdown column alignment (default left). */
  align?: ('left' | 'right')[];
}

const mdCell = (s: string): string => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');
/** RFC 4180: a cell with a quote, comma or line break is quoted, its quotes doubled. */
export const csvCell = (s: string): string => (/[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);

export function markdownTable(t: Table): string {
  const rule = t.headers.map((_, i) => (t.align?.[i] === 'right' ? '---:' : '---'));
  return [`| ${t.headers.map(mdCell).join(' | ')} |`, `|${rule.join('|')}|`, ...t.rows.map((r) => `| ${r.map(mdCell).join(' | ')} |`)].join(
    '\n',
  );
}

export function csvTable(t: Table): string {
  return `${[t.headers, ...t.rows].map((r) => r.map(csvCell).join(',')).join('\n')}\n`;
}

/** An HTML table in a horizontally scrolling box (so it never widens the page); each cell names
 *  its column in data-col; `rowClass` may give a row a class. */
export function htmlTable(t: Table, id: string, rowClass?: (row: readonly string[]) => string | undefined): string {
  const cls = (r: readonly string[]): string => {
    const c = rowClass?.(r);
    return c ? ` class="${esc(c)}"` : '';
  };
  return `<div class="scroll"><table id="${esc(id)}"><thead><tr>${t.headers.map((h) => `<th>${esc(h)}</th>`).join('')}</tr></thead><tbody>${t.rows
    .map((r) => `<tr${cls(r)}>${r.map((c, i) => `<td data-col="${esc(t.headers[i]!)}">${esc(c)}</td>`).join('')}</tr>`)
    .join('')}</tbody></table></div>`;
}

/** Fixed-width columns for the terminal. */
export function textTable(t: Table): string {
  const w = t.headers.map((h, i) => Math.max(h.length, ...t.rows.map((r) => r[i]!.length)));
  const line = (r: string[]) => r.map((c, i) => c.padEnd(w[i]!)).join('  ');
  return [line(t.headers), w.map((n) => '-'.repeat(n)).join('  '), ...t.rows.map(line)].join('\n');
}

/** The runs' results as a table: numbers in Markdown with their digits (CSV keeps full precision). */
export function runsTable(runs: readonly RunResults[], forCsv: boolean): Table {
  const cols = usedColumns(runs);
  return {
    headers: cols.map((c) => c.header),
    rows: runs.map((r) =>
      cols.map((c) => {
        const v = c.value(r);
        return forCsv ? (typeof v === 'number' && Number.isNaN(v) ? '' : formatCell(v)) : formatCell(v, c.digits);
      }),
    ),
    align: cols.map((c) => (c.digits !== undefined || c.header === 'n_total' || c.header === 'avg_length' ? 'right' : 'left')),
  };
}

export function resultsMarkdown(runs: readonly RunResults[]): string {
  const proxies = runs.filter((r) => r.winRate?.proxy);
  const notes = [
    'Win rates are AlpacaEval\'s (100·mean(preference − 1)); lc_win_rate is the length-controlled win rate, "minimal" variant (no instruction-difficulty term).',
    ...proxies.map((r) => `${r.name}: ${r.winRate!.proxy}`),
  ];
  return `${markdownTable(runsTable(runs, false))}\n\n${notes.map((n) => `- ${n}`).join('\n')}\n`;
}

export function resultsCsv(runs: readonly RunResults[]): string {
  return csvTable(runsTable(runs, true));
}
