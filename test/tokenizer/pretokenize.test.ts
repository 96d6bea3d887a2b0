import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  GPT2_PATTERN,
  LLAMA3_PATTERN,
  bytesToUnicode,
  compileHFRegex,
  regexPreTokenizer,
  unicodeToBytes,
} from '../../src/tokenizer/pretokenize.ts';
import { byteLevelFromHF } from '../../src/tokenizer/hf.ts';
import { SpecialSplitter } from '../../src/tokenizer/special.ts';
import type { HFTokenizerJSON } from '../../src/tokenizer/hf.ts';

describe('pre-tokenizers', () => {
  it('splits like GPT-2', () => {
    const split = regexPreTokenizer(GPT2_PATTERN);
    expect(split("Hello world's  test 123\n\n x")).toEqual(['Hello', ' world', "'s", ' ', ' test', ' 123', '\n\n', ' x']);
  });

  it('splits like Llama-3 (case-insensitive contractions, digit triples)', () => {
    const split = regexPreTokenizer(LLAMA3_PATTERN);
    expect(split("WE'LL pay 1234567 ok?!\r\n  hi")).toEqual(['WE', "'LL", ' pay', ' ', '123', '456', '7', ' ok', '?!\r\n', ' ', ' hi']);
  });

  it('compiles Rust-only syntax', () => {
    expect(compileHFRegex("(?i:'s)|\\#").source).toBe("(?:'[sS])|#");
  });

  it('loses no text (property)', () => {
    const splits = [regexPreTokenizer(GPT2_PATTERN), regexPreTokenizer(LLAMA3_PATTERN)];
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 50 }), (s) => {
        for (const split of splits) expect(split(s).join('')).toBe(s);
      }),
    );
  });

  it('maps bytes to 256 distinct printable characters and back', () => {
    const m = bytesToUnicode();
    expect(new Set(m).size).toBe(256);
    expect(m[0x20]).toBe('Ġ');
    expect(m[0x0a]).toBe('Ċ');
    expect(m[0x41]).toBe('A');
    m.forEach((c, b) => expect(unicodeToBytes().get(c)).toBe(b));
  });

  it('splits special tokens by longest match and honours lstrip/rstrip', () => {
    const sp = new SpecialSplitter([
      { id: 1, content: '<a>' },
      { id: 2, content: '<a><b>' },
      { id: 3, content: '<c>', lstrip: true, rstrip: true },
    ]);
    const out = sp.split('x<a><b>y<a> z  <c>  w');
    expect(out.map((s) => ('token' in s ? s.token.id : s.text))).toEqual(['x', 2, 'y', 1, ' z', 3, 'w']);
  });
});

describe('GPT-2-style byte-level tokenizer.json', () => {
  // a toy vocabulary: every byte, plus the merges "Ġ t", "h e", "Ġt he"
  const chars = bytesToUnicode();
  const vocab: Record<string, number> = {};
  chars.forEach((c, i) => (vocab[c] = i));
  for (const p of ['Ġt', 'he', 'Ġthe']) vocab[p] = Object.keys(vocab).length;
  vocab['<|endoftext|>'] = Object.keys(vocab).length;
  const json: HFTokenizerJSON = {
    added_tokens: [{ id: vocab['<|endoftext|>']!, content: '<|endoftext|>', special: true }],
    normalizer: null,
    pre_tokenizer: { type: 'ByteLevel', add_prefix_space: false, use_regex: true },
    decoder: { type: 'ByteLevel' },
    model: { type: 'BPE', vocab, merges: ['Ġ t', 'h e', 'Ġt he'] },
  };
  const tok = byteLevelFromHF(json);

  it('merges by rank inside regex words', () => {
    expect(tok.encode(' the')).toEqual([vocab.Ġthe]);
    expect(tok.encode('the the<|endoftext|>')).toEqual([vocab.t, vocab.he, vocab.Ġthe, vocab['<|endoftext|>']]);
    expect(tok.eos).toBe(vocab['<|endoftext|>']);
  });

  it('round-trips arbitrary strings', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 40 }), (s) => {
        expect(tok.decode(tok.encode(s))).toBe(s);
      }),
    );
  });
});
