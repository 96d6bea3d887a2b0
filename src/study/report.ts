// The study's results: one table (terminal, Markdown, CSV), every arm-vs-arm difference with a
// paired bootstrap 95% interval (and a sign test for win rates) marked when it is
// indistinguishable from noise, the paper's numbers beside heed's (labelled, never mixed in), and
// the evaluator's HTML report (src/eval/report) with these tables added.
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { readAnswerMeta } from '../eval/generate.ts';
import { charLength, readOutputs } from '../eval/outputs.ts';
import { readLog, type RunResults, winRateOf } from '../eval/report/collect.ts';
import { type ExplorerAnswer, type ExplorerData, type ExplorerItem, explorerHtml } from '../eval/report/explorer.ts';
import { reportHtml, type Section } from '../eval/report/html.ts';
import { esc, hBarChart } from '../eval/report/svg.ts';
import { csvTable, htmlTable, markdownTable, type Table, textTable } from '../eval/report/table.ts';
import { writeJsonAtomic, writeTextFileAtomic as writeFileAtomic } from '../io/json.ts';
import { trainingLength } from './config.ts';
import { armOf, ARMS, armStageDir, REFERENCE_ARM } from './arms.ts';
import { type ArmResults, type StudyResults, trainLogOf } from './pipeline.ts';
import { type WorldReport, worldReport } from './worldReport.ts';
import { mean, sampleStd as std } from '../util/stats.ts';
import { type Interval, paired, pairedBootstrap, signTest } from './stats.ts';

/** Hewitt et al. 2024, Llama-2-7B: LC win rate (%) against the instruction-tuned model (from ARMS); ranking probe 80.4 %. */
export const PAPER_LC: Record<string, number> = Object.fromEntries(
  ARMS.flatMap((a) => (a.paperLc !== undefined ? [[a.name, a.paperLc]] : [])),
);
export const PAPER_RANK = 80.4;

const f = (v: number | null | undefined, d = 1): string => (v === null || v === undefined || !Number.isFinite(v) ? 'n/a' : v.toFixed(d));
const pm = (v: number, se: number, d = 1): string => `${f(v, d)} ± ${f(se, d)}`;

/** What made every number: config, base, judge, subsets, decoding. */
export function provenance(r: StudyResults): string[] {
  const c = r.config;
  const proxy = r.arms[0]?.judge.summary.proxy;
  return [
    `config: ${c.name} (${c.about})`,
    `base model: ${r.base.label}`,
    `judge: ${c.eval.judge}${proxy ? ` — OFFLINE ${proxy.startsWith('PROXY') ? proxy : `PROXY: ${proxy}`}` : ''}`,
    `win rates: against the instruction-tuned arm (instruction tuning on LIMA) on the first ${r.instructions} AlpacaEval instructions${c.eval.maxPromptChars ? ` of at most ${c.eval.maxPromptChars} characters` : ''}, greedy, at most ${c.eval.maxNewTokens} new tokens`,
    `IFEval: ${c.eval.ifeval.subset} subset, ${r.ifevalPrompts} prompts${c.eval.maxPromptChars ? ` of at most ${c.eval.maxPromptChars} characters` : ''}, strict scoring`,
    `training: ${trainingLength(c.finetune)} of batch ${c.finetune.batchSize} x ${c.finetune.gradAccum}, lr ${c.finetune.lr}, ${rowsTrained(r)}, ${c.finetune.longRows === 'drop' ? `only rows that fit whole in ${c.finetune.seqLen} tokens` : `rows cut at ${c.finetune.seqLen} tokens`}`,
  ];
}

/** The rows each kind of arm was actually trained on (what ran, not what the config asked for:
 *  with longRows 'drop' or a short task set fewer rows exist), and what was asked. */
