// One self-contained HTML page (inline CSS, SVG and a few lines of script; nothing fetched): the
// results table and a section per kind of result present in the runs. A caller (the study) adds
// its own sections before and after the evaluator's and may leave some of the evaluator's out;
// the page is built from the results in memory.
import { outputDir } from '../../io/open.ts';
import { join } from 'node:path';
import { writeTextFileAtomic } from '../../io/json.ts';
import type { RunResults } from './collect.ts';
import { boxPlot, esc, hBarChart, heatTable, lineChart } from './svg.ts';
import { htmlTable, resultsCsv, resultsMarkdown, runsTable } from './table.ts';

export interface Section {
  id: string;
  title: string;
  /** HTML shown under the title (already escaped). */
  note?: string;
  body: string;
}

/** The evaluator's own sections, by id. */
export type EvalSectionId = 'results' | 'winrates' | 'lcwinrates' | 'lengths' | 'ifeval' | 'training';

export interface ReportOptions {
  title?: string;
  /** HTML under the title (e.g. what made the numbers). */
  intro?: string;
  before?: readonly Section[];
  after?: readonly Section[];
  /** Evaluator sections to leave out (the caller shows the same numbers its own way). */
  omit?: readonly EvalSectionId[];
}

function section(s: Section): string {
  return `<section id="${esc(s.id)}"><h2>${esc(s.title)}</h2>${s.note ? `<p class="note">${s.note}</p>` : ''}${s.body}</section>`;
}

/** The proxy disclaimers of the runs, each different one once. */
function proxyNote(runs: readonly RunResults[]): string {
  const proxies = [...new Set(runs.flatMap((r) => (r.winRate?.proxy ? [r.winRate.proxy] : [])))];
  return proxies.length ? `<p class="proxy"><b>Proxy judge.</b> ${proxies.map(esc).join(' ')}</p>` : '';
}

/** 95% interval of a win rate from its standard error. */
const ci95 = (v: number, se: number): { lo: number; hi: number } => ({ lo: Math.max(0, v - 1.96 * se), hi: Math.min(100, v + 1.96 * se) });

function evalSections(runs: readonly RunResults[]): Map<EvalSectionId, Section> {
  const out = new Map<EvalSectionId, Section>();
  out.set('results', { id: 'results-section', title: 'Results per run', body: htmlTable(runsTable(runs, false), 'results') });
  const wr = runs.filter((r) => r.winRate);
  if (wr.length) {
    const proxy = wr.some((r) => r.winRate!.proxy) ? ' (proxy judge)' : '';
    const bars = wr.map((r) => ({ label: r.name, value: r.winRate!.win_rate, ...ci95(r.winRate!.win_rate, r.winRate!.standard_error) }));
    out.set('winrates', {
      id: 'winrates',
      title: 'Win rates against the reference',
      note: `AlpacaEval win rate (100·mean(preference − 1)) with its 95% interval (± 1.96 standard errors); the dashed line is 50 %.`,
      body: hBarChart('winrate', bars, { xLabel: `win rate (%)${proxy}`, xMax: 100, refLine: 50 }),
    });
    const lc = wr.map((r) => ({ label: r.name, value: r.winRate!.length_controlled_winrate }));
    out.set('lcwinrates', {
      id: 'lcwinrates',
      title: 'Length-controlled win rates',
      note: 'AlpacaEval\'s length-controlled GLM, "minimal" variant (no instruction-difficulty term), predicted at equal lengths.',
      body: hBarChart('lc-winrate', lc, { xLabel: `LC win rate (%)${proxy}`, xMax: 100, refLine: 50 }),
    });
  }
  const ln = runs.filter((r) => r.lengths);
  if (ln.length) {
    const samples = ln.map((r) => ({ name: r.name, values: r.lengths!.model }));
    const ref = ln.find((r) => r.lengths!.reference);
    if (ref) samples.push({ name: `reference (${ref.winRate?.reference ?? ref.name})`, values: ref.lengths!.reference! });
    out.set('lengths', {
      id: 'lengths',
      title: 'Output lengths',
      note: 'Characters per output, one row per run: the box spans the middle half, the bar is the median, the whiskers reach the shortest and longest; every output is a dot.',
      body: boxPlot('lengths', samples, { xLabel: 'output length (characters)' }),
    });
  }
  const ife = runs.filter((r) => r.ifeval);
  if (ife.length) {
    const families = [...new Set(ife.flatMap((r) => Object.keys(r.ifeval!.per_family)))].sort();
    const rows = ife.flatMap((r) => {
      const strict = {
        name: r.ifeval!.per_family_loose ? `${r.name} strict` : r.name,
        fam: r.ifeval!.per_family,
        agg: r.ifeval!.prompt_strict,
      };
      const loose = r.ifeval!.per_family_loose;
      return loose ? [strict, { name: `${r.name} loose`, fam: loose, agg: r.ifeval!.prompt_loose }] : [strict];
    });
    const cols = ['prompt level', ...families];
    const agg = ife.map(
      (r) =>
        `<li><b>${esc(r.name)}</b>: prompt strict ${(r.ifeval!.prompt_strict * 100).toFixed(2)} %, prompt loose ${(r.ifeval!.prompt_loose * 100).toFixed(2)} %, instruction strict ${(r.ifeval!.inst_strict * 100).toFixed(2)} %, instruction loose ${(r.ifeval!.inst_loose * 100).toFixed(2)} %</li>`,
    );
    out.set('ifeval', {
      id: 'ifeval',
      title: 'IFEval accuracy per instruction family',
      note: `Accuracy (%) at the prompt level and per instruction family, strict (and loose where reported); darker is higher.<details><summary>Totals per run</summary><ul>${agg.join('')}</ul></details>`,
      body: heatTable(
        'ifeval-table',
        rows.map((r) => r.name),
        cols,
        (ri, ci) => (ci === 0 ? rows[ri]!.agg : (rows[ri]!.fam[families[ci - 1]!] ?? NaN)) * 100,
      ),
    });
  }
  const logs = runs.filter((r) => r.log);
  if (logs.length) {
    const series = logs.flatMap((r) => {
      const train = {
        name: `${r.name} loss`,
        points: r.log!.filter((p) => !Number.isNaN(p.loss)).map((p) => [p.step, p.loss] as [number, number]),
      };
      const ev = r.log!.filter((p) => p.eval_loss !== undefined).map((p) => [p.step, p.eval_loss!] as [number, number]);
      return ev.length ? [train, { name: `${r.name} eval_loss`, points: ev }] : [train];
    });
    out.set('training', {
      id: 'training',
      title: 'Training loss',
      note: "Loss per step from each run's log.jsonl (eval_loss where logged).",
      body: lineChart('loss', series, { xLabel: 'step', yLabel: 'loss' }),
    });
  }
  return out;
}

