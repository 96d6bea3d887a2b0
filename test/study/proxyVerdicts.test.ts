// Issue 19 item 10: under an offline proxy judge a real-data win-rate claim is a proxy figure with
// no verdict (a ROUGE-L proxy rewards long loops, so "against the paper" would be an artefact);
// exact measures (EOS, IFEval, distinct-2) keep their verdicts; a real judge's win rates get verdicts.
import { describe, expect, it } from 'vitest';
import type { StudyResults } from '../../src/study/pipeline.ts';
import { type Difference, paperEffects } from '../../src/study/report.ts';

const results = (proxy: string | undefined) =>
  ({
    arms: [{ judge: { summary: proxy ? { proxy } : {} } }],
    rank: { accuracy: 0.2, se: 0.02, n: 100, others: 5, chance: 1 / 6 },
  }) as unknown as StudyResults;

const diff = (a: string, b: string, metric: string, d: number, lo: number, hi: number): Difference => ({
  a,
  b,
  metric,
  interval: { diff: d, lo, hi, n: 40, noise: lo <= 0 && hi >= 0 },
});
const diffs = [diff('base+rules', 'base', 'win rate (pts)', -22.5, -35, -10), diff('base+rules', 'base', 'EOS rate (pts)', 45, 30, 60)];

describe('claims under a proxy judge', () => {
  it('a proxy win rate is printed as a proxy figure without a verdict; exact measures keep theirs', () => {
    const lines = paperEffects(results('PROXY: ROUGE-L against a reference'), diffs);
    const win = lines.find((l) => l.startsWith('the rules adapter beats'))!;
    expect(win).toContain(
      '-22.5 points [-35.0, -10.0] by the offline proxy judge: a proxy figure that measures no preference, so no verdict',
    );
    expect(win).not.toMatch(/AGAINST|visible/);
    expect(lines.find((l) => l.startsWith('the rules adapter makes outputs end'))).toMatch(/visible, in the paper's direction\.$/);
  });

  it("a real judge's win rate gets a verdict, in or against the paper's direction", () => {
    const lines = paperEffects(results(undefined), diffs);
    expect(lines.find((l) => l.startsWith('the rules adapter beats'))).toMatch(
      /= -22\.5 win rate points \[-35\.0, -10\.0\]: visible, AGAINST the paper's direction\.$/,
    );
  });
});