function rowsTrained(r: StudyResults): string {
  const f = r.config.finetune;
  const counts = (task: boolean): string => {
    const n = [
      ...new Set(
        r.arms.filter((a) => a.trained && (armOf(a.arm).training?.kind === 'single-task') === task).map((a) => a.trained!.trainRows),
      ),
    ].sort((a, b) => a - b);
    return n.length === 0 ? 'none trained' : n.length === 1 ? `${n[0]}` : `${n[0]}-${n[n.length - 1]} by arm`;
  };
  return `LIMA rows trained ${counts(false)} (asked ${f.limaRows || 'all'}), task rows trained ${counts(true)} (asked ${f.taskRows || 'all'})`;
}

const winValues = (a: ArmResults): (number | null)[] => a.judge.prefs.map((p) => (p === null ? null : (p - 1) * 100));

export function mainTable(r: StudyResults): Table {
  const judgeTag = r.arms[0]?.judge.summary.proxy ? ' [proxy judge]' : '';
  return {
    headers: [
      'arm',
      `win rate vs instruction ±SE${judgeTag}`,
      `LC win rate ±SE${judgeTag}`,
      'IFEval prompt strict %',
      'IFEval instr. strict %',
      'avg length (chars) ±sd',
      'EOS %',
      'distinct-2',
      'paper LC (Llama-2-7B)',
    ],
    rows: r.arms.map((a) => {
      const s = a.judge.summary;
      const d2 = a.gen.distinct2.filter((x): x is number => x !== null);
      return [
        a.arm,
        a.arm === 'instruction' ? 'reference (50)' : pm(s.win_rate, s.standard_error),
        a.arm === 'instruction' ? 'reference (50)' : pm(s.length_controlled_winrate, a.judge.lcSe),
        f(a.gen.ifeval ? a.gen.ifeval.prompt_strict * 100 : NaN),
        f(a.gen.ifeval ? a.gen.ifeval.inst_strict * 100 : NaN),
        pm(mean(a.gen.lengths), std(a.gen.lengths), 0),
        f(mean(a.gen.eos) * 100),
        f(mean(d2), 3),
        PAPER_LC[a.arm] !== undefined ? `${PAPER_LC[a.arm]!.toFixed(1)} (paper)` : a.arm === 'instruction' ? 'reference (paper)' : '',
      ];
    }),
  };
}

export interface Difference {
  a: string;
  b: string;
  metric: string;
  interval: Interval;
  signP?: number;
}

/** Every arm-vs-arm difference in win rate, EOS rate, IFEval prompt accuracy, length and distinct-2. */
export function differences(r: StudyResults): Difference[] {
  const bs = r.config.eval.bootstrap;
  const metrics: [string, (a: ArmResults) => (number | null)[]][] = [
    ['win rate (pts)', winValues],
    ['EOS rate (pts)', (a) => a.gen.eos.map((x) => x * 100)],
    ['IFEval prompt strict (pts)', (a) => a.gen.ifevalPrompt.map((x) => x * 100)],
    ['length (chars)', (a) => a.gen.lengths],
    ['distinct-2 (x100)', (a) => a.gen.distinct2.map((x) => (x === null ? null : x * 100))],
  ];
  const out: Difference[] = [];
  for (let i = 0; i < r.arms.length; i++) {
    for (let j = i + 1; j < r.arms.length; j++) {
      const A = r.arms[i]!;
      const B = r.arms[j]!;
      for (const [metric, get] of metrics) {
        const [x, y] = paired(get(A), get(B));
        const interval = pairedBootstrap(x, y, bs);
        out.push({ a: A.arm, b: B.arm, metric, interval, ...(metric.startsWith('win') ? { signP: signTest(x, y).p } : {}) });
      }
    }
  }
  return out;
}

export function differenceTable(d: readonly Difference[]): Table {
  return {
    headers: ['arm A', 'arm B', 'metric', 'A − B', '95% CI (paired bootstrap)', 'sign test p', 'verdict'],
    rows: d.map((x) => [
      x.a,
      x.b,
      x.metric,
      f(x.interval.diff),
      `[${f(x.interval.lo)}, ${f(x.interval.hi)}]`,
      x.signP === undefined ? '' : x.signP.toFixed(3),
      x.interval.noise ? 'noise' : 'distinguishable',
    ]),
  };
}

