// The paper's chat template (Tulu, as open-instruct's `encode_with_messages_format` runs it) and
// the labels it trains on.
//
//   user:      "<|user|>\n" + content.strip() + "\n"
//   system:    "<|system|>\n" + content.strip() + "\n"
//   assistant: "<|assistant|>\n" + content.strip() + EOS + "\n"
//
// The concatenation is .strip()ped and tokenized ONCE with BOS; the tokenizer turns the EOS text
// into the EOS id. Labels are the ids (HF style, unshifted) with −100 over each non-assistant
// message: from the token length of the rendered prefix before it to the token length of the
// prefix through it plus "<|assistant|>\n". Quirks kept on purpose (the paper's numbers came from
// them): the prefixes are tokenized unstripped, and the "\n" after an EOS that precedes another
// turn stays labelled. `perTurn: true` is the tidier variant: each prompt stretch and each
// response is tokenized on its own and EOS is appended as an id, so masks fall on segment
// boundaries and the prompt tokenizes exactly as a generation prompt does (SentencePiece then
// adds its dummy-prefix space to each response).
import { CHAT_ASSISTANT, CHAT_EOS, CHAT_USER, type Tokenizer } from '../tokenizer/tokenizer.ts';

export const CHAT_SYSTEM = '<|system|>';
export const IGNORE = -100;

export type Role = 'system' | 'user' | 'assistant';
export interface Message {
  role: Role;
  content: string;
}

export interface EncodedChat {
  /** Token ids, BOS first. */
  ids: number[];
  /** Same length as ids: the id where loss is taken, IGNORE elsewhere (HF: unshifted). */
  labels: number[];
  /** The ids were cut at maxLen. */
  truncated: boolean;
}

export interface ChatEncodeOptions {
  /** Keep at most this many tokens (open-instruct's max_seq_length truncation: the tail is cut). */
  maxLen?: number;
  /** Prepend BOS (default true, as Llama's tokenizer does). */
  bos?: boolean;
  /** The tidier per-segment tokenization (see the file comment). */
  perTurn?: boolean;
}

// Python's str.isspace set (differs from JS's trim: Python strips \x1c-\x1f and \x85, not \ufeff).
// biome-ignore lint/suspicious/noControlCharactersInRegex: Python's whitespace set includes \x1c-\x1f on purpose
const PY_SPACE = /[\t\n\v\f\r\x1c-\x1f \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]/;

/** Python's str.strip() with no argument. */
export function pyStrip(s: string): string {
  let a = 0;
  let b = s.length;
  while (a < b && PY_SPACE.test(s[a]!)) a++;
  while (b > a && PY_SPACE.test(s[b - 1]!)) b--;
  return s.slice(a, b);
}

/** The EOS token's text, refused unless the tokenizer encodes it back to the EOS id alone. */
export function eosText(tok: Tokenizer): string {
  const piece = tok.idToPiece(tok.eos);
  const ids = tok.encode(piece);
  if (ids.length !== 1 || ids[0] !== tok.eos) {
    throw new Error(
      `chat template: the EOS token ${JSON.stringify(piece)} (id ${tok.eos}) is not a special token this tokenizer matches in text (it encodes to [${ids.join(', ')}])`,
    );
  }
  return piece;
}

function renderOne(m: Message, eos: string, strip: boolean): string {
  const c = strip ? pyStrip(m.content) : m.content;
  switch (m.role) {
    case 'system':
      return `${CHAT_SYSTEM}\n${c}\n`;
    case 'user':
      return `${CHAT_USER}\n${c}\n`;
    case 'assistant':
      return `${CHAT_ASSISTANT}\n${c}${eos}\n`;
    default:
      throw new Error(`chat template: invalid role ${JSON.stringify((m as Message).role)}`);
  }
}

/** open-instruct's `_concat_messages` (the whole text unstripped; each content stripped unless
 *  `strip: false`). */
export function concatMessages(messages: readonly Message[], eos: string, { strip = true } = {}): string {
  return messages.map((m) => renderOne(m, eos, strip)).join('');
}

/** A prompt for the next assistant turn: the messages with their contents as given, then
 *  `<|assistant|>\n` (what `heed serve`, `heed chat` and the local judge send a model). One user
 *  message renders exactly as chatText(content). */
export function chatPrompt(messages: readonly Message[]): string {
  return `${concatMessages(messages, CHAT_EOS, { strip: false })}${CHAT_ASSISTANT}\n`;
}

/** The text that is tokenized: the concatenation, .strip()ped. */
export function renderChat(messages: readonly Message[], eos: string): string {
  return pyStrip(concatMessages(messages, eos));
}

/** Tokens and labels of one conversation, exactly as open-instruct computes them (or per turn). */
export function encodeChat(messages: readonly Message[], tok: Tokenizer, opts: ChatEncodeOptions = {}): EncodedChat {
  if (messages.length === 0) throw new Error('chat template: messages is empty');
  const maxLen = opts.maxLen ?? Infinity;
  if (!(maxLen >= 1)) throw new Error(`chat template: maxLen must be >= 1, got ${maxLen}`);
  const eos = eosText(tok);
  const bos = opts.bos ?? true;
  const enc = opts.perTurn ? encodePerTurn(messages, tok, eos, bos) : encodeOnce(messages, tok, eos, bos, maxLen);
  const truncated = enc.ids.length > maxLen;
  return { ids: enc.ids.slice(0, maxLen), labels: enc.labels.slice(0, maxLen), truncated };
}

function encodeOnce(
  messages: readonly Message[],
  tok: Tokenizer,
  eos: string,
  bos: boolean,
  maxLen: number,
): { ids: number[]; labels: number[] } {
  const ids = tok.encode(renderChat(messages, eos), { bos });
  const labels = [...ids];
  const len = (text: string) => Math.min(maxLen, tok.encode(text, { bos }).length);
  for (let i = 0; i < messages.length; i++) {
    if (messages[i]!.role === 'assistant') continue;
    const start = i === 0 ? 0 : len(concatMessages(messages.slice(0, i), eos));
    const nextIsAssistant = i < messages.length - 1 && messages[i + 1]!.role === 'assistant';
    const end = len(concatMessages(messages.slice(0, i + 1), eos) + (nextIsAssistant ? `${CHAT_ASSISTANT}\n` : ''));
    for (let t = start; t < Math.min(end, labels.length); t++) labels[t] = IGNORE;
    if (end >= maxLen) break;
  }
  return { ids, labels };
}

function encodePerTurn(messages: readonly Message[], tok: Tokenizer, eos: string, bos: boolean): { ids: number[]; labels: number[] } {
  const ids: number[] = bos ? [tok.bos] : [];
  const labels: number[] = bos ? [IGNORE] : [];
  let prompt = '';
  const push = (part: number[], learn: boolean) => {
    ids.push(...part);
    labels.push(...(learn ? part : part.map(() => IGNORE)));
  };
  messages.forEach((m, i) => {
    if (m.role !== 'assistant') {
      prompt += renderOne(m, eos, true);
      return;
    }
    push(tok.encode(`${prompt}${CHAT_ASSISTANT}\n`), false);
    push([...tok.encode(pyStrip(m.content)), tok.eos], true);
    prompt = i < messages.length - 1 ? '\n' : '';
  });
  // A conversation that ends on a non-assistant turn ends with its (masked) prompt, stripped.
  const tail = pyStrip(prompt);
  if (tail) push(tok.encode(tail), false);
  return { ids, labels };
}