const CSS = `*{box-sizing:border-box}
body{font:14px/1.45 system-ui,sans-serif;margin:24px auto;max-width:1000px;padding:0 16px;color:#222}
h1{font-size:24px}h2{font-size:19px;margin-top:32px}
table{border-collapse:collapse;font-size:12px;margin:8px 0 16px}th,td{border:1px solid #ddd;padding:3px 6px;text-align:right;vertical-align:top}th{background:#f4f4f4;font-weight:600}
td:first-child,th:first-child{text-align:left}td{white-space:nowrap}th{overflow-wrap:anywhere}
.scroll{max-width:100%;overflow-x:auto}
.note{color:#555;font-size:13px}.proxy{background:#fff7e0;border-left:4px solid #efb118;padding:6px 10px;font-size:13px}
.tick{font-size:11px;fill:#444}.axis{font-size:12px;fill:#222}.value{font-size:11px;fill:#111}
svg.chart{display:block;margin:4px 0 16px;max-width:100%;height:auto}
ul.claims li{margin:4px 0}tr.noise td{color:#999}
details>summary{cursor:pointer;font-weight:600;margin:8px 0}
.filters{display:flex;flex-wrap:wrap;gap:12px;align-items:center;margin:8px 0;font-size:13px}.filters input[type=search]{width:min(320px,100%)}
.explorer-pick{width:100%;max-width:100%;font-size:13px;padding:4px}
.grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(min(280px,100%),1fr));gap:10px;margin-top:10px}
.card{border:1px solid #ddd;border-radius:6px;padding:8px 10px;min-width:0;background:#fafafa}.card h3{font-size:13px;margin:0 0 4px}
.card .meta{font-size:12px;color:#555;margin-bottom:6px}.card pre{white-space:pre-wrap;overflow-wrap:anywhere;font:12px/1.4 ui-monospace,monospace;margin:0;max-height:320px;overflow-y:auto}
.win{color:#237a2b;font-weight:600}.loss{color:#b3261e;font-weight:600}.draw{color:#555;font-weight:600}
.prompt{white-space:pre-wrap;overflow-wrap:anywhere;background:#f4f6fb;border-radius:6px;padding:8px 10px;font-size:13px}`;

export function reportHtml(runs: readonly RunResults[], opts: ReportOptions = {}): string {
  const title = opts.title ?? 'heed evaluation report';
  const omit = new Set(opts.omit ?? []);
  const own = [...evalSections(runs)].filter(([id]) => !omit.has(id)).map(([, s]) => s);
  const sections = [...(opts.before ?? []), ...own, ...(opts.after ?? [])];
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${esc(title)}</title>
<style>
${CSS}
</style></head>
<body><h1>${esc(title)}</h1>
${opts.intro ?? `<p class="note">Runs: ${runs.map((r) => esc(r.name)).join(', ')}.</p>`}
${proxyNote(runs)}
${sections.map(section).join('\n')}
</body></html>
`;
}

/** Writes results.md, results.csv and report.html into outDir (each atomically); returns their paths. */
export function writeReport(runs: readonly RunResults[], outDir: string): { markdown: string; csv: string; html: string } {
  outputDir(outDir, 'output directory');
  const paths = { markdown: join(outDir, 'results.md'), csv: join(outDir, 'results.csv'), html: join(outDir, 'report.html') };
  writeTextFileAtomic(paths.markdown, resultsMarkdown(runs));
  writeTextFileAtomic(paths.csv, resultsCsv(runs));
  writeTextFileAtomic(paths.html, reportHtml(runs));
  return paths;
}
