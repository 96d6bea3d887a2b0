// A judge behind any OpenAI-compatible chat-completions server (vLLM, llama.cpp's server,
// `heed serve`), through AlpacaEval 2's weighted protocol (weighted.ts). Requests run
// concurrently, transient failures (network, 429, 5xx) are retried with exponential backoff, and
// every answer's top log-probabilities are cached on disk (JSONL, one line per judgement) keyed by
// the server's model name and the exact messages, so a rerun asks nothing twice.
import { createHash } from 'node:crypto';
import { appendFileSync } from 'node:fs';
import { readAppendLog } from '../../io/appendLog.ts';
import { type Schema, checkShape } from '../../io/schema.ts';
import type { Judge, Pair, Verdict } from './judge.ts';
import { type ChatMessage, preferenceFromLogprobs, presentPair, type TopLogprob, unswap } from './weighted.ts';

export interface OpenAIJudgeOptions {
  /** Base URL (…/v1) or the full …/chat/completions URL. */
  url: string;
  /** The `model` field sent; default "default". */
  model?: string;
  concurrency?: number;
  /** Attempts per request, the first included. */
  maxAttempts?: number;
  /** First backoff in ms; doubles per retry. */
  backoffMs?: number;
  /** Per-request timeout in ms. */
  timeoutMs?: number;
  /** JSONL judgement cache; none when undefined. */
  cachePath?: string;
  seed?: number;
  topLogprobs?: number;
}

/** Parses `openai:URL[#model]`. */
export function parseOpenAISpec(spec: string): { url: string; model?: string } {
  const rest = spec.slice('openai:'.length);
  const hash = rest.indexOf('#');
  const url = hash < 0 ? rest : rest.slice(0, hash);
  const model = hash < 0 ? undefined : rest.slice(hash + 1);
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new Error(`judge "${spec}": "${url}" is not a URL (expected openai:http://host:port/v1[#model])`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new Error(`judge "${spec}": the URL must be http or https`);
  if (model === '') throw new Error(`judge "${spec}": empty model name after #`);
  return { url, ...(model ? { model } : {}) };
}

export function completionsUrl(url: string): string {
  const u = url.replace(/\/+$/, '');
  return u.endsWith('/chat/completions') ? u : `${u}/chat/completions`;
}

class HttpError extends Error {
  constructor(
    message: string,
    readonly retryable: boolean,
  ) {
    super(message);
  }
}

const CACHE_ENTRY: Schema = { object: { key: 'string', top_logprobs: { array: { object: { token: 'string', logprob: 'number' } } } } };

/** The first generated token's top log-probabilities from a chat-completions response body. */
export function topLogprobsOf(body: unknown, where: string): TopLogprob[] {
  const choice = (body as { choices?: unknown[] })?.choices?.[0] as { logprobs?: { content?: unknown[] } } | undefined;
  const first = choice?.logprobs?.content?.[0] as { top_logprobs?: unknown } | undefined;
  const top = first?.top_logprobs;
  if (!Array.isArray(top))
    throw new HttpError(
      `${where}: the response has no choices[0].logprobs.content[0].top_logprobs (does the server support logprobs?)`,
      false,
    );
  return top.map((t, i) => {
    const e = t as { token?: unknown; logprob?: unknown };
    if (typeof e.token !== 'string' || typeof e.logprob !== 'number')
      throw new HttpError(`${where}: top_logprobs[${i}] needs a string token and a number logprob`, false);
    return { token: e.token, logprob: e.logprob };
  });
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export function openaiJudge(opts: OpenAIJudgeOptions): Judge {
  const endpoint = completionsUrl(opts.url);
  const model = opts.model ?? 'default';
  const concurrency = opts.concurrency ?? 4;
  const maxAttempts = opts.maxAttempts ?? 5;
  const backoffMs = opts.backoffMs ?? 500;
  const timeoutMs = opts.timeoutMs ?? 120_000;
  const seed = opts.seed ?? 0;
  const topK = opts.topLogprobs ?? 5;
  if (!(Number.isInteger(concurrency) && concurrency >= 1))
    throw new Error(`judge concurrency must be a positive integer, got ${concurrency}`);
  if (!(Number.isInteger(maxAttempts) && maxAttempts >= 1))
    throw new Error(`judge attempts must be a positive integer, got ${maxAttempts}`);

  const cache = new Map<string, TopLogprob[]>();
  if (opts.cachePath) {
    // append-only: a torn last line (a crash while appending) is cut off by readAppendLog
    for (const { value, line } of readAppendLog(opts.cachePath, 'judge cache').records) {
      const e = checkShape<{ key: string; top_logprobs: TopLogprob[] }>(value, CACHE_ENTRY, `${opts.cachePath}:${line}`);
      cache.set(e.key, e.top_logprobs);
    }
  }
  let requests = 0;

  const keyOf = (messages: ChatMessage[]): string => createHash('sha256').update(JSON.stringify({ model, topK, messages })).digest('hex');

  async function ask(messages: ChatMessage[]): Promise<TopLogprob[]> {
    const body = JSON.stringify({ model, messages, max_tokens: 1, temperature: 0, logprobs: true, top_logprobs: topK });
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (process.env.OPENAI_API_KEY) headers.authorization = `Bearer ${process.env.OPENAI_API_KEY}`;
    for (let attempt = 1; ; attempt++) {
      try {
        requests++;
        const res = await fetch(endpoint, { method: 'POST', headers, body, signal: AbortSignal.timeout(timeoutMs) });
        const text = await res.text();
        if (!res.ok) throw new HttpError(`${endpoint}: HTTP ${res.status} ${text.slice(0, 200)}`, res.status === 429 || res.status >= 500);
        let json: unknown;
        try {
          json = JSON.parse(text);
        } catch {
          throw new HttpError(`${endpoint}: the response is not JSON: ${text.slice(0, 200)}`, false);
        }
        return topLogprobsOf(json, endpoint);
      } catch (e) {
        const retryable = e instanceof HttpError ? e.retryable : true; // network errors and timeouts
        if (!retryable || attempt >= maxAttempts) {
          const msg = e instanceof Error ? e.message : String(e);
          throw new Error(attempt > 1 ? `${msg} (after ${attempt} attempts)` : msg);
        }
        await sleep(backoffMs * 2 ** (attempt - 1));
      }
    }
  }

  return {
    name: `openai:${endpoint}#${model}`,
    get requests() {
      return requests;
    },
    async judge(pairs: readonly Pair[], onProgress?: (done: number) => void): Promise<Verdict[]> {
      const out = new Array<Verdict>(pairs.length);
      let next = 0;
      let done = 0;
      const worker = async (): Promise<void> => {
        while (next < pairs.length) {
          const i = next++;
          const { messages, swapped } = presentPair(pairs[i]!, seed);
          const key = keyOf(messages);
          let top = cache.get(key);
          const cached = top !== undefined;
          if (!top) {
            top = await ask(messages);
            cache.set(key, top);
            if (opts.cachePath) appendFileSync(opts.cachePath, `${JSON.stringify({ key, top_logprobs: top })}\n`);
          }
          const shown = preferenceFromLogprobs(top);
          out[i] = { preference: unswap(shown, swapped), raw: { swapped, cached, top_logprobs: top } };
          onProgress?.(++done);
        }
      };
      await Promise.all(Array.from({ length: Math.min(concurrency, pairs.length) }, worker));
      return out;
    },
  } as Judge & { readonly requests: number };
}
