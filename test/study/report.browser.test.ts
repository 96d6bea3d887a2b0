// The study's report.html as a reader sees it, in headless Chromium (Debian's, installed by
// scripts/setup.sh) at 800 and 1600 px: the claims and the per-arm chart come first, no two text
// boxes of any chart overlap, nothing overflows the window, the differences are collapsed and
// filterable, and the outputs explorer switches instructions and shows every arm's answer.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BrowserContext, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ARMS, armStageDir } from '../../src/study/arms.ts';
import { loadStudyConfig } from '../../src/study/config.ts';
import { runStudy } from '../../src/study/pipeline.ts';
import { terminalTable, writeStudyReport } from '../../src/study/report.ts';
import type { StudyResults } from '../../src/study/pipeline.ts';

/** The real-data arms (the world part has its own section). */
const ARM_NAMES = ARMS.filter((a) => !a.world).map((a) => a.name);
const CHROMIUM = '/usr/bin/chromium';
const out = mkdtempSync(join(tmpdir(), 'heed-study-report-'));
const profile = mkdtempSync(join(tmpdir(), 'heed-chromium-'));
let html = '';
let results: StudyResults;
let ctx: BrowserContext;

beforeAll(async () => {
  if (!existsSync(CHROMIUM))
    throw new Error(
      `Chromium not found at ${CHROMIUM}: run \`bash scripts/setup.sh\` as root (it runs apt-get install -y chromium). This test never skips.`,
    );
  results = await runStudy(loadStudyConfig('tiny'), { out, log: null });
  html = writeStudyReport(results, out).html;
  ctx = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run'],
  });
}, 600_000);

afterAll(async () => {
  await ctx?.close();
  rmSync(out, { recursive: true, force: true });
  rmSync(profile, { recursive: true, force: true });
});

async function open(width: number): Promise<Page> {
  const page = await ctx.newPage();
  await page.setViewportSize({ width, height: 900 });
  await page.goto(`file://${html}`);
  return page;
}

describe('the terminal table', () => {
  it('fits the terminal: the full table when it fits, else a compact one and where the full one is', () => {
    const wide = terminalTable(results, 400, 'R.md');
    expect(wide).toContain('paper LC (Llama-2-7B)');
    const narrow = terminalTable(results, 80, 'R.md').split('\n');
    for (const line of narrow.slice(0, -1)) expect(line.length).toBeLessThanOrEqual(80);
    expect(narrow.at(-1)).toContain('R.md');
    expect(narrow.filter((l) => ARM_NAMES.some((a) => l.startsWith(`${a} `)))).toHaveLength(ARM_NAMES.length);
  });
});