/** The paper's effects, checked here: is each difference outside the noise, and in the paper's direction? */
export function paperEffects(r: StudyResults, diffs: readonly Difference[]): string[] {
  const find = (a: string, b: string, metric: string) =>
    diffs.find((d) => d.metric === metric && ((d.a === a && d.b === b) || (d.a === b && d.b === a)));
  const claims: [string, string, string, string][] = [
    ['response', 'base', 'win rate (pts)', 'response tuning beats the plain base model (paper: 43.3 vs 2.4 LC)'],
    ['base+rules', 'base', 'win rate (pts)', 'the rules adapter beats the plain base model (paper: 24.4 vs 2.4 LC)'],
    ['base+rules', 'base+rules-no-eos', 'win rate (pts)', 'dropping the EOS rule hurts (paper: 24.4 -> 10.4 LC)'],
    ['base+rules', 'base', 'EOS rate (pts)', 'the rules adapter makes outputs end (its EOS rule)'],
    ['base+rules', 'base+rules-no-diversity', 'distinct-2 (x100)', 'the diversity rule (presence penalty) cuts repetition'],
    ['response', 'base', 'EOS rate (pts)', 'response tuning teaches the model to end its answers'],
    ['instruction', 'base', 'IFEval prompt strict (pts)', 'instruction tuning follows more verifiable instructions than the plain base'],
    ['response', 'base', 'IFEval prompt strict (pts)', 'response tuning follows more verifiable instructions than the plain base'],
    ['single-task:gsm', 'base', 'win rate (pts)', 'single-task tuning on GSM beats the plain base (paper: 23.7 vs 2.4)'],
    ['single-task:poetry', 'base', 'win rate (pts)', 'single-task tuning on poetry beats the plain base (paper: 22.9 vs 2.4)'],
    ['single-task:poetry', 'single-task:chess', 'win rate (pts)', 'poetry tuning beats chess tuning (paper: 22.9 vs 2.1)'],
  ];
  const lines: string[] = [];
  for (const [a, b, metric, what] of claims) {
    const d = find(a, b, metric);
    if (!d) continue;
    const sign = d.a === a ? 1 : -1;
    const diff = sign * d.interval.diff;
    const [lo, hi] = sign === 1 ? [d.interval.lo, d.interval.hi] : [-d.interval.hi, -d.interval.lo];
    if (metric === 'win rate (pts)' && r.arms[0]?.judge.summary.proxy) {
      // An offline proxy (e.g. ROUGE-L against a reference) measures no preference: a loop can win it.
      lines.push(
        `${what}: ${a} − ${b} = ${f(diff)} points [${f(lo)}, ${f(hi)}] by the offline proxy judge: a proxy figure that measures no preference, so no verdict (verdicts come from exact measures — EOS, distinct-2, IFEval, the world judge — or a real judge, --judge openai:).`,
      );
      continue;
    }
    const verdict = d.interval.noise
      ? 'not visible at this scale (the 95% interval holds 0)'
      : diff > 0
        ? "visible, in the paper's direction"
        : "visible, AGAINST the paper's direction";
    lines.push(
      `${what}: ${a} − ${b} = ${f(diff)} ${metric.replace(' (pts)', ' points').replace(' (chars)', ' characters')} [${f(lo)}, ${f(hi)}]: ${verdict}.`,
    );
  }
  const rk = r.rank;
  const z = (rk.accuracy - rk.chance) / rk.se;
  lines.push(
    `ranking probe (base model ranks the true Alpaca response first among ${rk.others + 1}): ${f(rk.accuracy * 100)}% ± ${f(rk.se * 100)} over ${rk.n} examples, chance ${f(rk.chance * 100)}% (paper, Llama-2-7B: ${PAPER_RANK}%): ${Math.abs(z) < 1.96 || !Number.isFinite(z) ? 'indistinguishable from chance' : rk.accuracy > rk.chance ? 'above chance' : 'below chance'}.`,
  );
  return lines;
}

