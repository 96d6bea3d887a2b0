// The results table: one row per run, the same columns in Markdown and CSV.
import type { RunResults } from './collect.ts';

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
  { header: 'avg_length', value: (r) => r.winRate?.avg_length ?? (r.lengths ? Math.trunc(r.lengths.model.reduce((a, b) => a + b, 0) / r.lengths.model.length) : undefined) },
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

function mdCell(v: string | number | undefined, digits?: number): string {
  if (v === undefined) return '';
  if (typeof v === 'number') return Number.isNaN(v) ? 'NaN' : digits === undefined ? String(v) : v.toFixed(digits);
  return v.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

function csvCell(v: string | number | undefined): string {
  if (v === undefined || (typeof v === 'number' && Number.isNaN(v))) return '';
  const s = String(v);
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function resultsMarkdown(runs: readonly RunResults[]): string {
  const cols = usedColumns(runs);
  const lines = [`| ${cols.map((c) => c.header).join(' | ')} |`, `|${cols.map((c) => (c.digits !== undefined || c.header === 'n_total' || c.header === 'avg_length' ? '---:' : '---')).join('|')}|`];
  for (const r of runs) lines.push(`| ${cols.map((c) => mdCell(c.value(r), c.digits)).join(' | ')} |`);
  const proxies = runs.filter((r) => r.winRate?.proxy);
  const notes = [
    'Win rates are AlpacaEval\'s (100·mean(preference − 1)); lc_win_rate is the length-controlled win rate, "minimal" variant (no instruction-difficulty term).',
    ...proxies.map((r) => `${r.name}: ${r.winRate!.proxy}`),
  ];
  return `${lines.join('\n')}\n\n${notes.map((n) => `- ${n}`).join('\n')}\n`;
}

export function resultsCsv(runs: readonly RunResults[]): string {
  const cols = usedColumns(runs);
  return `${cols.map((c) => c.header).join(',')}\n${runs.map((r) => cols.map((c) => csvCell(c.value(r))).join(',')).join('\n')}\n`;
}
