// Batching (padding, masks, bucketing, seeded epochs, resumable positions), packing, encoding.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BatchStream, type Example, collate, planEpoch } from '../../src/data/batch.ts';
import { IGNORE } from '../../src/data/chat.ts';
import { encodeDataset } from '../../src/data/encode.ts';
import { packDocuments } from '../../src/data/pretrain.ts';
import { loadLlama2cTokenizer } from '../../src/tokenizer/llama2c.ts';
import { dataPath } from '../../src/util/dataRoot.ts';

const I = IGNORE;

describe('collate', () => {
  it('shifts, pads right and masks (hand-computed)', () => {
    const b = collate(
      [
        { ids: [1, 5, 6, 7], labels: [I, I, 6, 7] },
        { ids: [1, 9], labels: [I, 9] },
      ],
      0,
    );
    expect([b.B, b.T, b.tokens]).toEqual([2, 3, 3]);
    expect([...b.x]).toEqual([1, 5, 6, 1, 0, 0]);
    expect([...b.y]).toEqual([I, 6, 7, 9, I, I]);
    expect([...b.keyMask!]).toEqual([1, 1, 1, 1, 0, 0]);
    expect(collate([{ ids: [1, 2], labels: [1, 2] }], 0).keyMask).toBeNull();
  });
  it('refuses examples it cannot train on', () => {
    expect(() => collate([], 0)).toThrow(/no examples/);
    expect(() => collate([{ ids: [1], labels: [1] }], 0)).toThrow(/at least 2 tokens/);
    expect(() => collate([{ ids: [1, 2], labels: [1] }], 0)).toThrow(/2 ids but 1 labels/);
  });
});

describe('planEpoch', () => {
  it('visits every example exactly once per epoch, deterministically per (seed, epoch)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 2, max: 50 }), { minLength: 1, maxLength: 200 }),
        fc.integer({ min: 1, max: 9 }),
        fc.nat(),
        fc.integer({ min: 0, max: 4 }),
        (lengths, bs, seed, bucket) => {
          const opts = { batchSize: bs, seed, bucketBatches: bucket };
          const p = planEpoch(lengths, 0, opts);
          expect(p.flat().sort((a, b) => a - b)).toEqual(lengths.map((_, i) => i));
          expect(p.every((b, i) => b.length === bs || i === p.length - 1 || bucket > 1)).toBe(true);
          expect(p.filter((b) => b.length < bs).length).toBeLessThanOrEqual(1);
          expect(planEpoch(lengths, 0, opts)).toEqual(p);
        },
      ),
    );
  });
  it('reshuffles across epochs and seeds; keeps file order without shuffling', () => {
    const lengths = Array.from({ length: 64 }, (_, i) => 2 + (i % 7));
    const o = { batchSize: 4, seed: 3, bucketBatches: 0 };
    expect(planEpoch(lengths, 1, o)).not.toEqual(planEpoch(lengths, 0, o));
    expect(planEpoch(lengths, 0, { ...o, seed: 4 })).not.toEqual(planEpoch(lengths, 0, o));
    expect(planEpoch(lengths, 0, { ...o, shuffle: false }).flat()).toEqual(lengths.map((_, i) => i));
  });
  it('bucketing cuts padding', () => {
    const lengths = Array.from({ length: 400 }, (_, i) => 2 + ((i * 37) % 200));
    const pad = (p: number[][]) =>
      p.reduce((s, b) => s + b.length * Math.max(...b.map((i) => lengths[i]!)) - b.reduce((t, i) => t + lengths[i]!, 0), 0);
    expect(pad(planEpoch(lengths, 0, { batchSize: 8, seed: 1, bucketBatches: 50 }))).toBeLessThan(
      pad(planEpoch(lengths, 0, { batchSize: 8, seed: 1, bucketBatches: 0 })) / 10,
    );
  });
});

describe('BatchStream', () => {
  const examples: Example[] = Array.from({ length: 10 }, (_, i) => ({ ids: [1, i + 2, i + 3], labels: [I, i + 2, i + 3] }));
  it('rolls over epochs and resumes from a position', () => {
    const opts = { batchSize: 3, seed: 7, padId: 0 };
    const a = new BatchStream(examples, opts);
    expect(a.batchesPerEpoch).toBe(4);
    const seen = Array.from({ length: 9 }, () => [...a.next().x]);
    expect(a.position()).toEqual({ epoch: 2, batch: 1 });
    const b = new BatchStream(examples, opts, { epoch: 1, batch: 2 });
    expect(Array.from({ length: 3 }, () => [...b.next().x])).toEqual(seen.slice(6));
    expect(() => new BatchStream(examples, opts, { epoch: 0, batch: 5 })).toThrow(/past the 4 batches/);
    expect(() => new BatchStream([], opts)).toThrow(/no training examples/);
  });
});

describe('packing and encoding', () => {
  const tok = loadLlama2cTokenizer(dataPath('llama2c-stories260K', 'tok512.bin'));
  it('packs BOS doc EOS streams into overlapping windows of seqLen + 1', () => {
    const docs = ['Once upon a time', 'The cat sat'];
    const stream = docs.flatMap((d) => tok.encode(d, { bos: true, eos: true }));
    const p = packDocuments(docs, tok, 4);
    expect(p.tokens).toBe(stream.length);
    p.examples.forEach((e, k) => {
      expect(e.ids).toEqual(stream.slice(4 * k, 4 * k + 5));
      expect(e.labels).toEqual(e.ids);
    });
    expect(p.examples.length * 4 + 1 + p.droppedTail).toBe(stream.length);
  });
  it('encodes a dataset, counting truncation and rows left without labels', () => {
    const d = {
      source: 't',
      skipped: { count: 0, reasons: new Map(), examples: [] },
      rows: [
        {
          id: 'a',
          messages: [
            { role: 'user' as const, content: 'Hi' },
            { role: 'assistant' as const, content: 'Hello there my friend' },
          ],
        },
        {
          id: 'b',
          messages: [
            { role: 'user' as const, content: 'A very long question indeed, longer than the limit' },
            { role: 'assistant' as const, content: 'x' },
          ],
        },
      ],
    };
    const full = encodeDataset(d, tok, { maxLen: 1000 });
    expect([full.examples.length, full.truncated, full.droppedNoLabels]).toEqual([2, 0, 0]);
    const promptLen = tok.encode('<|user|>\nHi\n<|assistant|>\n', { bos: true }).length;
    const cut = encodeDataset(d, tok, { maxLen: promptLen + 2 });
    expect([cut.examples.length, cut.truncated, cut.droppedNoLabels, cut.labelledTokens]).toEqual([1, 2, 1, 2]);
  });
});
