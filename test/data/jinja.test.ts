// The Jinja subset against Jinja2 itself: templates rendered by transformers' settings
// (trim_blocks, lstrip_blocks) in test/fixtures/data/make_jinja_fixture.py, compared byte for byte;
// plus hand-computed expressions and the refusals that name what is unsupported.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { compileJinja } from '../../src/data/jinja.ts';

interface Case {
  template: string;
  conversation: string;
  messages: { role: string; content: string }[];
  add_generation_prompt: boolean;
  text?: string;
  error?: string;
}
const fx = JSON.parse(readFileSync(new URL('../fixtures/data/jinja-chat-templates.json', import.meta.url), 'utf8')) as {
  templates: Record<string, string>;
  cases: Case[];
};

describe('chat templates render exactly as Jinja2 renders them', () => {
  it.each(fx.cases.map((c) => [`${c.template} / ${c.conversation} / gen=${c.add_generation_prompt}`, c] as const))('%s', (_, c) => {
    const render = compileJinja(fx.templates[c.template]!, c.template);
    const vars = { messages: c.messages, add_generation_prompt: c.add_generation_prompt, bos_token: '<s>', eos_token: '</s>' };
    if (c.error !== undefined) expect(() => render(vars)).toThrow(`the chat template raised: ${c.error}`);
    else expect(render(vars)).toBe(c.text);
  });
});

describe('expressions (hand-computed)', () => {
  const r = (src: string, vars: Record<string, never> | Record<string, unknown> = {}) => compileJinja(src)(vars as never);
  it('arithmetic, Python modulo and floor division, precedence', () => {
    expect(r('{{ 1 + 2 * 3 }}|{{ (1 + 2) * 3 }}|{{ -7 % 3 }}|{{ 7 // 2 }}|{{ 10 - 4 - 3 }}')).toBe('7|9|2|3|3');
  });
  it('strings: concatenation, ~, methods, filters, adjacent literals', () => {
    expect(
      r(
        `{{ 'a' + "b" }}{{ 1 ~ 'x' }}{{ '  y '.strip() }}{{ 'xxhixx'.strip('x') }}{{ ' z' | trim }}{{ 'ab' | upper }}{{ 'ab' | length }}{{ 'p' 'q' }}`,
      ),
    ).toBe('ab1xyhizAB2pq');
  });
  it('booleans and none print as Python does; undefined prints empty', () => {
    expect(r('{{ true }} {{ false }} {{ none }} [{{ nothing }}] {{ 1 == 1 }}')).toBe('True False None [] True');
  });
  it('and/or return operands; not; in / not in; is tests', () => {
    expect(
      r(
        "{{ '' or 'd' }}{{ 'a' and 'b' }}{{ not [] }}{{ 'b' in 'abc' }}{{ 3 not in [1, 2] }}{{ x is defined }}{{ x is not defined }}{{ none is none }}",
        {},
      ),
    ).toBe('dbTrueTrueTrueFalseTrueTrue');
  });
  it('indexing, negative indexes, slices, attribute = key', () => {
    const vars = { m: [{ role: 'a' }, { role: 'b' }, { role: 'c' }] };
    expect(
      r("{{ m[-1].role }}{{ m[0]['role'] }}{% for x in m[1:] %}{{ x.role }}{% endfor %}{{ m[:1] | length }}{{ 'hello'[1:3] }}", vars),
    ).toBe('cabc1el');
  });
  it('set inside a for loop does not leak out (Jinja scoping); loop.else on an empty list', () => {
    expect(
      r('{% set x = 1 %}{% for i in [1, 2] %}{% set x = i %}{{ x }}{% endfor %}{{ x }}{% for i in [] %}no{% else %}empty{% endfor %}'),
    ).toBe('121empty');
  });
  it('elif chains and inline if without else', () => {
    const t = compileJinja(
      "{% for v in xs %}{% if v == 1 %}one{% elif v == 2 %}two{% else %}many{% endif %}{{ '!' if v == 3 }},{% endfor %}",
    );
    expect(t({ xs: [1, 2, 3] })).toBe('one,two,many!,');
  });
  it('whitespace control: "-" trims newlines and spaces, "+" keeps lstrip_blocks off', () => {
    expect(r('a  \n  {%- if true -%}  \n  b  {%- endif %}\nc')).toBe('abc');
    expect(r('x\n  {%+ if true %}y{% endif %}')).toBe('x\n  y');
    expect(r('x\n  {% if true %}\ny{% endif %}')).toBe('x\ny');
  });
});

describe('sandbox: only the plain data given is reachable', () => {
  it('prototype and constructor lookups are undefined, not JavaScript objects', () => {
    const t = compileJinja(
      "[{{ messages.constructor }}][{{ 'x'.constructor }}][{{ messages['__proto__'] }}][{{ m.toString }}][{{ messages.length }}]",
    );
    expect(t({ messages: [], m: { a: 1 } } as never)).toBe('[][][][][]');
    expect(() => compileJinja('{{ m.toString() }}')({ m: {} } as never)).toThrow('the method "toString" on mapping is not supported');
  });
});

describe('refusals name what is not supported', () => {
  it.each([
    ['{% macro f() %}x{% endmacro %}', 'the Jinja statement "macro" is not supported'],
    ['{% include "x" %}', 'the Jinja statement "include" is not supported'],
    ['{{ messages | tojson }}', 'the filter "tojson" is not supported'],
    ['{{ range(3) }}', 'the function "range" is not supported'],
    ["{{ 'a'.replace('a', 'b') }}", 'the method "replace" on string is not supported'],
    ['{{ x is odd }}', 'the test "is odd" is not supported'],
    ['{% for a, b in xs %}{% endfor %}', 'unsupported for-loop'],
    ['{% if true %}x', 'missing {% endif %}'],
    ['{{ 1 + }}', 'unexpected "end of expression"'],
    ["{{ 'a' + 1 }}", 'cannot apply "+" to string and number'],
    ['{{ x', 'unclosed tag'],
    ['{{ f(a=1) }}', 'keyword arguments are not supported'],
  ])('%s', (src, msg) => {
    expect(() => compileJinja(src, 'T')({ x: 1, xs: [], messages: [] } as never)).toThrow(msg);
  });
});
