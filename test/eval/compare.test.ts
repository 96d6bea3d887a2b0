import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { compare, leaderboardCsv, writeCompare } from '../../src/eval/compare.ts';
import type { Judge } from '../../src/eval/judges/judge.ts';
import { longestJudge } from '../../src/eval/judges/longest.ts';
import { referenceJudge } from '../../src/eval/judges/reference.ts';
import { fitL1Logistic } from '../../src/eval/metrics.ts';
import { type ModelOutput, readOutputs, readReferenceOutputs } from '../../src/eval/outputs.ts';
import { dataPath } from '../../src/util/dataRoot.ts';

const tmp = mkdtempSync(join(tmpdir(), 'heed-compare-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const row = (instruction: string, output: string, generator: string): ModelOutput => ({ instruction, output, generator, dataset: 'd' });

it('done-when: text_davinci_003 vs gpt4_1106_preview with the longest judge is the win rate computed from lengths', async () => {
  const model = readOutputs(dataPath('alpaca-eval', 'text_davinci_003_outputs.json'));
  const reference = readReferenceOutputs('alpaca-eval:gpt4_1106_preview');
  // By hand: pair by instruction; identical outputs draw (1.5), else the longer (in code points) wins.
  const refBy = new Map(reference.map((r) => [r.instruction, r.output]));
  let wins = 0;
  let draws = 0;
  for (const m of model) {
    const r = refBy.get(m.instruction)!;
    if (r === m.output) draws++;
    else if (Array.from(m.output).length >= Array.from(r).length) wins++;
  }
  const byHand = ((wins + draws / 2) / model.length) * 100;
  const { annotations, summary } = await compare({ model, reference, judge: longestJudge });
  expect(summary.win_rate).toBeCloseTo(byHand, 10);
  // The same numbers from an independent Python computation over the two files.
  expect(summary.win_rate).toBeCloseTo(1.8633540372670807, 10);
  expect(summary.standard_error).toBeCloseTo(0.460425062114849, 10);
  expect(summary).toMatchObject({
    n_wins: 13,
    n_wins_base: 788,
    n_draws: 4,
    n_total: 805,
    n_identical: 4,
    avg_length: 307,
    model: 'text_davinci_003',
    reference: 'gpt4_1106_preview',
  });
  expect(annotations[0]).toMatchObject({ generator_1: 'gpt4_1106_preview', generator_2: 'text_davinci_003', annotator: 'longest' });
  writeCompare(join(tmp, 'longest'), annotations, summary);
  const csv = readFileSync(join(tmp, 'longest', 'leaderboard.csv'), 'utf8').split('\n');
  expect(csv[0]).toBe(
    ',win_rate,standard_error,n_wins,n_wins_base,n_draws,n_total,discrete_win_rate,mode,avg_length,length_controlled_winrate,annotator',
  );
  expect(csv[1]!.startsWith(`text_davinci_003,${summary.win_rate},${summary.standard_error},13,788,4,805,`)).toBe(true);
  // The length-controlled fit is optimal: the L1 problem's optimality (KKT) conditions hold at the
  // weights found, C·∂L/∂w_j + sign(w_j) = 0 for w_j ≠ 0 and |C·∂L/∂w_j| ≤ 1 for w_j = 0.
  const deltas = annotations.map((a) => Array.from(a.output_1).length - Array.from(a.output_2).length);
  const mean = deltas.reduce((x, y) => x + y, 0) / deltas.length;
  const std = Math.sqrt(deltas.reduce((x, d) => x + (d - mean) ** 2, 0) / (deltas.length - 1));
  const X = deltas.map((d) => [Math.tanh(d / std), 1]);
  const y = annotations.map((a) => a.preference! - 1);
  const w = fitL1Logistic(X, y);
  expect(summary.length_controlled_winrate).toBeCloseTo(100 / (1 + Math.exp(-w[1]!)), 12);
  for (let j = 0; j < 2; j++) {
    const g = 100 * X.reduce((acc, x, i) => acc + (1 / (1 + Math.exp(-(w[0]! * x[0]! + w[1]! * x[1]!))) - y[i]!) * x[j]!, 0);
    if (w[j] !== 0) expect(Math.abs(g + Math.sign(w[j]!))).toBeLessThan(1e-6);
    else expect(Math.abs(g)).toBeLessThanOrEqual(1);
  }
  expect(w.every((v) => v !== 0)).toBe(true);
  const back = JSON.parse(readFileSync(join(tmp, 'longest', 'annotations.json'), 'utf8')) as { preference: number }[];
  expect(back).toHaveLength(805);
  expect(back.every((a) => [1, 1.5, 2].includes(a.preference))).toBe(true);
});

it('the reference proxy: closer to the strong answer by ROUGE-L F1 wins, equal is a draw, and it is labelled a proxy', async () => {
  const strong = [
    row('q1', 'the sky is blue today', 'strong'),
    row('q2', 'paris is the capital', 'strong'),
    row('q3', 'one two', 'strong'),
  ];
  const reference = [row('q1', 'grass is green', 'ref'), row('q2', 'paris is the capital', 'ref'), row('q3', 'three', 'ref')];
  const model = [row('q1', 'the sky is blue', 'mod'), row('q2', 'london', 'mod'), row('q3', 'four', 'mod')];
  const { summary, annotations } = await compare({ model, reference, judge: referenceJudge(strong, 'fixture') });
  expect(annotations.map((a) => a.preference)).toEqual([2, 1, 1.5]);
  expect(summary.proxy).toMatch(/^PROXY: ROUGE-L F1/);
  expect(leaderboardCsv(summary)).toMatch(/reference:strong \(PROXY: ROUGE-L F1/);
  await expect(
    compare({ model: [row('q9', 'x', 'mod')], reference: [row('q9', 'y', 'ref')], judge: referenceJudge(strong, 'fixture') }),
  ).rejects.toThrow(/no answer for the instruction "q9"/);
});

it('--both-orders averages the two verdicts and reports position consistency; identical outputs never reach the judge', async () => {
  // A judge that always prefers whatever is shown first: maximally position-biased.
  const seen: string[] = [];
  const firstWins: Judge = {
    name: 'first-wins',
    async judge(pairs) {
      seen.push(...pairs.map((p) => p.instruction));
      return pairs.map(() => ({ preference: 1 }));
    },
  };
  const reference = [row('a', 'r1', 'ref'), row('b', 'same', 'ref'), row('c', 'r3', 'ref')];
  const model = [row('a', 'm1', 'mod'), row('b', 'same', 'mod'), row('c', 'm3', 'mod')];
  const { summary, annotations } = await compare({ model, reference, judge: firstWins, bothOrders: true });
  expect(seen).toEqual(['a', 'c', 'a', 'c']);
  expect(annotations.map((a) => [a.preference, a.preference_reversed ?? null])).toEqual([
    [1.5, 2],
    [1.5, null],
    [1.5, 2],
  ]);
  expect(summary.position_consistency).toBe(0);
  expect(summary.n_consistency_pairs).toBe(2);
  expect(summary.win_rate).toBe(50);
  // A consistent judge (always the model) is consistent on every pair.
  const modelWins: Judge = { name: 'm', judge: async (pairs) => pairs.map((p) => ({ preference: p.output_2.startsWith('m') ? 2 : 1 })) };
  const c = await compare({ model, reference, judge: modelWins, bothOrders: true });
  expect(c.summary.position_consistency).toBe(1);
  expect(c.summary.win_rate).toBeCloseTo((100 + 50 + 100) / 3, 12);
});

it('NaN verdicts are dropped from the metrics and counted', async () => {
  const unsure: Judge = { name: 'unsure', judge: async (pairs) => pairs.map((_p, i) => ({ preference: i === 0 ? NaN : 2 })) };
  const { summary, annotations } = await compare({
    model: [row('a', 'x', 'm'), row('b', 'y', 'm')],
    reference: [row('a', 'p', 'r'), row('b', 'q', 'r')],
    judge: unsure,
  });
  expect(annotations[0]!.preference).toBeNull();
  expect(summary).toMatchObject({ n_no_verdict: 1, n_total: 1, win_rate: 100 });
});

it('refuses unpaired, duplicated or mixed-generator outputs, naming the row', async () => {
  const ref = [row('a', 'p', 'r')];
  await expect(compare({ model: [row('zz', 'x', 'm')], reference: ref, judge: longestJudge })).rejects.toThrow(
    /row 0's instruction "zz" has no reference output/,
  );
  await expect(compare({ model: [row('a', 'x', 'm'), row('a', 'y', 'm')], reference: ref, judge: longestJudge })).rejects.toThrow(
    /row 1's instruction "a" appears twice/,
  );
  await expect(compare({ model: [row('a', 'x', 'm'), row('b', 'y', 'n')], reference: ref, judge: longestJudge })).rejects.toThrow(
    /one generator, found 2/,
  );
});

it('reads LIMA dev references in {messages} form under a given generator name', () => {
  const lima = readReferenceOutputs('lima-dev:gpt-3.5-turbo');
  expect(lima).toHaveLength(56);
  expect(lima[0]).toMatchObject({ instruction: 'What is Samyang Buldak ramen?', generator: 'gpt-3.5-turbo', dataset: 'lima-dev' });
});
