// Chat templates are input too: any template text either renders, exactly as computed here, or is
// refused with a JinjaError naming the template's file and the construct, within a time and memory
// bound (deep nesting, exploding loops, doubling strings); and a template whose assistant turns
// carry no content is reported (templateContentWarning), so training does not learn only EOS.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { run as trainCli } from '../../src/cli/train.ts';
import { microConfigJson } from '../helpers/microModel.ts';
import { dataPath } from '../../src/util/dataRoot.ts';
import { JINJA_LIMITS, JinjaError, compileJinja } from '../../src/data/jinja.ts';
import { resolveTemplate, templateContentWarning } from '../../src/data/templates.ts';
import { expectGoodMessage, maxRssMB } from './corpus.ts';

const FILE = 'evil.jinja';
const MAX_MS = 5000;
const MAX_CASE_MB = 150;
const vars = {
  messages: [
    { role: 'user', content: 'hi' },
    { role: 'assistant', content: 'yo' },
  ],
  add_generation_prompt: false,
  bos_token: '<s>',
  eos_token: '</s>',
};

/** Renders `src`; returns the text, or the refusal after checking it is a JinjaError naming FILE. */
function judge(src: string): { text: string } | { refused: string } {
  const t0 = performance.now();
  const rss0 = maxRssMB();
  let out: { text: string } | { refused: string };
  try {
    out = { text: compileJinja(src, FILE)(vars) };
  } catch (e) {
    expect(e).toBeInstanceOf(JinjaError);
    out = { refused: expectGoodMessage(e, [FILE]) };
  }
  expect(performance.now() - t0).toBeLessThan(MAX_MS);
  expect(maxRssMB() - rss0).toBeLessThan(MAX_CASE_MB);
  return out;
}

const refusal = (src: string): string => {
  const r = judge(src);
  if (!('refused' in r)) throw new Error(`rendered ${r.text.length} characters, expected a refusal`);
  return r.refused;
};

