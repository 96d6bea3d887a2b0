// Chat templates as a switch (the FLAN template ablation): how a conversation becomes the text
// that is tokenized, and which tokens are learned.
//
//   tulu          the paper's (chat.ts: open-instruct's one-pass encoding, quirks kept, and the
//                 evaluator's generation prompt chatText)
//   alpaca        Stanford Alpaca's preamble, then "### Instruction:\n{instruction}\n\n"
//                 ["### Input:\n{input}\n\n"] "### Response:\n{response}{EOS}"; a later turn
//                 starts with "\n\n"; a system message renders as "{content}\n\n"
//   none          no instruction wording: "{user}\n{response}{EOS}", turns joined by "\n"
//   dataset-name  "[Task: {dataset}]\n" + none
//   FILE.json     a user template (see templatesFile.ts) or an HF tokenizer_config.json's
//                 chat_template (a safe Jinja subset, jinja.ts); FILE.jinja: a bare Jinja template
//
// Every template without its own `encode` (all but tulu) is encoded the same way: the whole conversation is rendered and
// tokenized ONCE; each assistant turn i is learned from the token length of the rendering of
// messages[0..i) with the generation prompt to the token length of messages[0..i] (a length
// counts the prefix's tokens that agree with the whole's, see encodeWithTemplate). A template
// whose prefixes are not prefixes of the whole (so the masks would be wrong) is refused.
import { parseJson, pathExists } from '../io/files.ts';
import { readInputText } from '../io/open.ts';
import { basename, extname } from 'node:path';
import type { Tokenizer } from '../tokenizer/tokenizer.ts';
import { CHAT_ASSISTANT, chatText } from '../tokenizer/tokenizer.ts';
import { type ChatEncodeOptions, type EncodedChat, IGNORE, type Message, concatMessages, encodeChat, eosText, renderChat } from './chat.ts';
import type { Conversation, Dataset } from './dataset.ts';
import { hasOwnKey } from '../io/jsonFields.ts';
import { jinjaTemplate } from './jinja.ts';
import { userTemplate } from './templatesFile.ts';

export const BUILTIN_TEMPLATES = ['tulu', 'alpaca', 'none', 'dataset-name'] as const;

/** What a template renders: the messages and, when a reader kept them, the row's parts. */
export type TemplateRow = Pick<Conversation, 'messages' | 'fields' | 'dataset'>;

export interface SpecialText {
  bos: string;
  eos: string;
}

export interface ChatTemplate {
  name: string;
  /** The text of the conversation; with the generation prompt (what precedes a response) appended. */
  render(row: TemplateRow, addGenerationPrompt: boolean, special: SpecialText): string;
  /** A template's own generation prompt for one instruction (BOS is added when tokenized); without
   *  it, `render` of one user turn with the generation prompt. */
  generationPrompt?(instruction: string): string;
  /** A template's own tokens and labels; without it, the generic prefix-length encoding below. */
  encode?(row: TemplateRow, tok: Tokenizer, opts: ChatEncodeOptions): EncodedChat;
}

export const ALPACA_PREAMBLE =
  'Below is an instruction that describes a task. Write a response that appropriately completes the request.\n\n';
export const ALPACA_PREAMBLE_INPUT =
  'Below is an instruction that describes a task, paired with an input that provides further context. Write a response that appropriately completes the request.\n\n';

/** The row's instruction/input parts if they still describe its first user turn. */
function partsOf(row: TemplateRow): { instruction: string; input: string } | undefined {
  const f = row.fields;
  if (!f || f.input.trim() === '') return undefined;
  const first = row.messages.find((m) => m.role === 'user');
  return first && first.content === `${f.instruction}\n\n${f.input}` ? f : undefined;
}

const alpaca: ChatTemplate = {
  name: 'alpaca',
  render(row, gen, { eos }) {
    const parts = partsOf(row);
    let text = parts ? ALPACA_PREAMBLE_INPUT : ALPACA_PREAMBLE;
    let firstUser = true;
    row.messages.forEach((m, i) => {
      const sep = i > 0 && row.messages[i - 1]!.role === 'assistant' ? '\n\n' : '';
      if (m.role === 'system') text += `${sep}${m.content}\n\n`;
      else if (m.role === 'user') {
        text +=
          sep +
          (firstUser && parts
            ? `### Instruction:\n${parts.instruction}\n\n### Input:\n${parts.input}\n\n`
            : `### Instruction:\n${m.content}\n\n`);
        firstUser = false;
      } else text += `${sep}### Response:\n${m.content}${eos}`;
    });
    return gen ? `${text}${row.messages.at(-1)?.role === 'assistant' ? '\n\n' : ''}### Response:\n` : text;
  },
};

