// The report: results table (Markdown + CSV) and one self-contained HTML page, rendered in a real
// headless Chromium (Debian's, installed by scripts/setup.sh) and checked for charts and numbers.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { compare, writeCompare } from '../../src/eval/compare.ts';
import { longestJudge } from '../../src/eval/judges/longest.ts';
import { referenceJudge } from '../../src/eval/judges/reference.ts';
import { readOutputs, readReferenceOutputs } from '../../src/eval/outputs.ts';
import { collectRuns } from '../../src/eval/report/collect.ts';
import { writeReport } from '../../src/eval/report/html.ts';
import { ticks } from '../../src/eval/report/svg.ts';
import { dataPath } from '../../src/util/dataRoot.ts';

const CHROMIUM = '/usr/bin/chromium';
const tmp = mkdtempSync(join(tmpdir(), 'heed-report-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

let longestWr = 0;
let proxyWr = 0;
const ifeval = {
  prompt_strict: 0.312,
  prompt_loose: 0.356,
  inst_strict: 0.4321,
  inst_loose: 0.4789,
  per_family: { detectable_format: 0.5, keywords: 0.25, length_constraints: 0.75 },
};

beforeAll(async () => {
  const model = readOutputs(dataPath('alpaca-eval', 'text_davinci_003_outputs.json')).slice(0, 120);
  const gpt4 = readReferenceOutputs('alpaca-eval:gpt4_1106_preview');
  const a = await compare({ model, reference: gpt4, judge: longestJudge });
  writeCompare(join(tmp, 'davinci-longest'), a.annotations, a.summary);
  longestWr = a.summary.win_rate;
  // The proxy run: davinci against itself as a "reference", judged by closeness to GPT-4's answers.
  const ref = model.map((r) => ({ ...r, output: r.output.split(' ').slice(0, 10).join(' '), generator: 'davinci-first-10-words' }));
  const b = await compare({ model, reference: ref, judge: referenceJudge(gpt4, 'gpt4_1106_preview') });
  const dir = join(tmp, 'davinci-proxy');
  writeCompare(dir, b.annotations, b.summary);
  proxyWr = b.summary.win_rate;
  writeFileSync(join(dir, 'ifeval_summary.json'), JSON.stringify(ifeval));
  writeFileSync(
    join(dir, 'log.jsonl'),
    [
      { config: 'x' },
      ...Array.from({ length: 30 }, (_, i) => ({
        step: i * 10,
        loss: 3 / (1 + i / 5),
        ...(i % 10 === 9 ? { eval_loss: 3.1 / (1 + i / 5) } : {}),
      })),
    ]
      .map((l) => JSON.stringify(l))
      .join('\n'),
  );
});

it('ticks are round numbers covering the range', () => {
  expect(ticks(0, 100)).toEqual([0, 20, 40, 60, 80, 100]);
  expect(ticks(0, 0.37)).toEqual([0, 0.1, 0.2, 0.3]); // step 0.074 rounds up to 0.1
  expect(ticks(3, 47)).toEqual([10, 20, 30, 40]);
});

it('writes the table as Markdown and CSV with the numbers of each run, proxies labelled', () => {
  const runs = collectRuns([join(tmp, 'davinci-longest'), join(tmp, 'davinci-proxy')]);
  const out = join(tmp, 'report');
  writeReport(runs, out);
  const md = readFileSync(join(out, 'results.md'), 'utf8');
  expect(md).toContain(`| davinci-longest | text_davinci_003 | gpt4_1106_preview | longest | ${longestWr.toFixed(2)} |`);
  expect(md).toContain('reference:gpt4_1106_preview (PROXY)');
  expect(md).toMatch(/davinci-proxy: PROXY: ROUGE-L F1/);
  expect(md).toContain('| 31.20 | 35.60 | 43.21 | 47.89 |');
  const csv = readFileSync(join(out, 'results.csv'), 'utf8').trim().split('\n');
  expect(csv[0]).toBe(
    'run,model,reference,judge,win_rate,standard_error,lc_win_rate,discrete_win_rate,n_total,avg_length,ifeval_prompt_strict,ifeval_prompt_loose,ifeval_inst_strict,ifeval_inst_loose,final_loss,final_eval_loss',
  );
  expect(csv[1]!.startsWith(`davinci-longest,text_davinci_003,gpt4_1106_preview,longest,${longestWr},`)).toBe(true);
  expect(csv).toHaveLength(3);
});

it("reads heed eval ifeval's summary with loose per-family accuracies as a second series", async () => {
  const dir = join(tmp, 'ife');
  mkdirSync(dir);
  writeFileSync(
    join(dir, 'ifeval_summary.json'),
    JSON.stringify({
      ...ifeval,
      per_family_loose: { detectable_format: 0.6, keywords: 0.3, length_constraints: 0.8 },
      n: 541,
      subset: 'all',
    }),
  );
  const [run] = collectRuns([dir]);
  expect(run!.ifeval!.per_family_loose).toEqual({ detectable_format: 0.6, keywords: 0.3, length_constraints: 0.8 });
  const { reportHtml } = await import('../../src/eval/report/html.ts');
  const html = reportHtml([run!]);
  // rows strict / loose; columns prompt level, then the families in order
  expect(html).toMatch(/<td>ife strict<\/td><td class="heat" data-value="31.2"[^>]*>31.2<\/td><td class="heat" data-value="50"/);
  expect(html).toMatch(/<td>ife loose<\/td><td class="heat" data-value="35.6"[^>]*>35.6<\/td><td class="heat" data-value="60"/);
});

it("reads heed train's log.jsonl ({kind: step, loss} and {kind: eval, evalLoss} lines)", () => {
  const dir = join(tmp, 'trainlog');
  mkdirSync(dir);
  const lines = [
    {
      kind: 'step',
      step: 1,
      totalSteps: 3,
      epoch: 0,
      loss: 2.5,
      lr: 1e-3,
      gradNorm: 1,
      tokens: 10,
      tokPerSec: 5,
      elapsedSec: 1,
      etaSec: 2,
    },
    {
      kind: 'step',
      step: 2,
      totalSteps: 3,
      epoch: 0,
      loss: 2.25,
      lr: 1e-3,
      gradNorm: 1,
      tokens: 10,
      tokPerSec: 5,
      elapsedSec: 2,
      etaSec: 1,
    },
    { kind: 'eval', step: 2, evalLoss: 2.4, evalTokens: 100 },
  ];
  writeFileSync(join(dir, 'log.jsonl'), `${lines.map((l) => JSON.stringify(l)).join('\n')}\n`);
  const [run] = collectRuns([dir]);
  expect(run!.log).toEqual([
    { step: 1, loss: 2.5 },
    { step: 2, loss: 2.25 },
    { step: 2, loss: NaN, eval_loss: 2.4 },
  ]);
});

it('refuses a directory with nothing to report and malformed summaries, naming the file', () => {
  mkdirSync(join(tmp, 'empty'));
  expect(() => collectRuns([join(tmp, 'empty')])).toThrow(/empty: holds none of summary.json/);
  mkdirSync(join(tmp, 'bad'));
  writeFileSync(join(tmp, 'bad', 'ifeval_summary.json'), JSON.stringify({ ...ifeval, inst_loose: 47.89 }));
  expect(() => collectRuns([join(tmp, 'bad')])).toThrow(/ifeval_summary.json: "inst_loose" must be an accuracy in \[0, 1\], got 47.89/);
});

it('renders in headless Chromium: every chart drawn, the numbers shown, nothing fetched', async () => {
  if (!existsSync(CHROMIUM))
    throw new Error(
      `Chromium not found at ${CHROMIUM}: run \`bash scripts/setup.sh\` as root (it runs apt-get install -y chromium). This test never skips.`,
    );
  const html = join(tmp, 'report', 'report.html');
  const profile = mkdtempSync(join(tmpdir(), 'heed-chromium-'));
  const ctx = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  });
  try {
    const page = await ctx.newPage();
    const requests: string[] = [];
    page.on('request', (r) => requests.push(r.url()));
    await page.goto(`file://${html}`);
    expect(requests).toEqual([`file://${html}`]);
    const charts = await page.$$eval('svg.chart', (els) =>
      els.map((e) => ({ kind: e.getAttribute('data-chart'), w: e.getBoundingClientRect().width, h: e.getBoundingClientRect().height })),
    );
    expect(charts.map((c) => c.kind)).toEqual(['winrate', 'lc-winrate', 'lengths', 'loss']);
    for (const c of charts) expect(c.w > 300 && c.h > 80).toBe(true); // bar and box charts grow a row per run
    // Win-rate bars: one row per run, lengths proportional to the win rate, 95% whiskers drawn, values printed.
    const bars = await page.$$eval('svg[data-chart="winrate"] g.bar', (gs) =>
      gs.map((g) => ({
        label: g.getAttribute('data-label'),
        w: g.querySelector('rect')!.getBoundingClientRect().width,
        text: g.querySelector('text.value')!.textContent,
        err: g.querySelector('line.errorbar')?.getBoundingClientRect().width ?? 0,
      })),
    );
    expect(bars.map((b) => b.label)).toEqual(['davinci-longest', 'davinci-proxy']);
    expect(bars[0]!.text).toContain(longestWr.toFixed(1));
    expect(bars[1]!.text).toContain(proxyWr.toFixed(1));
    expect(await page.textContent('svg[data-chart="winrate"]')).toContain('(proxy judge)');
    expect(bars[1]!.w / bars[0]!.w).toBeCloseTo(proxyWr / longestWr, 1);
    expect(bars.every((b) => b.err > 0)).toBe(true);
    // Length box plots: both runs and the reference; IFEval: prompt level + three families × one run; loss: train + eval lines.
    expect(await page.$$eval('svg[data-chart="lengths"] g.box-row', (gs) => gs.map((g) => g.getAttribute('data-series')))).toEqual([
      'davinci-longest',
      'davinci-proxy',
      'reference (gpt4_1106_preview)',
    ]);
    expect(await page.$$eval('#ifeval-table td.heat', (ts) => ts.map((t) => Number(t.getAttribute('data-value'))))).toEqual([
      31.2, 50, 25, 75,
    ]);
    // The proxy is explained once, not per run.
    expect(await page.$$eval('p.proxy', (ps) => ps.length)).toBe(1);
    expect(
      await page.$$eval('svg[data-chart="loss"] path.line', (ps) =>
        ps.map((p) => [p.getAttribute('data-series'), p.getBoundingClientRect().width > 100]),
      ),
    ).toEqual([
      ['davinci-proxy loss', true],
      ['davinci-proxy eval_loss', true],
    ]);
    const text = await page.textContent('body');
    expect(text).toContain('prompt strict 31.20 %');
    expect(text).toContain('PROXY: ROUGE-L F1');
    expect(await page.$eval('#results td[data-col="win_rate"]', (td) => td.textContent)).toBe(longestWr.toFixed(2));
  } finally {
    await ctx.close();
    rmSync(profile, { recursive: true, force: true });
  }
});