describe('resource bounds name the file and the construct', () => {
  it('5,000 nested parentheses', () => {
    expect(refusal(`{{ ${'('.repeat(5000)}1${')'.repeat(5000)} }}`)).toMatch(
      /evil\.jinja \(offset 0\): parentheses nested more than \d+ deep/,
    );
  });
  it('20,000 nested ifs', () => {
    expect(refusal(`${'{% if true %}'.repeat(20_000)}x${'{% endif %}'.repeat(20_000)}`)).toMatch(
      /evil\.jinja \(offset \d+\): "for"\/"if" blocks nested more than/,
    );
  });
  it('a 100,000-term operator chain, "not" x 50,000, list literals 10,000 deep', () => {
    expect(refusal(`{{ ${Array(100_000).fill('1').join(' + ')} }}`)).toContain('nests operators more than');
    expect(refusal(`{{ ${'not '.repeat(50_000)}true }}`)).toContain('"not" nested more than');
    expect(refusal(`{{ ${'['.repeat(10_000)}${']'.repeat(10_000)} }}`)).toContain('list literals nested more than');
  });
  it('9 nested loops of 10 (10^9 iterations) stop at the step limit, naming the loop', () => {
    const ten = '[0,1,2,3,4,5,6,7,8,9]';
    const src = `${Array.from({ length: 9 }, (_, i) => `{% for i${i} in ${ten} %}`).join('')}x${'{% endfor %}'.repeat(9)}`;
    expect(refusal(src)).toMatch(/evil\.jinja \(offset \d+\): \{% for i\d in \[0,1,2.*%\}: rendering takes more than 2000000 steps/);
  });
  it('a string doubled 40 times stops at the size limit', () => {
    const src = `{% set s = 'ab' %}${'{% set s = s ~ s %}'.repeat(40)}{{ s }}`;
    expect(refusal(src)).toMatch(/\{% set s = s ~ s %\}: a string would be longer than/);
    expect(refusal(`{% set s = 'ab' %}${'{% set s = s + s %}'.repeat(40)}{{ s }}`)).toContain('a string would be longer than');
    expect(refusal(`{% set s = [1] %}${'{% set s = s + s %}'.repeat(40)}{{ s | length }}`)).toContain('a list would be longer than');
  });
  it('output past the limit, from a loop that prints', () => {
    const big = `{% set s = '${'x'.repeat(1000)}' %}${'{% set s = s ~ s %}'.repeat(12)}`; // 4 MB string
    expect(refusal(`${big}{% for a in [1,2,3,4,5] %}{{ s }}{% endfor %}`)).toContain('the output would be longer than');
    expect(refusal(`${big}{% for c in s %}{% endfor %}`)).toMatch(/\{% for c in s %\}: a list would be longer than 1048576 items/);
  });
});

describe('properties: generated templates render exactly or are refused in words', () => {
  it('nested loops print product-of-counts copies of the body, or stop at the step limit', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 60 }), { minLength: 1, maxLength: 6 }),
        fc.string({ maxLength: 5 }).filter((b) => !/[{}%#]/.test(b)),
        (counts, body) => {
          const src =
            counts.map((n, i) => `{% for v${i} in [${Array(n).fill(0).join(',')}] %}`).join('') +
            `{{ '${body.replace(/['\\]/g, '')}' }}` +
            '{% endfor %}'.repeat(counts.length);
          const safeBody = body.replace(/['\\]/g, '');
          const iterations = counts.reduce((p, n) => p * n, 1);
          const r = judge(src);
          if ('text' in r) expect(r.text).toBe(safeBody.repeat(iterations));
          else {
            // every level's iterations count (an empty inner list still costs its outer loops)
            let prefix = 1;
            const visited = counts.reduce((sum, n) => sum + (prefix *= n), 0);
            expect(visited).toBeGreaterThan(JINJA_LIMITS.steps / 10);
            expect(r.refused).toContain('rendering takes more than');
          }
        },
      ),
      { numRuns: 40 },
    );
  });

  it('nesting of every kind renders at a modest depth and is refused past the limit', () => {
    const kinds: Record<string, (d: number) => [string, string]> = {
      parens: (d) => [`{{ ${'('.repeat(d)}7${')'.repeat(d)} }}`, '7'],
      not: (d) => [`{{ ${'not '.repeat(d)}false }}`, d % 2 ? 'True' : 'False'],
      minus: (d) => [`{{ ${'-'.repeat(d)}7 }}`, d % 2 ? '-7' : '7'],
      ifs: (d) => [`${'{% if true %}'.repeat(d)}7${'{% endif %}'.repeat(d)}`, '7'],
      loops: (d) => [`${'{% for x in [1] %}'.repeat(d)}7${'{% endfor %}'.repeat(d)}`, '7'],
      chain: (d) => [
        `{{ ${Array(d + 1)
          .fill('1')
          .join(' + ')} }}`,
        String(d + 1),
      ],
      index: (d) => [`{{ ${'['.repeat(d)}7${']'.repeat(d)}${'[0]'.repeat(d)} }}`, '7'],
    };
    fc.assert(
      fc.property(
        fc.constantFrom(...Object.keys(kinds)),
        fc.oneof(fc.integer({ min: 1, max: 50 }), fc.integer({ min: 300, max: 30_000 })),
        (kind, d) => {
          const [src, want] = kinds[kind]!(d);
          const r = judge(src);
          if (d <= 50) expect(r).toEqual({ text: want });
          else expect('refused' in r && /nested more than|nests operators more than/.test(r.refused)).toBe(true);
        },
      ),
      { numRuns: 60 },
    );
  });

  it('any text as a template: renders or is refused with a JinjaError naming the file', () => {
    const piece = fc.oneof(
      fc.string({ maxLength: 6 }),
      fc.constantFrom(
        '{{',
        '}}',
        '{%',
        '%}',
        '{#',
        '#}',
        ' for x in messages ',
        ' endfor ',
        ' if ',
        ' endif ',
        ' set a = ',
        'messages',
        'loop.index',
        '(',
        ')',
        '[',
        ']',
        '~',
        '+',
        '*',
        '|length',
        'not ',
        "'",
        '"',
        'constructor',
        '__proto__',
        '.toString',
        '-',
        '\n',
      ),
    );
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 30 }), (parts) => {
        judge(parts.join(''));
      }),
      { numRuns: 300 },
    );
  });
});

