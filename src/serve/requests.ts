// Validation of /v1/completions and /v1/chat/completions bodies into one typed request. Every
// field is checked; anything unknown, mistyped or out of range is a 400 naming the field.
import type { SamplingOptions } from '../decode/sample.ts';
import { type Message as ChatMessage, chatPrompt } from '../data/chat.ts';
import { ApiError, badParam } from './errors.ts';

export type Endpoint = 'completions' | 'chat';

export interface ApiRequest {
  endpoint: Endpoint;
  model: string;
  /** Prompt texts: one per completions prompt; one rendered conversation for chat. */
  prompts: string[];
  /** undefined: until the context is full. */
  maxTokens: number | undefined;
  sampling: SamplingOptions;
  seed: number | undefined;
  n: number;
  stop: string[];
  /** Alternatives per token (0 = just the chosen token's); undefined = no logprobs. */
  logprobs: number | undefined;
  stream: boolean;
  includeUsage: boolean;
}

export const MAX_N = 16;

const COMMON = [
  'model',
  'max_tokens',
  'temperature',
  'top_p',
  'top_k',
  'min_p',
  'stop',
  'seed',
  'n',
  'stream',
  'stream_options',
  'user',
  'presence_penalty',
  'frequency_penalty',
];
const FIELDS: Record<Endpoint, Set<string>> = {
  completions: new Set([...COMMON, 'prompt', 'logprobs', 'echo']),
  chat: new Set([...COMMON, 'messages', 'logprobs', 'top_logprobs', 'max_completion_tokens']),
};

type Body = Record<string, unknown>;
const present = (b: Body, k: string) => b[k] !== undefined && b[k] !== null;

function num(b: Body, k: string, lo: number, hi: number, integer = false): number | undefined {
  if (!present(b, k)) return undefined;
  const v = b[k];
  if (typeof v !== 'number' || !Number.isFinite(v) || (integer && !Number.isInteger(v)))
    throw badParam(k, `'${k}' must be ${integer ? 'an integer' : 'a number'}, got ${JSON.stringify(v)}`);
  if (v < lo || v > hi) throw badParam(k, `'${k}' must be between ${lo} and ${hi}, got ${v}`);
  return v;
}

function bool(b: Body, k: string): boolean | undefined {
  if (!present(b, k)) return undefined;
  if (typeof b[k] !== 'boolean') throw badParam(k, `'${k}' must be a boolean, got ${JSON.stringify(b[k])}`);
  return b[k] as boolean;
}

function stops(b: Body): string[] {
  if (!present(b, 'stop')) return [];
  const v = b.stop;
  const list = typeof v === 'string' ? [v] : v;
  if (!Array.isArray(list) || list.length > 4 || list.some((s) => typeof s !== 'string' || s.length === 0))
    throw badParam('stop', "'stop' must be a non-empty string or an array of at most 4 non-empty strings");
  return list as string[];
}

function messageText(m: Record<string, unknown>, i: number): string {
  const c = m.content;
  if (typeof c === 'string') return c;
  // the array form: only text parts
  if (
    Array.isArray(c) &&
    c.every((p) => typeof p === 'object' && p !== null && (p as Body).type === 'text' && typeof (p as Body).text === 'string')
  ) {
    return c.map((p) => (p as Body).text as string).join('');
  }
  throw badParam(`messages[${i}].content`, `'messages[${i}].content' must be a string or an array of text parts`);
}

function messages(b: Body): ChatMessage[] {
  const v = b.messages;
  if (!Array.isArray(v) || v.length === 0) throw badParam('messages', "'messages' must be a non-empty array");
  return v.map((m, i) => {
    if (typeof m !== 'object' || m === null || Array.isArray(m)) throw badParam(`messages[${i}]`, `'messages[${i}]' must be an object`);
    const role = (m as Body).role;
    if (role !== 'system' && role !== 'user' && role !== 'assistant')
      throw badParam(`messages[${i}].role`, `'messages[${i}].role' must be system, user or assistant, got ${JSON.stringify(role)}`);
    for (const k of Object.keys(m))
      if (k !== 'role' && k !== 'content' && k !== 'name') throw badParam(`messages[${i}].${k}`, `unsupported field 'messages[${i}].${k}'`);
    return { role, content: messageText(m as Body, i) };
  });
}

