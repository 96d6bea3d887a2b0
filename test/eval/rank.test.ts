// The ranking probe: batched likelihoods equal one-sequence-at-a-time ones (and an independent
// f64 log-softmax of the logits), ties and the standard error are counted as documented, the draw
// of other responses is seeded and fair, and a model trained on the true pairs ranks them first.
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { cpu } from '../../src/backend/cpu/cpu.ts';
import { fromArray, noGrad, scopeAsync, zeroGrad, zeros } from '../../src/core/tensor.ts';
import type { LlamaConfig } from '../../src/nn/config.ts';
import { Llama } from '../../src/nn/llama.ts';
import { adamw, clipGradNorm } from '../../src/ops/optim.ts';
import {
  drawOthers,
  encodePair,
  meanAndStandardError,
  meanNll,
  rankCredit,
  rankProbe,
  type RankExample,
  type ScoredSequence,
} from '../../src/eval/rank.ts';
import { chatText, type Tokenizer } from '../../src/tokenizer/tokenizer.ts';
import { forBackends, gpu } from '../helpers/backends.ts';

/** A character tokenizer with the chat markers as special tokens: enough for the probe's template. */
class CharTokenizer implements Tokenizer {
  readonly specials = ['<s>', '</s>', '<|user|>', '<|assistant|>'];
  readonly chars = '\nabcdefghijklmnopqrstuvwxyz ';
  readonly vocabSize = this.specials.length + this.chars.length;
  readonly bos = 0;
  readonly eos = 1;
  encode(text: string, opts: { bos?: boolean; eos?: boolean } = {}): number[] {
    const ids = opts.bos ? [this.bos] : [];
    for (let i = 0; i < text.length; ) {
      const s = this.specials.findIndex((sp) => text.startsWith(sp, i));
      if (s >= 0) {
        ids.push(s);
        i += this.specials[s]!.length;
        continue;
      }
      const c = this.chars.indexOf(text[i]!);
      if (c < 0) throw new Error(`CharTokenizer: no token for ${JSON.stringify(text[i])}`);
      ids.push(this.specials.length + c);
      i++;
    }
    if (opts.eos) ids.push(this.eos);
    return ids;
  }
  decode(ids: number[]): string {
    return ids.map((id) => this.idToPiece(id)).join('');
  }
  decodeToken(_prev: number, id: number): Uint8Array {
    return new TextEncoder().encode(this.idToPiece(id));
  }
  idToPiece(id: number): string {
    return id < this.specials.length ? this.specials[id]! : this.chars[id - this.specials.length]!;
  }
  pieceToId(piece: string): number | undefined {
    const s = this.specials.indexOf(piece);
    if (s >= 0) return s;
    const c = this.chars.indexOf(piece);
    return c >= 0 && piece.length === 1 ? this.specials.length + c : undefined;
  }
  specialTokens(): ReadonlyMap<string, number> {
    return new Map(this.specials.map((s, i) => [s, i]));
  }
}

const tok = new CharTokenizer();
const config: LlamaConfig = {
  dim: 32,
  nLayers: 2,
  nHeads: 4,
  nKvHeads: 2,
  hiddenDim: 64,
  vocabSize: tok.vocabSize,
  maxSeqLen: 40,
  ropeTheta: 10000,
  ropeLayout: 'interleaved',
  normEps: 1e-5,
  tiedEmbeddings: true,
};
const DATA: RankExample[] = [
  { instruction: 'a', response: 'pqr' },
  { instruction: 'b', response: 'stu' },
  { instruction: 'c', response: 'vwx' },
  { instruction: 'd', response: 'yz' },
  { instruction: 'e', response: 'mno' },
  { instruction: 'f', response: 'jkl' },
];

/** log-softmax in f64 on the host from the full logits, one sequence at a time. */
async function hostMeanNll(model: Llama, s: ScoredSequence): Promise<number> {
  const T = s.ids.length;
  const V = config.vocabSize;
  const logits = await scopeAsync(async () =>
    noGrad(() => model.forward(fromArray(Int32Array.from(s.ids), [1, T], { dtype: 'i32', backend: model.backend }))).data(),
  );
  let sum = 0;
  for (let t = s.start - 1; t + 1 < T; t++) {
    let m = -Infinity;
    for (let j = 0; j < V; j++) m = Math.max(m, logits[t * V + j]!);
    let z = 0;
    for (let j = 0; j < V; j++) z += Math.exp(logits[t * V + j]! - m);
    sum += m + Math.log(z) - logits[t * V + s.ids[t + 1]!]!;
  }
  return sum / (T - s.start);
}