describe('templates whose assistant turns carry no content are reported', () => {
  const dir = mkdtempSync(join(tmpdir(), 'heed-badtpl-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const write = (name: string, text: string): string => {
    const p = join(dir, name);
    writeFileSync(p, text);
    return p;
  };
  it('tag + EOS only: warned, naming the file; the built-ins and a content template are not', () => {
    const bad = write(
      'eos-only.jinja',
      "{% for m in messages %}{% if m.role == 'user' %}<u>{{ m.content }}{% else %}<a>{{ eos_token }}{% endif %}{% endfor %}{% if add_generation_prompt %}<a>{% endif %}",
    );
    const w = templateContentWarning(resolveTemplate(bad));
    expect(w).toContain('eos-only.jinja');
    expect(w).toContain('without its content');
    const good = write(
      'good.jinja',
      "{% for m in messages %}{% if m.role == 'user' %}<u>{{ m.content }}{% else %}<a>{{ m.content }}{{ eos_token }}{% endif %}{% endfor %}{% if add_generation_prompt %}<a>{% endif %}",
    );
    expect(templateContentWarning(resolveTemplate(good))).toBeUndefined();
    for (const name of ['tulu', 'alpaca', 'none', 'dataset-name']) expect(templateContentWarning(resolveTemplate(name))).toBeUndefined();
  });
  it('heed train with such a template says so on stderr before training', async () => {
    const tpl = write(
      'tag-eos.jinja',
      "{% for m in messages %}{% if m.role == 'user' %}<u>{{ m.content }}\n{% else %}<a>{{ eos_token }}{% endif %}{% endfor %}{% if add_generation_prompt %}<a>{% endif %}",
    );
    const cfg = write('config.json', microConfigJson(64));
    const data = write(
      'chat.jsonl',
      Array.from({ length: 6 }, (_, i) =>
        JSON.stringify({
          messages: [
            { role: 'user', content: `Count to ${i}` },
            { role: 'assistant', content: `One two ${i}` },
          ],
        }),
      ).join('\n'),
    );
    const err: string[] = [];
    const spy = vi.spyOn(process.stderr, 'write').mockImplementation((x) => (err.push(String(x)), true));
    try {
      expect(
        await trainCli([
          '--mode',
          'instruction',
          '--data',
          data,
          '--template',
          tpl,
          '--out',
          join(dir, 'run'),
          '--max-steps',
          '1',
          '--heldout',
          '0',
          '--config',
          cfg,
          '--tokenizer',
          dataPath('llama2c-stories260K', 'tok512.bin'),
          '--backend',
          'cpu',
          '--seq-len',
          '32',
        ]),
      ).toBe(0);
    } finally {
      spy.mockRestore();
    }
    expect(err.join('')).toMatch(
      /WARNING: template tag-eos\.jinja renders an assistant turn without its content .* training with it learns nothing of the responses/,
    );
  });
  it('a user template JSON whose assistant text drops nothing but whose user text is all that is learned', () => {
    // "{content}" must appear in "assistant" for a user template, so only Jinja can drop it.
    const p = write('ok.json', JSON.stringify({ user: 'U: {content}\n', assistant: 'A: {content}{eos}' }));
    expect(templateContentWarning(resolveTemplate(p))).toBeUndefined();
  });
});
