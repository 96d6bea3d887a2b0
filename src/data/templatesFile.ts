// A user template file (JSON):
//   {"prefix"?: str, "system"?: str, "user": str, "assistant": str, "separator"?: str}
// Each role's text holds {content} exactly once and may hold {eos}, {bos}, {dataset}; prefix may
// hold {bos} and {dataset}; the separator goes between turns. Messages render in order, prefix
// first. The assistant text before {content} is the generation prompt (masked); from {content} on
// is learned. Any other {word} is refused; "{{" and "}}" are literal braces.
import type { ChatTemplate, SpecialText, TemplateRow } from './templates.ts';

const KEYS = new Set(['prefix', 'system', 'user', 'assistant', 'separator']);
const HOLES = new Set(['content', 'eos', 'bos', 'dataset']);

function fill(tpl: string, vals: Record<string, string | undefined>, where: string): string {
  return tpl.replace(/\{\{|\}\}|\{(\w*)\}/g, (m, k: string | undefined) => {
    if (m === '{{') return '{';
    if (m === '}}') return '}';
    const v = vals[k!];
    if (v === undefined) throw new Error(`${where}: {${k}} has no value for this row`);
    return v;
  });
}

function check(tpl: unknown, key: string, source: string, needsContent: boolean): string {
  if (typeof tpl !== 'string') throw new Error(`${source}: "${key}" must be a string`);
  const holes = [...tpl.replace(/\{\{|\}\}/g, '').matchAll(/\{(\w*)\}/g)].map((m) => m[1]!);
  for (const h of holes)
    if (!HOLES.has(h)) throw new Error(`${source}: "${key}" has {${h}}; a template may use only {${[...HOLES].join('}, {')}}`);
  const n = holes.filter((h) => h === 'content').length;
  if (needsContent && n !== 1) throw new Error(`${source}: "${key}" must hold {content} exactly once (it holds it ${n} times)`);
  if (!needsContent && n !== 0) throw new Error(`${source}: "${key}" cannot hold {content}`);
  return tpl;
}

export function userTemplate(json: Record<string, unknown>, source: string): ChatTemplate {
  for (const k of Object.keys(json))
    if (!KEYS.has(k)) throw new Error(`${source}: unknown key "${k}" (a template file has ${[...KEYS].join(', ')})`);
  if (json.user === undefined || json.assistant === undefined) throw new Error(`${source}: a template file needs "user" and "assistant"`);
  const user = check(json.user, 'user', source, true);
  const assistant = check(json.assistant, 'assistant', source, true);
  const system = json.system === undefined ? undefined : check(json.system, 'system', source, true);
  const prefix = json.prefix === undefined ? '' : check(json.prefix, 'prefix', source, false);
  const separator = json.separator === undefined ? '' : check(json.separator, 'separator', source, false);
  const cut = assistant.replace(/\{\{|\}\}/g, '\0\0').indexOf('{content}');
  const genPrompt = assistant.slice(0, cut);
  return {
    name: source,
    render(row: TemplateRow, gen: boolean, s: SpecialText) {
      const vals = { bos: s.bos, eos: s.eos, dataset: row.dataset };
      let text = fill(prefix, vals, `${source} prefix`);
      row.messages.forEach((m, i) => {
        const tpl = m.role === 'user' ? user : m.role === 'assistant' ? assistant : system;
        if (tpl === undefined) throw new Error(`${source}: the row has a system message but the template has no "system"`);
        text +=
          (i > 0 ? fill(separator, vals, `${source} separator`) : '') + fill(tpl, { ...vals, content: m.content }, `${source} ${m.role}`);
      });
      if (gen)
        text +=
          (row.messages.length > 0 ? fill(separator, vals, `${source} separator`) : '') + fill(genPrompt, vals, `${source} assistant`);
      return text;
    },
  };
}
