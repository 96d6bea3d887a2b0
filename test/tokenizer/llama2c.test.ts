import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { dataPath } from '../../src/util/dataRoot.ts';
import { loadLlama2cTokenizer, parseLlama2cTokenizer, writeLlama2cTokenizer } from '../../src/tokenizer/llama2c.ts';
import { StreamDecoder } from '../../src/tokenizer/stream.ts';
import { TokenType } from '../../src/tokenizer/tokenizer.ts';

interface Expected {
  prompt: string;
  expected_tokens_with_bos: number[];
}

describe('llama2.c 32k tokenizer.bin', () => {
  const tok = loadLlama2cTokenizer(dataPath('llama2c-tokenizer-32k', 'tokenizer.bin'));
  const cases = JSON.parse(readFileSync(dataPath('llama2c-tokenizer-32k', 'expected_encodings.json'), 'utf8')) as Expected[];

  it('loads 32000 tokens with Llama-2 ids', () => {
    expect(tok.vocabSize).toBe(32000);
    expect([tok.bos, tok.eos, tok.unk]).toEqual([1, 2, 0]);
    expect(tok.idToPiece(13)).toBe('<0x0A>');
    expect(tok.types[13]).toBe(TokenType.byte);
    expect(tok.idToPiece(306)).toBe(' I');
  });

  it.each(cases.map((c) => [c.prompt, c.expected_tokens_with_bos] as const))('encodes %j like llama2.c test.c', (prompt, ids) => {
    expect(tok.encode(prompt, { bos: true })).toEqual(ids);
    expect(tok.decode(ids)).toBe(`<s>${prompt}`);
    expect(tok.decode(ids, { skipSpecial: true })).toBe(prompt);
  });

  it('round-trips arbitrary Unicode through byte fallback', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 40 }), (s) => {
        expect(tok.decode(tok.encode(s))).toBe(s);
      }),
      { numRuns: 300 },
    );
  });

  it('writes tokenizer.bin back byte for byte', () => {
    const raw = readFileSync(dataPath('llama2c-tokenizer-32k', 'tokenizer.bin'));
    expect(Buffer.from(writeLlama2cTokenizer(tok)).equals(raw)).toBe(true);
  });
});

describe('tok512.bin (stories260K)', () => {
  const path = dataPath('llama2c-stories260K', 'tok512.bin');
  const tok = loadLlama2cTokenizer(path);

  it('round-trips text', () => {
    const texts = ['Once upon a time, there was a little girl named Lily.', '', ' ', '  two  spaces\n\tand tab', 'ünïcödé 日本語 😀👩‍👩‍👧'];
    for (const t of texts) expect(tok.decode(tok.encode(t, { bos: true }), { skipSpecial: true })).toBe(t);
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 60 }), (s) => {
        expect(tok.decode(tok.encode(s))).toBe(s);
      }),
      { numRuns: 300 },
    );
  });

  it('decodes the golden greedy run like run.c', () => {
    const golden = JSON.parse(readFileSync(dataPath('llama2c-stories260K', 'expected_greedy_t0_n256_tokens_logits.json'), 'utf8')) as {
      tokens: number[];
    };
    const expected = readFileSync(dataPath('llama2c-stories260K', 'expected_greedy_t0_n256.txt'), 'utf8');
    expect(golden.tokens[0]).toBe(tok.bos);
    expect(tok.decode(golden.tokens, { skipSpecial: true })).toBe(expected);
    // streaming, one token at a time, as a generation loop would
    const stream = new StreamDecoder(tok, { prev: golden.tokens[0]! });
    let text = '';
    for (const id of golden.tokens.slice(1)) text += stream.push(id);
    expect(text + stream.flush()).toBe(expected);
  });

  it('writes tok512.bin back byte for byte', () => {
    const raw = readFileSync(path);
    expect(Buffer.from(writeLlama2cTokenizer(tok)).equals(raw)).toBe(true);
    expect(parseLlama2cTokenizer(writeLlama2cTokenizer(tok)).encode('The cat sat.')).toEqual(tok.encode('The cat sat.'));
  });

  it('streams a character split over byte-fallback tokens', () => {
    const ids = tok.encode('日😀');
    expect(ids.every((id) => tok.types[id] === TokenType.byte || tok.idToPiece(id) === ' ')).toBe(true);
    const stream = new StreamDecoder(tok);
    const pieces = ids.map((id) => stream.push(id));
    expect(pieces.join('') + stream.flush()).toBe('日😀');
    expect(pieces.every((p) => !p.includes('\uFFFD'))).toBe(true);
  });

  it('registers chat special tokens as single ids', () => {
    const t = parseLlama2cTokenizer(readFileSync(path));
    const user = t.registerSpecial('<|user|>');
    const asst = t.registerSpecial('<|assistant|>');
    expect([user, asst]).toEqual([512, 513]);
    const ids = t.encode('<|user|>\nHi\n<|assistant|>\nHello</s>');
    expect(ids.filter((i) => i === user || i === asst || i === t.eos)).toEqual([user, asst, t.eos]);
    expect(ids[ids.length - 1]).toBe(t.eos);
    expect(t.decode(ids)).toBe('<|user|>\nHi\n<|assistant|>\nHello</s>');
  });
});