describe('the study report in Chromium', () => {
  for (const width of [800, 1600]) {
    it(`at ${width} px: no chart text overlaps, nothing overflows the window`, async () => {
      const page = await open(width);
      try {
        const overlaps = await page.$$eval('svg.chart', (svgs) =>
          svgs.flatMap((svg) => {
            const boxes = [...svg.querySelectorAll('text')].map((t) => ({ text: t.textContent ?? '', r: t.getBoundingClientRect() }));
            const hits: string[] = [];
            for (let i = 0; i < boxes.length; i++)
              for (let j = i + 1; j < boxes.length; j++) {
                const a = boxes[i]!.r;
                const b = boxes[j]!.r;
                if (a.left < b.right - 0.5 && b.left < a.right - 0.5 && a.top < b.bottom - 0.5 && b.top < a.bottom - 0.5)
                  hits.push(`${svg.getAttribute('data-chart')}: "${boxes[i]!.text}" / "${boxes[j]!.text}"`);
              }
            return hits;
          }),
        );
        expect(overlaps).toEqual([]);
        expect(await page.$$eval('svg.chart', (s) => s.length)).toBeGreaterThanOrEqual(4);
        // An element may be wider than the window only inside a box that scrolls it (wide tables).
        const over = await page.$eval('body', (body) => {
          const doc = body.ownerDocument;
          const win = doc.defaultView!;
          const vw = doc.documentElement.clientWidth;
          const scrolled = (e: typeof body): boolean => {
            for (let p = e.parentElement; p && p !== body; p = p.parentElement)
              if (win.getComputedStyle(p).overflowX === 'auto') return true;
            return false;
          };
          const bad = [...body.querySelectorAll('*')].filter((e) => {
            const r = e.getBoundingClientRect();
            return r.width > 0 && (r.right > vw + 0.5 || r.left < -0.5) && !scrolled(e as typeof body);
          });
          return {
            scrollWidth: doc.documentElement.scrollWidth,
            vw,
            bad: bad.slice(0, 5).map((e) => `${e.tagName.toLowerCase()}#${e.id}`),
          };
        });
        expect(over.bad).toEqual([]);
        expect(over.scrollWidth).toBeLessThanOrEqual(over.vw);
      } finally {
        await page.close();
      }
    });
  }

  it('opens with the claims and the per-arm chart; one proxy note; one bar row per arm', async () => {
    const page = await open(1280);
    try {
      const ids = await page.$$eval('body > section', (ss) => ss.map((s) => s.id));
      expect(ids.slice(0, 4)).toEqual(['claims', 'arms-chart', 'study', 'explorer']);
      // the story world's section, after the explorer, with a row per world arm
      expect(ids.indexOf('world')).toBeGreaterThan(ids.indexOf('explorer'));
      expect(await page.$$eval('#world-results tbody tr', (rs) => rs.length)).toBe(ARMS.filter((a) => a.world).length);
      expect(await page.$$eval('svg[data-chart="arms"] g.bar', (gs) => gs.map((g) => g.getAttribute('data-label')))).toEqual([
        ...ARM_NAMES,
      ]);
      expect(await page.$$eval('svg[data-chart="arms"] line.errorbar', (ls) => ls.length)).toBeGreaterThan(0);
      expect(await page.$$eval('p.proxy', (ps) => ps.length)).toBe(1);
      expect((await page.textContent('body'))!.match(/PROXY: ROUGE-L/g)).toHaveLength(1);
      expect(await page.$$eval('svg[data-chart="lengths"] g.box-row', (gs) => gs.length)).toBe(ARM_NAMES.length + 1);
      // The differences: collapsed, then filtered by text and by the noise box.
      expect(await page.$eval('#differences-details', (d) => d.hasAttribute('open'))).toBe(false);
      await page.click('#differences-details > summary');
      const visible = () => page.$$eval('#differences tbody tr', (rs) => rs.filter((r) => !r.hasAttribute('hidden')).length);
      const all = await visible();
      expect(all).toBe(((ARM_NAMES.length * (ARM_NAMES.length - 1)) / 2) * 5);
      await page.fill('#diff-filter', 'single-task:chess distinct-2');
      const few = await visible();
      expect(few).toBe(ARM_NAMES.length - 1);
      for (const t of await page.$$eval('#differences tbody tr', (rs) =>
        rs.filter((r) => !r.hasAttribute('hidden')).map((r) => r.textContent ?? ''),
      ))
        expect(t).toMatch(/single-task:chess[\s\S]*distinct-2/);
      await page.fill('#diff-filter', '');
      await page.check('#diff-hide-noise');
      const distinguishable = await page.$$eval('#differences tbody tr', (rs) =>
        rs.filter((r) => !r.hasAttribute('hidden')).map((r) => r.textContent ?? ''),
      );
      expect(distinguishable.every((t) => t.includes('distinguishable'))).toBe(true);
    } finally {
      await page.close();
    }
  });

  it("the outputs explorer switches instructions and shows every arm's answer, verdict and length", async () => {
    const page = await open(1280);
    try {
      const outputs = ARM_NAMES.map(
        (arm) =>
          JSON.parse(readFileSync(join(armStageDir(out, arm, 'generate'), 'model_outputs.json'), 'utf8')) as {
            instruction: string;
            output: string;
          }[],
      );
      const shown = async () => ({
        prompt: await page.textContent('#explorer-prompt'),
        cards: await page.$$eval('#explorer-grid .card', (cs) =>
          cs.map((c) => ({
            run: c.getAttribute('data-run'),
            text: c.querySelector('pre')!.textContent,
            meta: c.querySelector('.meta')!.textContent,
          })),
        ),
      });
      const first = await shown();
      expect(first.prompt).toBe(outputs[0]![0]!.instruction);
      expect(first.cards.map((c) => c.run)).toEqual([...ARM_NAMES]);
      await page.selectOption('#explorer-pick', '2');
      const third = await shown();
      expect(third.prompt).toBe(outputs[0]![2]!.instruction);
      third.cards.forEach((c, k) => {
        expect(c.text).toBe(outputs[k]![2]!.output || '(empty)');
        expect(c.meta).toContain(`${[...outputs[k]![2]!.output].length} chars`);
        expect(c.meta).toMatch(
          c.run === 'instruction' ? /the reference/ : /beats the instruction arm|loses to the instruction arm|draw|no verdict/,
        );
      });
      // IFEval prompts are there too, with strict verdicts.
      const ifevalOption = await page.$eval('#explorer-pick optgroup[label="IFEval"] option', (o) => o.getAttribute('value')!);
      await page.selectOption('#explorer-pick', ifevalOption);
      for (const m of (await shown()).cards.map((c) => c.meta)) expect(m).toMatch(/\(strict\)/);
    } finally {
      await page.close();
    }
  });
});