function worldMarkdown(w: WorldReport): string {
  return `
## Story world (docs/world.md)

${w.notes.map((n) => `- ${n}`).join('\n')}

### Calibration (is the world informative?)

${w.calibration.map((c) => `- ${c}`).join('\n')}

### Results per arm

${markdownTable(w.table)}

Checks met per constraint (greedy; met / asked):

${markdownTable(w.checks)}

### The paper's claims in the world (exact measures, paired bootstrap 95% intervals)

${w.claims.map((c) => `- ${c}`).join('\n')}
`;
}

const CAVEAT =
  "The paper's numbers are Llama-2-7B's with GPT-4 judging all 805 AlpacaEval instructions; they stand beside heed's for orientation and are never part of heed's numbers.";

export interface StudyReportPaths {
  markdown: string;
  csv: string;
  differencesCsv: string;
  html: string;
  json: string;
}

/** Writes results.md, results.csv, differences.csv, report.html and study.json into `out`. */
export function writeStudyReport(r: StudyResults, out: string): StudyReportPaths {
  const dir = resolve(out);
  const main = mainTable(r);
  const diffs = differences(r);
  const dt = differenceTable(diffs);
  const effects = paperEffects(r, diffs);
  const prov = provenance(r);
  const noisy = diffs.filter((d) => d.interval.noise).length;
  const world = r.world && r.config.world ? worldReport(r.world, r.config.world, r.config.eval.bootstrap) : undefined;

  const md = `# heed study: ${r.config.name}

${prov.map((p) => `- ${p}`).join('\n')}

## Results per arm

${markdownTable(main)}

- "paper LC" is ${CAVEAT}
- win rate: AlpacaEval's (100·mean(preference − 1)) against the instruction-tuned arm; LC: length-controlled, "minimal" variant; its ± is a bootstrap standard error.${r.instructions < 100 ? `\n- LC on ${r.instructions} instructions is unstable: when the length difference nearly separates wins from losses the GLM runs to 0 or 100 (AlpacaEval uses all 805); read the raw win rate, its sign test and the differences below first.` : ''}
- EOS %: answers that ended with EOS before ${r.config.eval.maxNewTokens} new tokens; distinct-2: distinct word bigrams over all bigrams of an answer (1 = no repetition), mean over answers.
- ranking probe (base model): ${f(r.rank.accuracy * 100)}% ± ${f(r.rank.se * 100)} (${r.rank.n} Alpaca examples, true response vs ${r.rank.others} others, chance ${f(r.rank.chance * 100)}%); paper (Llama-2-7B): ${PAPER_RANK}%.

## What this model shows (measured, not assumed)

${effects.map((e) => `- ${e}`).join('\n')}

## Every arm-vs-arm difference

${noisy} of ${diffs.length} differences are indistinguishable from noise (their paired bootstrap 95% interval, ${r.config.eval.bootstrap.samples} resamples, seed ${r.config.eval.bootstrap.seed}, holds 0); they are marked "noise". Win-rate differences also carry an exact two-sided sign test. The full list is differences.csv.

${markdownTable(dt)}
${world ? worldMarkdown(world) : ''}`;
  const paths: StudyReportPaths = {
    markdown: join(dir, 'results.md'),
    csv: join(dir, 'results.csv'),
    differencesCsv: join(dir, 'differences.csv'),
    html: join(dir, 'report.html'),
    json: join(dir, 'study.json'),
  };
  if (r.arms.length === 0) return writeWorldOnly(r, paths, world);
  const html = studyHtml(r, dir, { main, dt, diffs, effects, prov, noisy, ...(world ? { world } : {}) });
  writeFileAtomic(paths.markdown, md);
  writeFileAtomic(paths.csv, `# ${prov.join(' | ')}\n${csvTable(main)}`);
  writeFileAtomic(paths.differencesCsv, csvTable(dt));
  writeFileAtomic(paths.html, html);
  writeJsonAtomic(paths.json, {
    provenance: prov,
    rank: r.rank,
    arms: r.arms.map((a) => ({
      arm: a.arm,
      summary: a.judge.summary,
      lcSe: a.judge.lcSe,
      ifeval: a.gen.ifeval,
      trained: a.trained ?? null,
    })),
    effects,
    ...(world ? { world } : {}),
  });
  return paths;
}