/** Checks a parsed JSON body for `endpoint`; throws ApiError(400) naming the first bad field. */
export function parseRequest(endpoint: Endpoint, body: unknown): ApiRequest {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new ApiError(400, 'the request body must be a JSON object');
  const b = body as Body;
  for (const k of Object.keys(b)) if (!FIELDS[endpoint].has(k)) throw badParam(k, `Unrecognized request argument supplied: ${k}`);
  if (typeof b.model !== 'string' || b.model === '') throw badParam('model', "'model' must be a non-empty string");
  for (const k of ['presence_penalty', 'frequency_penalty'])
    if ((num(b, k, -2, 2) ?? 0) !== 0) throw badParam(k, `'${k}' is not supported (only 0)`);
  if (present(b, 'user') && typeof b.user !== 'string') throw badParam('user', "'user' must be a string");
  const stream = bool(b, 'stream') ?? false;
  let includeUsage = false;
  if (present(b, 'stream_options')) {
    const so = b.stream_options;
    if (!stream) throw badParam('stream_options', "'stream_options' is only allowed when 'stream' is true");
    if (typeof so !== 'object' || so === null || Array.isArray(so) || Object.keys(so).some((k) => k !== 'include_usage'))
      throw badParam('stream_options', "'stream_options' must be an object with only 'include_usage'");
    includeUsage = bool(so as Body, 'include_usage') ?? false;
  }
  const temperature = num(b, 'temperature', 0, 2);
  const topP = num(b, 'top_p', 0, 1);
  if (topP === 0) throw badParam('top_p', "'top_p' must be greater than 0");
  const topK = num(b, 'top_k', 0, 1e9, true);
  const minP = num(b, 'min_p', 0, 1);
  const sampling: SamplingOptions = {
    temperature: temperature ?? 1,
    ...(topP !== undefined ? { topP } : {}),
    ...(topK !== undefined ? { topK } : {}),
    ...(minP !== undefined ? { minP } : {}),
  };
  const common = {
    model: b.model,
    sampling,
    stream,
    includeUsage,
    stop: stops(b),
    seed: num(b, 'seed', -(2 ** 53 - 1), 2 ** 53 - 1, true),
    n: num(b, 'n', 1, MAX_N, true) ?? 1,
  };
  if (endpoint === 'completions') {
    if (bool(b, 'echo')) throw badParam('echo', "'echo' is not supported");
    const p = b.prompt;
    const prompts =
      typeof p === 'string'
        ? [p]
        : Array.isArray(p) && p.length > 0 && p.length <= MAX_N && p.every((x) => typeof x === 'string')
          ? (p as string[])
          : undefined;
    if (!prompts) throw badParam('prompt', `'prompt' must be a string or an array of 1 to ${MAX_N} strings`);
    if (prompts.length * common.n > MAX_N) throw badParam('n', `prompts × n must be at most ${MAX_N}`);
    return { ...common, endpoint, prompts, maxTokens: num(b, 'max_tokens', 1, 1e9, true) ?? 16, logprobs: num(b, 'logprobs', 0, 5, true) };
  }
  if (present(b, 'max_tokens') && present(b, 'max_completion_tokens'))
    throw badParam('max_tokens', "give 'max_tokens' or 'max_completion_tokens', not both");
  const maxTokens = num(b, 'max_tokens', 1, 1e9, true) ?? num(b, 'max_completion_tokens', 1, 1e9, true);
  const lp = bool(b, 'logprobs') ?? false;
  const top = num(b, 'top_logprobs', 0, 20, true);
  if (top !== undefined && !lp) throw badParam('top_logprobs', "'top_logprobs' needs 'logprobs': true");
  return { ...common, endpoint, prompts: [chatPrompt(messages(b))], maxTokens, logprobs: lp ? (top ?? 0) : undefined };
}