function plain(row: TemplateRow, gen: boolean, eos: string): string {
  let text = '';
  row.messages.forEach((m, i) => {
    const sep = i > 0 && row.messages[i - 1]!.role === 'assistant' ? '\n' : '';
    text += m.role === 'assistant' ? `${sep}${m.content}${eos}` : `${sep}${m.content}\n`;
  });
  return gen && row.messages.at(-1)?.role === 'assistant' ? `${text}\n` : text;
}

const none: ChatTemplate = { name: 'none', render: (row, gen, { eos }) => plain(row, gen, eos) };

const datasetName: ChatTemplate = {
  name: 'dataset-name',
  render(row, gen, { eos }) {
    if (!row.dataset) throw new Error('template dataset-name: the row has no dataset name');
    return `[Task: ${row.dataset}]\n${plain(row, gen, eos)}`;
  },
};

/** The paper's template (chat.ts): open-instruct's encoding, quirks included, and chatText as the
 *  generation prompt, exactly what the evaluators send. */
export const TULU: ChatTemplate = {
  name: 'tulu',
  render: (row, gen, { eos }) => (gen ? `${concatMessages(row.messages, eos)}${CHAT_ASSISTANT}\n` : renderChat(row.messages, eos)),
  generationPrompt: (instruction) => chatText(instruction),
  encode: (row, tok, opts) => encodeChat(row.messages, tok, opts),
};

const BUILTIN: Record<string, ChatTemplate> = { tulu: TULU, alpaca, none, 'dataset-name': datasetName };

/** `--template NAME|FILE`: a built-in name, a user template JSON, a tokenizer_config.json or a .jinja file. */
export function resolveTemplate(spec: string): ChatTemplate {
  if (hasOwnKey(BUILTIN, spec)) return BUILTIN[spec]!;
  let text: string;
  try {
    text = readInputText(spec, '--template');
  } catch (e) {
    if (e instanceof Error && !pathExists(spec)) e.message += `, and it is not a built-in template (${BUILTIN_TEMPLATES.join(', ')})`;
    throw e;
  }
  if (text.trim() === '') throw new Error(`--template ${spec}: the file is empty`);
  const ext = extname(spec).toLowerCase();
  if (ext === '.jinja' || ext === '.j2') return jinjaTemplate(text, `${basename(spec)}`);
  if (ext !== '.json') throw new Error(`--template ${spec}: expected a .json (user template or tokenizer_config.json) or .jinja file`);
  const json = parseJson(text, `--template ${spec}`, 'template');
  if (!json || typeof json !== 'object' || Array.isArray(json)) throw new Error(`--template ${spec}: not a JSON object`);
  if ('chat_template' in json) return jinjaFromTokenizerConfig(json as Record<string, unknown>, spec);
  return userTemplate(json as Record<string, unknown>, spec);
}

function tokenText(v: unknown): string | undefined {
  if (typeof v === 'string') return v;
  if (v && typeof v === 'object' && typeof (v as { content?: unknown }).content === 'string') return (v as { content: string }).content;
  return undefined;
}

/** An HF tokenizer_config.json: its chat_template (string, or the list form's "default") and, if
 *  given, its own bos_token/eos_token text. */
export function jinjaFromTokenizerConfig(cfg: Record<string, unknown>, source: string): ChatTemplate {
  let tpl = cfg.chat_template;
  if (Array.isArray(tpl)) {
    const def = tpl.find((t) => t && typeof t === 'object' && (t as { name?: unknown }).name === 'default');
    if (!def)
      throw new Error(
        `${source}: chat_template is a list without a "default" entry (names: ${tpl.map((t) => JSON.stringify((t as { name?: unknown }).name)).join(', ')})`,
      );
    tpl = (def as { template?: unknown }).template;
  }
  if (typeof tpl !== 'string' || tpl === '') throw new Error(`${source}: chat_template is not a non-empty string`);
  const bos = tokenText(cfg.bos_token);
  const eos = tokenText(cfg.eos_token);
  return jinjaTemplate(tpl, basename(source), { ...(bos !== undefined ? { bos } : {}), ...(eos !== undefined ? { eos } : {}) });
}

export function specialText(tok: Tokenizer): SpecialText {
  return { bos: tok.idToPiece(tok.bos), eos: eosText(tok) };
}

/** The generation prompt for one instruction (tulu: exactly chatText, the evaluator's default). */
export function templatePrompt(t: ChatTemplate, instruction: string, special: SpecialText): string {
  return t.generationPrompt
    ? t.generationPrompt(instruction)
    : t.render({ messages: [{ role: 'user', content: instruction }] }, true, special);
}