/** A study of the world part alone (--config world): its section, table and claims, nothing of the real-data part. */
function writeWorldOnly(r: StudyResults, paths: StudyReportPaths, world: WorldReport | undefined): StudyReportPaths {
  const head = `# heed study: ${r.config.name}\n\n- config: ${r.config.name} (${r.config.about})\n`;
  const body = world ? worldMarkdown(world) : `\n${r.worldSkipped ?? 'the world part did not run'}\n`;
  writeFileAtomic(paths.markdown, head + body);
  writeFileAtomic(paths.csv, world ? csvTable(world.table) : '');
  writeFileAtomic(paths.differencesCsv, '');
  const sections: Section[] = world ? [worldSection(world)] : [];
  writeFileAtomic(
    paths.html,
    reportHtml([], {
      title: `heed study: ${r.config.name}`,
      intro: `<ul class="note"><li>${esc(`config: ${r.config.name} (${r.config.about})`)}</li></ul>`,
      before: sections,
      after: [],
      omit: ['results', 'winrates'],
    }),
  );
  writeJsonAtomic(paths.json, { world: world ?? null });
  return paths;
}

function worldSection(w: WorldReport): Section {
  return {
    id: 'world',
    title: "Story world: calibration, arms and the paper's claims (exact judge)",
    note: w.notes.map(esc).join(' · '),
    body: `<h3>Calibration</h3><ul class="claims">${w.calibration.map((c) => `<li>${esc(c)}</li>`).join('')}</ul><h3>Results per arm</h3>${htmlTable(w.table, 'world-results')}<p>Checks met per constraint (greedy; met / asked):</p>${htmlTable(w.checks, 'world-checks')}<h3>The paper's claims</h3><ul class="claims">${w.claims.map((c) => `<li>${esc(c)}</li>`).join('')}</ul>`,
  };
}

/** The evaluator's view of each arm, from the study's results in memory. */
function armRuns(r: StudyResults, dir: string): RunResults[] {
  const reference = r.arms.find((a) => a.arm === REFERENCE_ARM)?.gen.lengths;
  return r.arms.map((a) => {
    const log = trainLogOf(dir, a.arm);
    return {
      name: a.arm,
      dir: armStageDir(dir, a.arm, 'judge'),
      winRate: winRateOf(a.judge.summary),
      lengths: { model: a.gen.lengths, ...(reference ? { reference } : {}) },
      ...(a.gen.ifeval ? { ifeval: a.gen.ifeval } : {}),
      ...(log ? { log: readLog(log) } : {}),
    };
  });
}

const VERDICT: Record<string, ExplorerAnswer['verdict']> = {
  '2': { text: 'beats the instruction arm', tone: 'win' },
  '1': { text: 'loses to the instruction arm', tone: 'loss' },
  '1.5': { text: 'draw', tone: 'draw' },
};