describe('ranking probe: counting', () => {
  it('credits a strict win 1, a loss 0 and a shared top score 1/m', () => {
    expect(rankCredit(1, [2, 3])).toBe(1);
    expect(rankCredit(1, [0.5, 3])).toBe(0);
    expect(rankCredit(1, [1, 2])).toBe(0.5);
    expect(rankCredit(1, [1, 1, 5])).toBe(1 / 3);
    expect(rankCredit(1, [1, 0.9])).toBe(0); // tied with one, beaten by another
    expect(() => rankCredit(NaN, [1])).toThrow(/finite/);
  });

  it('standard error is the sample standard deviation over √n', () => {
    // mean 0.75; deviations 0.25, -0.75, 0.25, 0.25; variance (3·0.0625 + 0.5625)/3 = 0.25; se = √(0.25/4)
    expect(meanAndStandardError([1, 0, 1, 1])).toEqual({ mean: 0.75, se: 0.25 });
    const r = meanAndStandardError([1, 0.5, 0]);
    expect(r.mean).toBeCloseTo(0.5, 15);
    expect(r.se).toBeCloseTo(Math.sqrt(0.25 / 3), 15);
    expect(meanAndStandardError([1, 1, 1]).se).toBe(0);
  });

  it('draws k distinct others per example, never the example itself, reproducibly and fairly', () => {
    fc.assert(
      fc.property(fc.integer({ min: 2, max: 40 }), fc.integer({ min: 1, max: 39 }), fc.integer({ min: 0, max: 1e6 }), (n, kk, seed) => {
        const k = Math.min(kk, n - 1);
        const d = drawOthers(n, k, seed);
        expect(d).toEqual(drawOthers(n, k, seed));
        d.forEach((o, i) => {
          expect(new Set(o).size).toBe(k);
          for (const j of o) expect(j !== i && j >= 0 && j < n && Number.isInteger(j)).toBe(true);
        });
      }),
      { numRuns: 50 },
    );
    expect(drawOthers(50, 5, 1)).not.toEqual(drawOthers(50, 5, 2));
    // Each other index is equally likely: 4000 draws of 1 of 4 others, expected 1000 each.
    const counts = [0, 0, 0, 0, 0];
    for (const [j] of drawOthers(5, 1, 7).concat(...Array.from({ length: 799 }, (_, s) => drawOthers(5, 1, 100 + s)))) counts[j!]++;
    expect(counts.reduce((a, b) => a + b)).toBe(4000);
    for (const c of counts) expect(Math.abs(c - 800)).toBeLessThan(120);
    expect(() => drawOthers(3, 3, 0)).toThrow(/need at least 4 examples/);
  });

  it('encodes the chat template with EOS as the last scored token', () => {
    const s = encodePair(tok, 'ab', 'cd');
    expect(s.ids).toEqual(tok.encode(chatText('ab', 'cd'), { bos: true }));
    expect(s.ids[s.ids.length - 1]).toBe(tok.eos);
    expect(s.start).toBe(tok.encode(chatText('ab'), { bos: true }).length);
    expect(s.ids.length - s.start).toBe(3); // c, d, EOS
  });
});

forBackends('ranking probe: batched likelihoods', (getB, kind) => {
  let model: Llama;
  beforeAll(async () => {
    if (kind === 'webgpu') await gpu();
    model = new Llama(config, getB(), { seed: 3 });
  });

  it('equal one-at-a-time ones and a host f64 log-softmax, whatever the batch and padding', async () => {
    const seqs = DATA.flatMap((ex) => DATA.map((o) => encodePair(tok, ex.instruction, o.response)));
    seqs.push(encodePair(tok, 'a longer one', 'and longer too'));
    const batched = await meanNll(model, seqs, { batchSize: 5 });
    const single = await meanNll(model, seqs, { batchSize: 1 });
    for (let i = 0; i < seqs.length; i++) {
      expect(Math.abs(batched[i]! - single[i]!)).toBeLessThan(1e-5 * Math.max(1, single[i]!));
      expect(Math.abs(single[i]! - (await hostMeanNll(model, seqs[i]!)))).toBeLessThan(1e-5 * Math.max(1, single[i]!));
    }
    const empty = await meanNll(model, [{ ids: [0, 5, 6], start: 3 }], { batchSize: 1 });
    expect(empty[0]).toBeNaN();
    await expect(meanNll(model, [{ ids: [0, 99], start: 1 }], { batchSize: 1 })).rejects.toThrow(/token id 99 is outside the vocabulary/);
  });
});

