import fc from 'fast-check';
import { expect, it } from 'vitest';
import { lcsLength, rougeL, rougeTokens } from '../../src/eval/rouge.ts';

it('tokenizes as rouge_score does: lower-case, non-[a-z0-9] runs separate, non-ASCII letters too', () => {
  expect(rougeTokens('The cat sat on the mat.')).toEqual(['the', 'cat', 'sat', 'on', 'the', 'mat']);
  expect(rougeTokens('Héllo, WORLD!! 42x')).toEqual(['h', 'llo', 'world', '42x']);
  expect(rougeTokens('  ...  ')).toEqual([]);
});

it('ROUGE-L by hand', () => {
  // LCS(the cat sat on the mat, the cat is on the mat) = the cat on the mat: 5 of 6 each way.
  const a = rougeL('The cat sat on the mat.', 'the cat is on the mat');
  expect(a.precision).toBeCloseTo(5 / 6, 15);
  expect(a.recall).toBeCloseTo(5 / 6, 15);
  expect(a.f1).toBeCloseTo(5 / 6, 15);
  // LCS(a b c d, b d e) = b d: P = 2/4, R = 2/3, F = 2·(1/2)(2/3)/(1/2 + 2/3) = 4/7.
  const b = rougeL('a b c d', 'b d e');
  expect(b.precision).toBe(0.5);
  expect(b.recall).toBeCloseTo(2 / 3, 15);
  expect(b.f1).toBeCloseTo(4 / 7, 15);
  expect(rougeL('', 'anything')).toEqual({ precision: 0, recall: 0, f1: 0 });
  expect(rougeL('x y', 'z')).toEqual({ precision: 0, recall: 0, f1: 0 });
  expect(rougeL('same words here', 'Same words, here!').f1).toBe(1);
});

it('LCS agrees with a brute-force enumeration of subsequences on small inputs', () => {
  const brute = (a: string[], b: string[]): number => {
    let best = 0;
    for (let mask = 0; mask < 1 << a.length; mask++) {
      const sub = a.filter((_, i) => mask & (1 << i));
      let j = 0;
      for (const t of b) if (j < sub.length && sub[j] === t) j++;
      if (j === sub.length) best = Math.max(best, sub.length);
    }
    return best;
  };
  const tokens = fc.array(fc.constantFrom('a', 'b', 'c'), { maxLength: 9 });
  fc.assert(
    fc.property(tokens, tokens, (a, b) => {
      expect(lcsLength(a, b)).toBe(brute(a, b));
      expect(lcsLength(a, b)).toBe(lcsLength(b, a));
    }),
  );
});
