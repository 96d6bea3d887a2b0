import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Rng } from '../../src/core/random.ts';
import { logSoftmax, tokenLogprob } from '../../src/decode/processors.ts';
import { checkSampling, sampleScores } from '../../src/decode/sample.ts';

// p = [0.1, 0.2, 0.3, 0.4]
const scores = [0.1, 0.2, 0.3, 0.4].map(Math.log);
function freq(o: Parameters<typeof sampleScores>[1], n = 6000): number[] {
  const r = new Rng(9);
  const c = [0, 0, 0, 0];
  for (let i = 0; i < n; i++) c[sampleScores(scores, o, r)]!++;
  return c.map((x) => x / n);
}

describe('samplers', () => {
  it('greedy at temperature 0 whatever the filters', () => {
    expect(sampleScores(scores, { temperature: 0, topK: 2, topP: 0.1, minP: 0.9 }, new Rng(1))).toBe(3);
  });

  it('temperature 1 follows p; temperature 2 flattens it to p^(1/2)', () => {
    const f = freq({ temperature: 1 });
    [0.1, 0.2, 0.3, 0.4].forEach((p, i) => expect(Math.abs(f[i]! - p)).toBeLessThan(0.025));
    const z = [0.1, 0.2, 0.3, 0.4].map(Math.sqrt);
    const sum = z.reduce((a, b) => a + b);
    const f2 = freq({ temperature: 2 });
    z.forEach((p, i) => expect(Math.abs(f2[i]! - p / sum)).toBeLessThan(0.025));
  });

  it('top-k keeps the k most likely, renormalised', () => {
    const f = freq({ temperature: 1, topK: 2 });
    expect(f[0]).toBe(0);
    expect(f[1]).toBe(0);
    expect(Math.abs(f[3]! - 4 / 7)).toBeLessThan(0.025);
  });

  it('top-p keeps the smallest most-likely set reaching p', () => {
    expect(freq({ temperature: 1, topP: 0.35 })).toEqual([0, 0, 0, 1]);
    const f = freq({ temperature: 1, topP: 0.6 }); // 0.4 + 0.3
    expect(f[0]! + f[1]!).toBe(0);
    expect(Math.abs(f[2]! - 3 / 7)).toBeLessThan(0.025);
  });

  it('min-p drops ids below minP × the top probability', () => {
    const f = freq({ temperature: 1, minP: 0.6 }); // floor 0.24: keeps 0.3 and 0.4
    expect(f[0]! + f[1]!).toBe(0);
    expect(Math.abs(f[3]! - 4 / 7)).toBeLessThan(0.025);
    expect(freq({ temperature: 1, minP: 0.5 })[1]).toBeGreaterThan(0); // floor 0.2 keeps p = 0.2
  });

  it('property: a sample always lies in the top-k set, and a seed reproduces it', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.integer({ min: -40, max: 40 }).map((v) => v / 4),
          { minLength: 1, maxLength: 40 },
        ),
        fc.integer({ min: 1, max: 5 }),
        fc.integer(),
        fc.double({ min: 0.1, max: 3, noNaN: true }),
        (s, k, seed, T) => {
          const id = sampleScores(s, { temperature: T, topK: k }, new Rng(seed));
          const rank = s.filter((v, i) => v > s[id]! || (v === s[id]! && i < id)).length;
          expect(rank).toBeLessThan(k);
          expect(sampleScores(s, { temperature: T, topK: k }, new Rng(seed))).toBe(id);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('bad options are refused naming the field', () => {
    expect(() => checkSampling({ temperature: -1 })).toThrow(/temperature must be a finite number >= 0/);
    expect(() => checkSampling({ topK: 1.5 })).toThrow(/topK must be an integer/);
    expect(() => checkSampling({ topP: 0 })).toThrow(/topP must be in \(0, 1\]/);
    expect(() => checkSampling({ minP: 2 })).toThrow(/minP must be in \[0, 1\]/);
  });

  it('log probabilities: the chosen id and the top alternatives, most likely first', () => {
    const lp = tokenLogprob(Float64Array.from([1, 3, 3, 0]), 0, 2);
    const ref = logSoftmax([1, 3, 3, 0]);
    expect(lp.logprob).toBeCloseTo(ref[0]!, 12);
    expect(lp.top.map((t) => t.id)).toEqual([1, 2]);
    expect(lp.top[0]!.logprob).toBeCloseTo(Math.log(Math.exp(3) / (Math.exp(1) + 2 * Math.exp(3) + 1)), 12);
    expect(tokenLogprob(Float64Array.from([1, 2]), 1, 0).top).toEqual([]);
  });
});