/** Every arm's answers to every AlpacaEval instruction and IFEval prompt, with verdicts. */
function explorerData(r: StudyResults): ExplorerData {
  const arms = r.arms.map((a) => {
    const genDir = dirname(a.gen.outputs);
    const ifeOut = join(genDir, 'ifeval_outputs.json');
    const ifeMeta = join(genDir, 'ifeval_meta.json');
    return {
      alpaca: readOutputs(a.gen.outputs),
      ifeval: existsSync(ifeOut) ? readOutputs(ifeOut) : [],
      ifevalMeta: readAnswerMeta(ifeMeta),
    };
  });
  const items: ExplorerItem[] = [];
  arms[0]?.alpaca.forEach((row, i) => {
    items.push({
      set: 'AlpacaEval',
      prompt: row.instruction,
      answers: r.arms.map((a, k) => {
        const out = arms[k]!.alpaca[i]?.output ?? '';
        const pref = a.judge.prefs[i];
        const verdict =
          a.arm === REFERENCE_ARM
            ? { text: 'the reference', tone: 'draw' as const }
            : pref === null || pref === undefined
              ? { text: 'no verdict', tone: 'draw' as const }
              : (VERDICT[String(pref)] ?? { text: `preference ${pref}`, tone: pref > 1.5 ? ('win' as const) : ('loss' as const) });
        return { output: out, chars: charLength(out), tokens: a.gen.tokens[i]!, eos: a.gen.eos[i] === 1, verdict };
      }),
    });
  });
  arms[0]?.ifeval.forEach((row, i) => {
    items.push({
      set: 'IFEval',
      prompt: row.instruction,
      answers: r.arms.map((a, k) => {
        const out = arms[k]!.ifeval[i]?.output ?? '';
        const meta = arms[k]!.ifevalMeta[i];
        const ok = a.gen.ifevalPrompt[i];
        return {
          output: out,
          chars: charLength(out),
          ...(meta ? { tokens: meta.tokens, eos: meta.eos } : {}),
          ...(ok === undefined
            ? {}
            : {
                verdict:
                  ok === 1
                    ? { text: 'follows every instruction (strict)', tone: 'win' as const }
                    : { text: 'misses an instruction (strict)', tone: 'loss' as const },
              }),
        };
      }),
    });
  });
  return { runs: r.arms.map((a) => a.arm), items };
}

interface StudyTables {
  main: Table;
  dt: Table;
  diffs: readonly Difference[];
  effects: string[];
  prov: string[];
  noisy: number;
  world?: WorldReport;
}

const DIFF_FILTER = `<script>
(() => {
  const q = document.getElementById('diff-filter');
  const noise = document.getElementById('diff-hide-noise');
  const rows = [...document.querySelectorAll('#differences tbody tr')];
  const count = document.getElementById('diff-count');
  const apply = () => {
    const words = q.value.toLowerCase().split(/\\s+/).filter(Boolean);
    let shown = 0;
    for (const tr of rows) {
      const text = tr.textContent.toLowerCase();
      const show = words.every((w) => text.includes(w)) && !(noise.checked && tr.classList.contains('noise'));
      tr.hidden = !show;
      if (show) shown++;
    }
    count.textContent = shown + ' of ' + rows.length + ' shown';
  };
  q.addEventListener('input', apply);
  noise.addEventListener('change', apply);
  apply();
})();
</script>`;

/** report.html: the claims and the per-arm chart first, then the table, the outputs explorer, the
 *  evaluator's charts, and the differences collapsed behind a filter. */
