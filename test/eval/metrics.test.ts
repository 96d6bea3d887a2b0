import { expect, it } from 'vitest';
import { avgLength, fitL1Logistic, headToHead, lengthControlledWinRate } from '../../src/eval/metrics.ts';
import { sampleStd } from '../../src/util/stats.ts';

it('head-to-head metrics by hand (absolute rule, zero-one rule, NaN dropped, 0 = draw)', () => {
  // x = p − 1 over the valid ones: [1, 0, 0.5, 1, 0.75]; mean 0.65; squared deviations
  // .1225 .4225 .0225 .1225 .01 → sum .7, variance .175 (ddof 1), se = sqrt(.175/5).
  const m = headToHead([2, 1, 1.5, 2, NaN, 1.75]);
  expect(m.win_rate).toBeCloseTo(65, 12);
  expect(m.standard_error).toBeCloseTo(Math.sqrt(0.175 / 5) * 100, 12);
  expect(m).toMatchObject({ n_wins: 3, n_wins_base: 1, n_draws: 1, n_total: 5 });
  // zero-one: 2, 1, draw, 2, 2 → (3 + 0.5) / 5
  expect(m.discrete_win_rate).toBeCloseTo(70, 12);
  const z = headToHead([0, 2]); // 0 is AlpacaEval's old draw code
  expect(z).toMatchObject({ n_draws: 1, n_total: 2, win_rate: 75 });
  // 1.4 rounds to a loss, 1.6 to a win: discrete (1 + 0) / 2
  expect(headToHead([1.4, 1.6]).discrete_win_rate).toBe(50);
  expect(() => headToHead([2.5])).toThrow(/preference 0 is 2.5/);
});

it('sample std uses ddof 1; avg_length truncates a mean of code points', () => {
  expect(sampleStd([1, -1, 1, -1])).toBeCloseTo(Math.sqrt(4 / 3), 15);
  expect(Number.isNaN(sampleStd([3]))).toBe(true);
  expect(avgLength(['ab', 'abcd', 'x'])).toBe(2); // 7/3 = 2.33 → 2
  expect(avgLength(['😀😀'])).toBe(2); // Python's len counts code points, not UTF-16 units
});

it('L1 logistic regression: zero inside the subgradient band, the stationary point by hand outside it', () => {
  // One constant feature, targets all 0.8, C = 100, 4 rows: 400(σ(w) − 0.8) + 1 = 0 → σ(w) = 0.7975.
  const w = fitL1Logistic([[1], [1], [1], [1]], [0.8, 0.8, 0.8, 0.8])[0]!;
  expect(1 / (1 + Math.exp(-w))).toBeCloseTo(0.7975, 9);
  // |C·Σ(σ(0) − y)| = 100·0.004 ≤ 1: the optimum is exactly 0.
  expect(fitL1Logistic([[1], [1]], [0.501, 0.503])[0]).toBe(0);
  // Separable targets stay finite (the penalty bounds the weight).
  const s = fitL1Logistic([[1], [-1]], [1, 0])[0]!;
  expect(Number.isFinite(s) && s > 3).toBe(true);
});

it('length-controlled win rate by hand: symmetric lengths leave only the model term', () => {
  // Δlen = len(output_1) − len(output_2) = +1, −1, +1, −1; preference 1.8 everywhere → y = 0.8.
  // By symmetry the tanh weight is 0; the model weight solves 400(σ(b) − 0.8) + 1 = 0 → 79.75 %.
  const rows = [
    { output_1: 'ab', output_2: 'a', preference: 1.8 },
    { output_1: 'a', output_2: 'ab', preference: 1.8 },
    { output_1: 'abc', output_2: 'ab', preference: 1.8 },
    { output_1: 'ab', output_2: 'abc', preference: 1.8 },
  ];
  expect(lengthControlledWinRate(rows)).toBeCloseTo(79.75, 7);
  // A NaN row is dropped from the fit (but its Δlen still counts in std, as in AlpacaEval).
  expect(lengthControlledWinRate([...rows, { output_1: 'a', output_2: 'a', preference: NaN }])).toBeCloseTo(79.75, 7);
  // When the judge only ever prefers the longer output, length explains the verdicts and the
  // length-controlled rate moves towards 50 %, while the raw win rate follows the length split.
  const biased = Array.from({ length: 40 }, (_, i) => {
    const longer = 'x'.repeat(20 + (i % 7));
    const shorter = 'x'.repeat(5 + (i % 3));
    return i % 4 === 0 ? { output_1: shorter, output_2: longer, preference: 2 } : { output_1: longer, output_2: shorter, preference: 1 };
  });
  const raw = headToHead(biased.map((r) => r.preference)).win_rate;
  expect(raw).toBe(25);
  expect(lengthControlledWinRate(biased)).toBeGreaterThan(raw + 10);
  // No spread in Δlen: the feature is undefined.
  expect(
    Number.isNaN(
      lengthControlledWinRate([
        { output_1: 'a', output_2: 'b', preference: 2 },
        { output_1: 'c', output_2: 'd', preference: 1 },
      ]),
    ),
  ).toBe(true);
});
