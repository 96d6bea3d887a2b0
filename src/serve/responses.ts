// OpenAI's response shapes: logprobs per endpoint (completions: parallel arrays with text
// offsets; chat: content entries with bytes and top alternatives), usage, ids.
import { randomBytes } from 'node:crypto';
import type { TokenLogprob } from '../decode/processors.ts';
import type { Tokenizer } from '../tokenizer/tokenizer.ts';

export const newId = (prefix: string): string => `${prefix}-${randomBytes(12).toString('hex')}`;

const utf8 = new TextDecoder('utf-8');

/** A token's text and bytes where it follows `prev` (a partial UTF-8 character decodes lossily). */
export function tokenPiece(tok: Tokenizer, prev: number, id: number): { text: string; bytes: number[] } {
  const b = tok.decodeToken(prev, id);
  return { text: utf8.decode(b), bytes: Array.from(b) };
}

export interface ChatLogprobEntry {
  token: string;
  logprob: number;
  bytes: number[];
  top_logprobs: { token: string; logprob: number; bytes: number[] }[];
}

/** Chat shape for the entries of ids[from..], whose predecessor in the context is `prev`. */
export function chatLogprobs(tok: Tokenizer, prev: number, entries: readonly TokenLogprob[]): ChatLogprobEntry[] {
  const out: ChatLogprobEntry[] = [];
  for (const e of entries) {
    const p = tokenPiece(tok, prev, e.id);
    out.push({
      token: p.text,
      logprob: e.logprob,
      bytes: p.bytes,
      top_logprobs: e.top.map((t) => ({ ...renamed(tokenPiece(tok, prev, t.id)), logprob: t.logprob })),
    });
    prev = e.id;
  }
  return out;
}
const renamed = (p: { text: string; bytes: number[] }) => ({ token: p.text, bytes: p.bytes });

export interface CompletionLogprobs {
  tokens: string[];
  token_logprobs: number[];
  top_logprobs: Record<string, number>[];
  text_offset: number[];
}

/** Completions shape; `offset` is the text offset of the first entry. */
export function completionLogprobs(tok: Tokenizer, prev: number, entries: readonly TokenLogprob[], offset = 0): CompletionLogprobs {
  const out: CompletionLogprobs = { tokens: [], token_logprobs: [], top_logprobs: [], text_offset: [] };
  for (const e of entries) {
    const p = tokenPiece(tok, prev, e.id);
    out.tokens.push(p.text);
    out.token_logprobs.push(e.logprob);
    const top: Record<string, number> = {};
    for (const t of e.top) {
      const s = tokenPiece(tok, prev, t.id).text;
      if (!(s in top)) top[s] = t.logprob;
    }
    out.top_logprobs.push(top);
    out.text_offset.push(offset);
    offset += p.text.length;
    prev = e.id;
  }
  return out;
}

export interface Usage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
}
export const usage = (prompt: number, completion: number): Usage => ({
  prompt_tokens: prompt,
  completion_tokens: completion,
  total_tokens: prompt + completion,
});