/** The prompt ids of one instruction under a template: its generation prompt after BOS (a
 *  template that writes BOS itself, as HF chat templates do, gets no second one). */
export function promptTokens(tok: Tokenizer, t: ChatTemplate, instruction: string): number[] {
  if (t.generationPrompt) return tok.encode(t.generationPrompt(instruction), { bos: true });
  const sp = specialText(tok);
  const text = templatePrompt(t, instruction, sp);
  return tok.encode(text, { bos: !(sp.bos !== '' && text.startsWith(sp.bos)) });
}

const PROBE_USER = 'Name a colour.';
const PROBE_ANSWER = 'Heed probe answer: teal.';

/**
 * A warning when the template renders an assistant turn without its content (say, only a tag and
 * EOS): training with it would learn nothing but the end token. Probed with one user/assistant
 * pair; the learned part is what follows the generation prompt. Undefined when the content is there
 * (or the probe cannot be rendered; encoding the real rows reports that).
 */
export function templateContentWarning(t: ChatTemplate, special: SpecialText = { bos: '<s>', eos: '</s>' }): string | undefined {
  const row: TemplateRow = {
    messages: [
      { role: 'user', content: PROBE_USER },
      { role: 'assistant', content: PROBE_ANSWER },
    ],
    dataset: 'probe',
  };
  let before: string;
  let through: string;
  try {
    before = t.render({ ...row, messages: row.messages.slice(0, 1) }, true, special);
    through = t.render(row, false, special);
  } catch {
    return undefined;
  }
  const learned = through.startsWith(before) ? through.slice(before.length) : through;
  if (learned.includes(PROBE_ANSWER)) return undefined;
  const shown = learned.length > 80 ? `${JSON.stringify(learned.slice(0, 77))}...` : JSON.stringify(learned);
  return `template ${t.name} renders an assistant turn without its content (the assistant turn ${JSON.stringify(PROBE_ANSWER)} becomes ${shown}): training with it learns nothing of the responses`;
}

/** Tokens and labels of one row under a template (tulu: encodeChat, byte for byte). */
export function encodeWithTemplate(row: TemplateRow, tok: Tokenizer, t: ChatTemplate, opts: ChatEncodeOptions = {}): EncodedChat {
  if (t.encode) return t.encode(row, tok, opts);
  if (opts.perTurn) throw new Error(`template ${t.name}: --per-turn is only for the tulu template`);
  const msgs = row.messages;
  if (msgs.length === 0) throw new Error(`template ${t.name}: messages is empty`);
  const maxLen = opts.maxLen ?? Infinity;
  if (!(maxLen >= 1)) throw new Error(`template ${t.name}: maxLen must be >= 1, got ${maxLen}`);
  const special = specialText(tok);
  const sub = (n: number): TemplateRow => ({ ...row, messages: msgs.slice(0, n) });
  const full = t.render(row, false, special);
  // A template that writes BOS itself (HF chat templates do) gets no second one.
  const bos = (opts.bos ?? true) && !(special.bos !== '' && full.startsWith(special.bos));
  const ids = tok.encode(full, { bos });
  const labels = ids.map(() => IGNORE);
  // A prefix's length is how many of its tokens agree with the whole's: when a prompt ends in a
  // space that the response's first token absorbs ("A: " + "Hello" → ▁Hello), that token is learned.
  const len = (text: string) => {
    const p = tok.encode(text, { bos });
    let k = 0;
    while (k < p.length && k < ids.length && p[k] === ids[k]) k++;
    return Math.min(maxLen, k);
  };
  msgs.forEach((m: Message, i) => {
    if (m.role !== 'assistant') return;
    const before = t.render(sub(i), true, special);
    const through = t.render(sub(i + 1), false, special);
    if (!through.startsWith(before) || !full.startsWith(through)) {
      throw new Error(
        `template ${t.name}: the rendering up to message ${i} is not a prefix of the whole conversation, so its labels cannot be masked by prefix length`,
      );
    }
    const end = Math.min(len(through), ids.length);
    for (let k = len(before); k < end; k++) labels[k] = ids[k]!;
  });
  const truncated = ids.length > maxLen;
  return { ids: ids.slice(0, maxLen), labels: labels.slice(0, maxLen), truncated };
}

/** Rows without a dataset name take `name` (the task or file they came from). */
export function withDatasetName(d: Dataset, name: string): Dataset {
  return { ...d, rows: d.rows.map((r) => (r.dataset ? r : { ...r, dataset: name })) };
}
