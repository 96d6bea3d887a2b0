import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { TokenizerLoader } from '@lenml/tokenizers';
import type { NSTokenizerConfig, NSTokenizerJSON } from '@lenml/tokenizers';
import { dataPath } from '../../src/util/dataRoot.ts';
import { trainBPE } from '../../src/tokenizer/train.ts';
import { parseLlama2cTokenizer, writeLlama2cTokenizer } from '../../src/tokenizer/llama2c.ts';
import { loadHFTokenizer, toHFTokenizerJSON } from '../../src/tokenizer/hf.ts';
import { SentencePieceBPE } from '../../src/tokenizer/sentencepiece.ts';
import { CHAT_ASSISTANT, CHAT_USER, TokenType, chatText } from '../../src/tokenizer/tokenizer.ts';
import { RANDOM_STRINGS, fragmentText } from './hfCases.ts';

const stories = readFileSync(dataPath('tinystories-subset', 'tinystories_train_prefix_original_case.txt'), 'utf8');
const SPECIALS = [CHAT_USER, CHAT_ASSISTANT];
const tok = trainBPE(stories, { vocabSize: 1024, specialTokens: SPECIALS });
const texts = fc.oneof(RANDOM_STRINGS, fragmentText([...SPECIALS, '</s>', '<s>', '<unk>']));

describe('BPE training', () => {
  it('lays out the vocabulary like Llama', () => {
    expect(tok.vocabSize).toBe(1024);
    expect(tok.pieces.slice(0, 3)).toEqual(['<unk>', '<s>', '</s>']);
    expect(tok.idToPiece(3)).toBe('<0x00>');
    expect(tok.idToPiece(258)).toBe('<0xFF>');
    expect(tok.types[258]).toBe(TokenType.byte);
    expect([tok.pieceToId(CHAT_USER), tok.pieceToId(CHAT_ASSISTANT)]).toEqual([259, 260]);
    expect(tok.scores[261]).toBe(-0);
    expect(tok.scores[262]).toBe(-1);
  });

  it('is deterministic', () => {
    const again = trainBPE(stories, { vocabSize: 1024, specialTokens: SPECIALS });
    expect(again.pieces).toEqual(tok.pieces);
    expect(Array.from(again.scores)).toEqual(Array.from(tok.scores));
  });

  it('compresses its training text', () => {
    const ids = tok.encode(stories);
    expect(ids.length).toBeLessThan(Buffer.byteLength(stories) / 2.5);
    expect(tok.decode(ids)).toBe(stories);
  });

  it('trains 4k pieces on 2 MB quickly and compresses it', () => {
    const text = readFileSync(dataPath('tinystories-subset', 'tinystories_train_prefix_lowercased.txt'), 'utf8').slice(0, 2_000_000);
    const t0 = performance.now();
    const big = trainBPE(text, { vocabSize: 4096 });
    expect(performance.now() - t0).toBeLessThan(15_000);
    expect(big.vocabSize).toBe(4096);
    expect(big.encode(text).length).toBeLessThan(Buffer.byteLength(text) / 3.5);
  });

  it('round-trips any string (property)', () => {
    fc.assert(
      fc.property(texts, (s) => {
        expect(tok.decode(tok.encode(s))).toBe(s);
      }),
      { numRuns: 500 },
    );
  });

  it('encodes the chat template with single-id markers', () => {
    const text = chatText('Name a colour.', 'Blue.');
    const ids = tok.encode(text, { bos: true });
    expect(ids[0]).toBe(1);
    expect(ids[1]).toBe(tok.pieceToId(CHAT_USER));
    expect(ids).toContain(tok.pieceToId(CHAT_ASSISTANT));
    expect(ids[ids.length - 1]).toBe(tok.eos);
    // the dummy prefix after each marker is dropped again
    expect(tok.decode(ids, { skipSpecial: true })).toBe('\nName a colour.\n\nBlue.');
    expect(tok.decode(ids)).toBe(`<s>${text}`);
  });

  it('encodes the same after saving to tokenizer.bin and loading', () => {
    const back = parseLlama2cTokenizer(writeLlama2cTokenizer(tok));
    expect(back.pieces).toEqual(tok.pieces);
    expect(Array.from(back.types)).toEqual(Array.from(tok.types));
    fc.assert(
      fc.property(texts, (s) => {
        expect(back.encode(s, { bos: true })).toEqual(tok.encode(s, { bos: true }));
      }),
      { numRuns: 200 },
    );
  });

  it('encodes the same after saving to tokenizer.json and loading (heed and transformers.js)', () => {
    const json = toHFTokenizerJSON(tok);
    const back = loadHFTokenizer(JSON.stringify(json));
    expect(back).toBeInstanceOf(SentencePieceBPE);
    const ref = TokenizerLoader.fromPreTrained({
      tokenizerJSON: json as unknown as NSTokenizerJSON.Root,
      tokenizerConfig: { tokenizer_class: 'PreTrainedTokenizerFast' } as unknown as NSTokenizerConfig.Root,
    });
    // the HF form reads U+2581 as a space, heed's own form keeps it as text
    const comparable = (s: string): boolean => !s.includes('\u2581');
    for (const s of [stories.slice(0, 2000), 'Hello there!\n  Two  spaces\tand 123 日本 😀', chatText('Hi?', 'Yes.')]) {
      expect(back.encode(s)).toEqual(tok.encode(s));
      expect(ref.encode(s, { add_special_tokens: false })).toEqual(tok.encode(s));
    }
    fc.assert(
      fc.property(texts.filter(comparable), (s) => {
        const ids = tok.encode(s);
        expect(back.encode(s)).toEqual(ids);
        expect(ref.encode(s, { add_special_tokens: false })).toEqual(ids);
      }),
      { numRuns: 200 },
    );
  });

  it('exports a GGUF vocabulary and loads it back', () => {
    const v = tok.vocabulary();
    expect(v.tokens.length).toBe(tok.vocabSize);
    expect(v.tokens.some((t) => t.includes(' '))).toBe(false);
    expect(v.types.slice(0, 4)).toEqual([2, 3, 3, 6]);
    const back = SentencePieceBPE.fromVocabulary(v);
    const s = stories.slice(0, 3000);
    expect(back.encode(s, { bos: true })).toEqual(tok.encode(s, { bos: true }));
  });
});
