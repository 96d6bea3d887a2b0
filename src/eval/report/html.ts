// One self-contained HTML page (inline CSS and SVG, no scripts, nothing fetched): the results
// table and a chart per kind of result present in the runs.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { writeTextFileAtomic as writeFileAtomic } from '../../io/json.ts';
import type { RunResults } from './collect.ts';
import { barChart, esc, groupedBarChart, histogramChart, lineChart } from './svg.ts';
import { COLUMNS, resultsCsv, resultsMarkdown } from './table.ts';

function tableHtml(runs: readonly RunResults[]): string {
  const cols = COLUMNS.filter((c) => runs.some((r) => c.value(r) !== undefined));
  const cell = (v: string | number | undefined, digits?: number): string => (v === undefined ? '' : typeof v === 'number' ? (Number.isNaN(v) ? 'NaN' : digits === undefined ? String(v) : v.toFixed(digits)) : esc(v));
  return `<table id="results"><thead><tr>${cols.map((c) => `<th>${esc(c.header)}</th>`).join('')}</tr></thead><tbody>${runs
    .map((r) => `<tr>${cols.map((c) => `<td data-col="${esc(c.header)}">${cell(c.value(r), c.digits)}</td>`).join('')}</tr>`)
    .join('')}</tbody></table>`;
}

function section(id: string, title: string, note: string, body: string): string {
  return `<section id="${id}"><h2>${esc(title)}</h2><p class="note">${note}</p>${body}</section>`;
}

export function reportHtml(runs: readonly RunResults[], title = 'heed evaluation report'): string {
  const parts: string[] = [];
  const wr = runs.filter((r) => r.winRate);
  if (wr.length) {
    const bars = wr.map((r) => ({ label: r.name, value: r.winRate!.win_rate, error: r.winRate!.standard_error, ...(r.winRate!.proxy ? { note: '(proxy)' } : {}) }));
    const lc = wr.map((r) => ({ label: r.name, value: r.winRate!.length_controlled_winrate, ...(r.winRate!.proxy ? { note: '(proxy)' } : {}) }));
    const proxies = wr.filter((r) => r.winRate!.proxy).map((r) => `<li><b>${esc(r.name)}</b>: ${esc(r.winRate!.proxy!)}</li>`);
    parts.push(
      section(
        'winrates',
        'Win rates against the reference',
        `AlpacaEval win rate (100·mean(preference − 1)) with ± one standard error; the dashed line is 50 %. ${proxies.length ? `Proxy numbers:<ul>${proxies.join('')}</ul>` : ''}`,
        barChart('winrate', bars, { yLabel: 'win rate (%)', yMax: 100, refLine: 50 }),
      ),
      section('lcwinrates', 'Length-controlled win rates', 'AlpacaEval\'s length-controlled GLM, "minimal" variant (no instruction-difficulty term), predicted at equal lengths.', barChart('lc-winrate', lc, { yLabel: 'LC win rate (%)', yMax: 100, refLine: 50 })),
    );
  }
  const ln = runs.filter((r) => r.lengths);
  if (ln.length) {
    const samples = ln.map((r) => ({ name: r.name, values: r.lengths!.model }));
    const ref = ln.find((r) => r.lengths!.reference);
    if (ref) samples.push({ name: `reference (${ref.winRate?.reference ?? ref.name})`, values: ref.lengths!.reference! });
    parts.push(section('lengths', 'Output lengths', 'Distribution of output lengths in characters (fraction of outputs per bin).', histogramChart('lengths', samples, { xLabel: 'output length (characters)' })));
  }
  const ife = runs.filter((r) => r.ifeval);
  if (ife.length) {
    const families = [...new Set(ife.flatMap((r) => Object.keys(r.ifeval!.per_family)))].sort();
    const series = ife.flatMap((r) => {
      const strict = { name: r.ifeval!.per_family_loose ? `${r.name} strict` : r.name, values: families.map((f) => (r.ifeval!.per_family[f] ?? NaN) * 100) };
      const loose = r.ifeval!.per_family_loose;
      return loose ? [strict, { name: `${r.name} loose`, values: families.map((f) => (loose[f] ?? NaN) * 100) }] : [strict];
    });
    const agg = ife.map((r) => `<li><b>${esc(r.name)}</b>: prompt strict ${(r.ifeval!.prompt_strict * 100).toFixed(2)} %, prompt loose ${(r.ifeval!.prompt_loose * 100).toFixed(2)} %, instruction strict ${(r.ifeval!.inst_strict * 100).toFixed(2)} %, instruction loose ${(r.ifeval!.inst_loose * 100).toFixed(2)} %</li>`);
    parts.push(section('ifeval', 'IFEval accuracy per instruction family', `Instruction-level accuracy per family (%), strict (and loose where reported).<ul>${agg.join('')}</ul>`, groupedBarChart('ifeval', families, series, { yLabel: 'accuracy (%)', yMax: 100 })));
  }
  const logs = runs.filter((r) => r.log);
  if (logs.length) {
    const series = logs.flatMap((r) => {
      const train = { name: `${r.name} loss`, points: r.log!.filter((p) => !Number.isNaN(p.loss)).map((p) => [p.step, p.loss] as [number, number]) };
      const ev = r.log!.filter((p) => p.eval_loss !== undefined).map((p) => [p.step, p.eval_loss!] as [number, number]);
      return ev.length ? [train, { name: `${r.name} eval_loss`, points: ev }] : [train];
    });
    parts.push(section('training', 'Training loss', 'Loss per step from each run\'s log.jsonl (eval_loss where logged).', lineChart('loss', series, { xLabel: 'step', yLabel: 'loss' })));
  }
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${esc(title)}</title>
<style>
body{font:14px/1.45 system-ui,sans-serif;margin:24px auto;max-width:980px;color:#222}
table{border-collapse:collapse;font-size:12px;margin:8px 0 24px}th,td{border:1px solid #ddd;padding:3px 6px;text-align:right}th{background:#f4f4f4}td:first-child,th:first-child{text-align:left}
.note{color:#555;font-size:13px}.tick{font-size:11px;fill:#444}.axis{font-size:12px;fill:#222}.value{font-size:11px;fill:#111}
svg.chart{display:block;margin:4px 0 16px;max-width:100%;height:auto}
</style></head>
<body><h1>${esc(title)}</h1>
<p class="note">Runs: ${runs.map((r) => esc(r.name)).join(', ')}.</p>
${tableHtml(runs)}
${parts.join('\n')}
</body></html>
`;
}

/** Writes results.md, results.csv and report.html into outDir (each atomically); returns their paths. */
export function writeReport(runs: readonly RunResults[], outDir: string): { markdown: string; csv: string; html: string } {
  mkdirSync(outDir, { recursive: true });
  const paths = { markdown: join(outDir, 'results.md'), csv: join(outDir, 'results.csv'), html: join(outDir, 'report.html') };
  writeFileAtomic(paths.markdown, resultsMarkdown(runs));
  writeFileAtomic(paths.csv, resultsCsv(runs));
  writeFileAtomic(paths.html, reportHtml(runs));
  return paths;
}