describe('ranking probe: a model trained on the true pairs', () => {
  let model: Llama;
  beforeAll(async () => {
    model = new Llama(config, cpu, { seed: 1 });
    const seqs = DATA.map((ex) => encodePair(tok, ex.instruction, ex.response));
    const T = Math.max(...seqs.map((s) => s.ids.length));
    const xs = new Int32Array(seqs.length * T);
    const ys = new Int32Array(seqs.length * T).fill(-100);
    seqs.forEach((s, r) => {
      xs.set(s.ids, r * T);
      for (let t = s.start - 1; t + 1 < s.ids.length; t++) ys[r * T + t] = s.ids[t + 1]!;
    });
    const x = fromArray(xs, [seqs.length, T], { dtype: 'i32', backend: cpu }).keep();
    const y = fromArray(ys, [seqs.length, T], { dtype: 'i32', backend: cpu }).keep();
    const params = model.parameters();
    const m = params.map((p) => zeros(p.shape, { backend: cpu }).keep());
    const v = params.map((p) => zeros(p.shape, { backend: cpu }).keep());
    for (let i = 1; i <= 60; i++) {
      await scopeAsync(async () => {
        const l = model.loss(x, y);
        l.backward();
        clipGradNorm(
          params.map((p) => p.grad),
          1.0,
        );
        adamw(
          params,
          params.map((p) => p.grad),
          m,
          v,
          { lr: 3e-2, step: i, weightDecay: 0 },
        );
      });
      zeroGrad(params);
    }
  }, 120_000);

  it('ranks every true response first, against an untrained model near chance', async () => {
    const r = await rankProbe(model, tok, DATA, { n: 6, others: 3, seed: 5, batchSize: 4 });
    expect(r.accuracy).toBe(1);
    expect(r.se).toBe(0);
    expect(r.n).toBe(6);
    expect(r.chance).toBe(0.25);
    for (const e of r.perExample) expect(Math.max(...e.otherScores)).toBeLessThan(e.trueScore);
    const untrained = await rankProbe(new Llama(config, cpu, { seed: 9 }), tok, DATA, { n: 6, others: 3, seed: 5, batchSize: 4 });
    expect(untrained.accuracy).toBeLessThan(1);
  });

  it('an identical response of another example is an exact tie and earns half', async () => {
    const data = [...DATA, { instruction: 'g', response: 'pqr' }]; // 6 answers like 0
    const seed = Array.from({ length: 200 }, (_, s) => s).find((s) => drawOthers(7, 2, s)[0]!.includes(6))!;
    const r = await rankProbe(model, tok, data, { n: 7, others: 2, seed, batchSize: 3 });
    const first = r.perExample.find((e) => e.index === 0)!;
    expect(first.otherScores).toContain(first.trueScore);
    expect(first.credit).toBe(0.5);
    expect(r.ties).toBeGreaterThanOrEqual(1);
  });

  it('truncates to the context and leaves out examples with no response token left', async () => {
    const long: RankExample[] = [{ instruction: 'x'.repeat(45), response: 'ab' }, ...DATA];
    const r = await rankProbe(model, tok, long, { n: 7, others: 2, seed: 0, batchSize: 4 });
    expect(r.excluded).toBe(1);
    expect(r.truncated).toBeGreaterThanOrEqual(3);
    expect(r.n).toBe(6);
    await expect(rankProbe(model, tok, DATA, { n: 7, others: 2, seed: 0, batchSize: 4 })).rejects.toThrow(/n = 7 but the data set has 6/);
  });
});
