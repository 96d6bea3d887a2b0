// Corrupted llama2.c checkpoints and tokenizer.bin files (stories260K): every one either loads as
// the original model or is refused fast, naming the file; `heed convert` fails the same way and
// leaves nothing at its output path.
import { writeFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Corpus } from './corpus.ts';
import { freshPath, judgeConvert, judgeLoad, makeCorpus, readBytes, setF32, setI32 } from './corpus.ts';

const c: Corpus = makeCorpus();
const bin = readBytes(c.bin);
const tokBin = readBytes(c.tokBin);
const N_WEIGHTS = 260032; // floats between the header and freq_cis

/** i32 values that break headers in different ways: zero, negative, off by one, halved/doubled, huge. */
const i32Value = fc.oneof(
  fc.constantFrom(0, -1, 1, 2, 3, 4, 5, 6, 8, 16, 32, 64, 128, 172, 256, 344, 511, 512, 513, 1024, 10 ** 6, 2 ** 31 - 1, -(2 ** 31), -512),
  fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }),
);
const badFloat = fc.constantFrom(NaN, Infinity, -Infinity);
const convertTo = fc.constantFrom('hf' as const, 'gguf' as const, 'llama2c' as const);

/** Where each token's score and length sit in tok512.bin. */
function tokenOffsets(b: Uint8Array): { scoreAt: number[]; lenAt: number[] } {
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const scoreAt: number[] = [];
  const lenAt: number[] = [];
  for (let o = 4; o < b.length; ) {
    scoreAt.push(o);
    lenAt.push(o + 4);
    o += 8 + v.getInt32(o + 4, true);
  }
  return { scoreAt, lenAt };
}
const tokOffsets = tokenOffsets(tokBin);

type BinMutation =
  | { kind: 'truncate'; at: number }
  | { kind: 'header'; field: number; value: number }
  | { kind: 'two-fields'; a: number; av: number; b: number; bv: number }
  | { kind: 'non-finite weight'; index: number; value: number }
  | { kind: 'append'; extra: number };

const binMutation: fc.Arbitrary<BinMutation> = fc.oneof(
  fc.record({ kind: fc.constant('truncate' as const), at: fc.integer({ min: 0, max: bin.length - 1 }) }),
  fc.record({ kind: fc.constant('header' as const), field: fc.integer({ min: 0, max: 6 }), value: i32Value }),
  fc.record({
    kind: fc.constant('two-fields' as const),
    a: fc.integer({ min: 0, max: 6 }),
    av: i32Value,
    b: fc.integer({ min: 0, max: 6 }),
    bv: i32Value,
  }),
  fc.record({ kind: fc.constant('non-finite weight' as const), index: fc.integer({ min: 0, max: N_WEIGHTS - 1 }), value: badFloat }),
  fc.record({ kind: fc.constant('append' as const), extra: fc.integer({ min: 1, max: 64 }) }),
);

function applyBin(m: BinMutation): Uint8Array {
  switch (m.kind) {
    case 'truncate':
      return bin.slice(0, m.at);
    case 'append':
      return Uint8Array.from([...bin, ...new Uint8Array(m.extra).fill(7)]);
    default: {
      const b = bin.slice();
      if (m.kind === 'header') setI32(b, 4 * m.field, m.value);
      else if (m.kind === 'two-fields') {
        setI32(b, 4 * m.a, m.av);
        setI32(b, 4 * m.b, m.bv);
      } else setF32(b, 28 + 4 * m.index, m.value);
      return b;
    }
  }
}

type TokMutation =
  | { kind: 'truncate'; at: number }
  | { kind: 'max_token_length'; value: number }
  | { kind: 'piece length'; token: number; value: number }
  | { kind: 'non-finite score'; token: number; value: number };

const nTok = tokOffsets.lenAt.length;
const tokMutation: fc.Arbitrary<TokMutation> = fc.oneof(
  fc.record({ kind: fc.constant('truncate' as const), at: fc.integer({ min: 0, max: tokBin.length - 1 }) }),
  fc.record({ kind: fc.constant('max_token_length' as const), value: i32Value }),
  fc.record({ kind: fc.constant('piece length' as const), token: fc.integer({ min: 0, max: nTok - 1 }), value: i32Value }),
  fc.record({ kind: fc.constant('non-finite score' as const), token: fc.integer({ min: 0, max: nTok - 1 }), value: badFloat }),
);

function applyTok(m: TokMutation): Uint8Array {
  if (m.kind === 'truncate') return tokBin.slice(0, m.at);
  const b = tokBin.slice();
  if (m.kind === 'max_token_length') setI32(b, 0, m.value);
  else if (m.kind === 'piece length') setI32(b, tokOffsets.lenAt[m.token]!, m.value);
  else setF32(b, tokOffsets.scoreAt[m.token]!, m.value);
  return b;
}

describe('corrupted llama2.c files: load as the original or refused, naming the file', () => {
  it('stories260K.bin: truncations, header fields, non-finite weights, trailing bytes', async () => {
    const seen = new Map<string, number>();
    await fc.assert(
      fc.asyncProperty(binMutation, convertTo, async (m, to) => {
        const path = freshPath(c, 'model.bin');
        writeFileSync(path, applyBin(m));
        const outcome = judgeLoad(c, path, c.tokBin, [path]);
        seen.set(`${m.kind} ${outcome}`, (seen.get(`${m.kind} ${outcome}`) ?? 0) + 1);
        await judgeConvert(path, c.tokBin, to, outcome, [path]);
      }),
      { numRuns: 60 },
    );
    // every mutation kind that changes the model must have been refused
    for (const k of seen.keys()) if (!k.startsWith('two-fields') && !k.startsWith('header')) expect(k).toMatch(/refused$/);
  });

  it('tok512.bin: truncations, max_token_length, piece lengths, non-finite scores', async () => {
    await fc.assert(
      fc.asyncProperty(tokMutation, convertTo, async (m, to) => {
        const path = freshPath(c, 'tokenizer.bin');
        writeFileSync(path, applyTok(m));
        const outcome = judgeLoad(c, c.bin, path, [path]);
        await judgeConvert(c.bin, path, to, outcome, [path]);
      }),
      { numRuns: 50 },
    );
  });

  it('the same model under every header that keeps the byte count is refused (seq_len/heads traded)', () => {
    // heads 8→4 with kv heads 4→2 keeps every weight shape; seq_len 512→256 keeps the freq_cis size
    const b = bin.slice();
    setI32(b, 12, 4);
    setI32(b, 16, 2);
    setI32(b, 24, 256);
    const path = freshPath(c, 'traded.bin');
    writeFileSync(path, b);
    expect(() => judgeLoad(c, path, c.tokBin, [path])).not.toThrow();
    expect(judgeLoad(c, path, c.tokBin, [path])).toBe('refused');
  });
});