function studyHtml(r: StudyResults, dir: string, t: StudyTables): string {
  const proxy = r.arms[0]?.judge.summary.proxy ? ' (proxy judge)' : '';
  const bars = r.arms.map((a) => {
    const s = winRateOf(a.judge.summary);
    const se = a.arm === REFERENCE_ARM ? 0 : s.standard_error;
    return {
      label: a.arm,
      value: s.win_rate,
      lo: Math.max(0, s.win_rate - 1.96 * se),
      hi: Math.min(100, s.win_rate + 1.96 * se),
      ...(PAPER_LC[a.arm] !== undefined ? { note: `· paper LC ${PAPER_LC[a.arm]!.toFixed(1)}` } : {}),
    };
  });
  const before: Section[] = [
    {
      id: 'claims',
      title: 'What this model shows (measured, not assumed)',
      body: `<ul class="claims">${t.effects.map((e) => `<li>${esc(e)}</li>`).join('')}</ul>`,
    },
    {
      id: 'arms-chart',
      title: 'Win rate of each arm against the instruction-tuned arm',
      note: `AlpacaEval win rate with its 95% interval (± 1.96 standard errors) on ${r.instructions} instructions; the dashed line is 50 % (as good as the instruction-tuned arm, the reference). "paper LC" is Llama-2-7B's length-controlled win rate in Hewitt et al. 2024, for orientation only.`,
      body: hBarChart('arms', bars, { xLabel: `win rate vs instruction (%)${proxy}`, xMax: 100, refLine: 50 }),
    },
    { id: 'study', title: 'Results per arm', note: esc(CAVEAT), body: htmlTable(t.main, 'study-results') },
    {
      id: 'explorer',
      title: 'Outputs explorer',
      note: "Pick an instruction to read every arm's answer side by side, with its verdict (the judge's against the instruction-tuned arm for AlpacaEval, strict IFEval for IFEval prompts) and its length.",
      body: explorerHtml(explorerData(r)),
    },
  ];
  const w = t.world;
  const worldSections: Section[] = w ? [worldSection(w)] : [];
  const after: Section[] = [
    ...worldSections,
    {
      id: 'differences-section',
      title: 'Every arm-vs-arm difference',
      note: `${t.noisy} of ${t.diffs.length} differences are indistinguishable from noise (paired bootstrap 95% interval holds 0), shown greyed and marked "noise". The full list is also in differences.csv.`,
      body: `<details id="differences-details"><summary>Show the ${t.diffs.length} differences</summary><div class="filters"><input type="search" id="diff-filter" placeholder="filter: arm, metric, verdict" aria-label="filter the differences"><label><input type="checkbox" id="diff-hide-noise"> hide noise</label><span id="diff-count" class="note"></span></div>${htmlTable(t.dt, 'differences', (row) => (row.includes('noise') ? 'noise' : undefined))}</details>${DIFF_FILTER}`,
    },
  ];
  const intro = `<ul class="note">${t.prov
    .filter((p) => !p.startsWith('judge:') || !proxy)
    .map((p) => `<li>${esc(p)}</li>`)
    .join('')}${proxy ? `<li>judge: ${esc(r.config.eval.judge)}</li>` : ''}</ul>`;
  return reportHtml(armRuns(r, dir), { title: `heed study: ${r.config.name}`, intro, before, after, omit: ['results', 'winrates'] });
}

/** The compact terminal table: arm, win rate ±SE, IFEval prompt strict, avg length, EOS % (columns of mainTable). */
const COMPACT: [number, string][] = [
  [0, 'arm'],
  [1, 'win rate ±SE'],
  [3, 'IFEval %'],
  [5, 'length ±sd'],
  [6, 'EOS %'],
];

/** The results table for a terminal `width` columns wide: the full table if it fits, else the
 *  compact one with a line saying where the full table is. */
export function terminalTable(r: StudyResults, width: number, fullTable = 'results.md'): string {
  const full = mainTable(r);
  const text = textTable(full);
  if (Math.max(...text.split('\n').map((l) => l.length)) <= width) return text;
  const compact: Table = { headers: COMPACT.map(([, h]) => h), rows: full.rows.map((row) => COMPACT.map(([i]) => row[i]!)) };
  const proxy = r.arms[0]?.judge.summary.proxy ? 'win rates by the proxy judge; ' : '';
  return `${textTable(compact)}\n(${proxy}the full table, with LC win rates, IFEval instruction level, distinct-2 and the paper's numbers: ${fullTable})`;
}

/** The terminal summary: provenance, the table (fitted to `width`), the paper effects. */
export function terminalReport(r: StudyResults, opts: { width?: number; fullTable?: string } = {}): string {
  const w = r.world && r.config.world ? worldReport(r.world, r.config.world, r.config.eval.bootstrap) : undefined;
  const world = w
    ? `\nstory world, calibration (before any result):\n${w.calibration.map((l) => `- ${l}`).join('\n')}\n\n${textTable(w.table)}\n\n${w.claims.map((l) => `- ${l}`).join('\n')}\n`
    : r.worldSkipped
      ? `\nstory world: skipped (${r.worldSkipped})\n`
      : '';
  if (r.arms.length === 0) return world;
  const diffs = differences(r);
  return `${provenance(r).join('\n')}\n\n${terminalTable(r, opts.width ?? 100, opts.fullTable)}\n\n${paperEffects(r, diffs)
    .map((l) => `- ${l}`)
    .join('\n')}\n${world}`;
}
