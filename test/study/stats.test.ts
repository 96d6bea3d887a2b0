// The study's statistics against hand-computed values.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { distinctN, pairedBootstrap, signTest } from '../../src/study/stats.ts';
import { quantile, sampleStd as std } from '../../src/util/stats.ts';

describe('study statistics', () => {
  it('sign test: exact two-sided binomial p, ties dropped', () => {
    // 3 wins, 0 losses, 1 tie: n = 3, P(X <= 0) = 1/8, two-sided 1/4
    const t = signTest([1, 1, 1, 0], [0, 0, 0, 0]);
    expect([t.wins, t.losses]).toEqual([3, 0]);
    expect(t.p).toBeCloseTo(0.25, 12);
    // 4 wins 1 loss: P(X <= 1) = (1 + 5)/32, two-sided 12/32
    expect(signTest([1, 1, 1, 1, 0], [0, 0, 0, 0, 1]).p).toBeCloseTo(12 / 32, 12);
    expect(signTest([1, 2], [1, 2]).p).toBe(1);
    expect(signTest([2, 0], [1, 1]).p).toBe(1); // one each way: capped at 1
  });

  it('distinct-n: distinct word n-grams over all n-grams of one text', () => {
    expect(distinctN('a b a b', 2)).toBeCloseTo(2 / 3, 12); // ab, ba, ab
    expect(distinctN('a a a a', 1)).toBe(0.25);
    expect(distinctN('one two three', 2)).toBe(1);
    expect(distinctN('one', 2)).toBeNaN();
  });

  it('quantile and std match numpy (type 7, ddof 1)', () => {
    expect(quantile([1, 2, 3, 4], 0.25)).toBe(1.75); // np.quantile([1,2,3,4], .25)
    expect(quantile([5], 0.9)).toBe(5);
    expect(std([2, 4, 4, 4, 5, 5, 7, 9])).toBeCloseTo(2.138089935299395, 12);
  });

  it('paired bootstrap: a constant difference has a zero-width interval, equal arms are noise', () => {
    const a = [3, 5, 7, 9];
    const iv = pairedBootstrap(
      a,
      a.map((x) => x - 2),
      { samples: 200, seed: 1 },
    );
    expect(iv).toEqual({ diff: 2, lo: 2, hi: 2, n: 4, noise: false });
    expect(pairedBootstrap(a, a, { samples: 200, seed: 1 }).noise).toBe(true);
    expect(() => pairedBootstrap([1], [1, 2], { samples: 100, seed: 0 })).toThrow(/paired/);
  });

  it('paired bootstrap: seeded, and the interval holds the observed mean difference', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 0, max: 100 }), fc.integer({ min: 0, max: 100 })), { minLength: 2, maxLength: 30 }),
        fc.nat(1000),
        (rows, seed) => {
          const a = rows.map((r) => r[0]);
          const b = rows.map((r) => r[1]);
          const x = pairedBootstrap(a, b, { samples: 300, seed });
          expect(pairedBootstrap(a, b, { samples: 300, seed })).toEqual(x);
          const d = a.map((v, i) => v - b[i]!);
          expect(x.lo).toBeGreaterThanOrEqual(Math.min(...d) - 1e-9);
          expect(x.hi).toBeLessThanOrEqual(Math.max(...d) + 1e-9);
          expect(x.lo).toBeLessThanOrEqual(x.hi);
        },
      ),
      { numRuns: 50 },
    );
  });
});
