// An OpenAI-compatible HTTP server on node:http: GET /v1/models, POST /v1/completions and
// POST /v1/chat/completions, streamed (server-sent events) or not. Every request's choices join
// one continuous batch. Bad input gets a 4xx in OpenAI's error shape and never stops the server;
// a client that goes away cancels its sequences. GET /health reports the batch's load.
import { randomInt, timingSafeEqual } from 'node:crypto';
import { type IncomingMessage, type Server, type ServerResponse, createServer } from 'node:http';
import { ContinuousBatcher, type Submission } from '../decode/batcher.ts';
import type { LogitProcessor, TokenLogprob } from '../decode/processors.ts';
import type { GenerationResult } from '../decode/sequence.ts';
import type { Llama } from '../nn/llama.ts';
import type { Tokenizer } from '../tokenizer/tokenizer.ts';
import { ApiError } from './errors.ts';
import { type ApiRequest, type Endpoint, parseRequest } from './requests.ts';
import { chatLogprobs, completionLogprobs, newId, usage } from './responses.ts';

export interface ServeOptions {
  model: Llama;
  tok: Tokenizer;
  /** The id clients name in `model` (GET /v1/models lists it). */
  modelId: string;
  /** Applied to every request (e.g. the rules adapter). */
  processors?: readonly LogitProcessor[];
  /** When set, every request needs `Authorization: Bearer <apiKey>`. */
  apiKey?: string;
  maxBatch?: number;
  /** Request bodies larger than this are refused (413). Default 1 MiB. */
  maxBodyBytes?: number;
}

export interface ApiServer {
  server: Server;
  batcher: ContinuousBatcher;
}

const created = () => Math.floor(Date.now() / 1000);

export function createApiServer(o: ServeOptions): ApiServer {
  const batcher = new ContinuousBatcher(o.model, o.maxBatch !== undefined ? { maxBatch: o.maxBatch } : {});
  const server = createServer((req, res) => {
    handle(o, batcher, req, res).catch((e: unknown) => sendError(res, e));
  });
  // Clients pool connections; Node's 5 s idle timeout races a client that reuses one just then
  // ("other side closed"). Idle connections stay open a minute, as common proxies do.
  server.keepAliveTimeout = 60_000;
  server.headersTimeout = 65_000;
  // malformed HTTP never reaches the handler; answer it and keep serving
  server.on('clientError', (_err, socket) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
  });
  return { server, batcher };
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  if (res.headersSent || res.destroyed) return;
  const text = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}

function sendError(res: ServerResponse, e: unknown): void {
  const err = e instanceof ApiError ? e : new ApiError(500, `internal error: ${e instanceof Error ? e.message : String(e)}`);
  if (res.headersSent) {
    // mid-stream: one error event, then the end of the stream
    if (!res.destroyed && !res.writableEnded) res.end(`data: ${JSON.stringify(err.body())}\n\ndata: [DONE]\n\n`);
    return;
  }
  sendJson(res, err.status, err.body());
}

function authorized(o: ServeOptions, req: IncomingMessage): boolean {
  if (o.apiKey === undefined) return true;
  const h = req.headers.authorization ?? '';
  const given = Buffer.from(h.startsWith('Bearer ') ? h.slice(7) : '');
  const want = Buffer.from(o.apiKey);
  return given.length === want.length && timingSafeEqual(given, want);
}

async function readBody(req: IncomingMessage, limit: number): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of req as AsyncIterable<Buffer>) {
    size += c.length;
    if (size > limit) throw new ApiError(413, `the request body exceeds ${limit} bytes`);
    chunks.push(c);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  try {
    return JSON.parse(text);
  } catch {
    throw new ApiError(400, 'We could not parse the JSON body of your request.', null, 'invalid_json');
  }
}

async function handle(o: ServeOptions, batcher: ContinuousBatcher, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const path = (req.url ?? '/').split('?')[0]!.replace(/\/+$/, '');
  if (!authorized(o, req)) throw new ApiError(401, 'Incorrect API key provided.', null, 'invalid_api_key');
  if (path === '/health') return sendJson(res, 200, { status: 'ok', ...batcher.load, steps: batcher.stats.steps });
  const model = { id: o.modelId, object: 'model', created: 0, owned_by: 'heed' };
  if (path === '/v1/models' || path.startsWith('/v1/models/')) {
    if (req.method !== 'GET') throw new ApiError(405, `${req.method} is not allowed on ${path}`);
    if (path === '/v1/models') return sendJson(res, 200, { object: 'list', data: [model] });
    const id = decodeURIComponent(path.slice('/v1/models/'.length));
    if (id !== o.modelId) throw new ApiError(404, `The model '${id}' does not exist`, 'model', 'model_not_found');
    return sendJson(res, 200, model);
  }
  const endpoint: Endpoint | undefined = path === '/v1/completions' ? 'completions' : path === '/v1/chat/completions' ? 'chat' : undefined;
  if (!endpoint) throw new ApiError(404, `no route ${req.method} ${path}`, null, 'unknown_url');
  if (req.method !== 'POST') throw new ApiError(405, `${req.method} is not allowed on ${path} (use POST)`);
  const r = parseRequest(endpoint, await readBody(req, o.maxBodyBytes ?? 1 << 20));
  if (r.model !== o.modelId)
    throw new ApiError(404, `The model '${r.model}' does not exist (this server has '${o.modelId}')`, 'model', 'model_not_found');
  await complete(o, batcher, r, res);
}

interface Choice {
  index: number;
  prompt: number[];
  sub: Submission;
  /** Logprob entries not yet sent (streaming). */
  pending: TokenLogprob[];
  /** Last id already described by a sent logprob entry (for token texts). */
  prev: number;
  textOffset: number;
}

async function complete(o: ServeOptions, batcher: ContinuousBatcher, r: ApiRequest, res: ServerResponse): Promise<void> {
  const { tok, model } = o;
  const max = model.config.maxSeqLen;
  const encoded = r.prompts.map((p) => tok.encode(p, { bos: true }));
  encoded.forEach((ids) => {
    if (ids.length >= max)
      throw new ApiError(
        400,
        `This model's maximum context length is ${max} tokens; the prompt has ${ids.length}.`,
        r.endpoint === 'chat' ? 'messages' : 'prompt',
        'context_length_exceeded',
      );
  });
  const id = newId(r.endpoint === 'chat' ? 'chatcmpl' : 'cmpl');
  const object = r.endpoint === 'chat' ? 'chat.completion.chunk' : 'text_completion';
  const base = { id, object, created: created(), model: o.modelId };
  const write = (data: unknown) => {
    if (!res.destroyed && !res.writableEnded) res.write(`data: ${JSON.stringify(data)}\n\n`);
  };
  const logprobsOf = (c: Choice, entries: TokenLogprob[]) => {
    if (r.logprobs === undefined) return null;
    const out =
      r.endpoint === 'chat'
        ? { content: chatLogprobs(tok, c.prev, entries), refusal: null }
        : completionLogprobs(tok, c.prev, entries, c.textOffset);
    if (entries.length) c.prev = entries[entries.length - 1]!.id;
    return out;
  };
  const chunk = (c: Choice, text: string, finish: string | null) => {
    const lp = logprobsOf(c, c.pending.splice(0));
    c.textOffset += text.length;
    const choice =
      r.endpoint === 'chat'
        ? { index: c.index, delta: finish && !text ? {} : { content: text }, logprobs: lp, finish_reason: finish }
        : { index: c.index, text, logprobs: lp, finish_reason: finish };
    write({ ...base, choices: [choice] });
  };

  const choices: Choice[] = [];
  const cancelAll = () => {
    for (const c of choices) c.sub.cancel();
  };
  res.on('close', () => {
    if (!res.writableFinished) cancelAll();
  });
  const seedBase = r.seed ?? randomInt(2 ** 31);
  try {
    for (const [p, prompt] of encoded.entries()) {
      for (let k = 0; k < r.n; k++) {
        const c: Choice = {
          index: choices.length,
          prompt,
          pending: [],
          prev: prompt[prompt.length - 1]!,
          textOffset: 0,
          sub: undefined as unknown as Submission,
        };
        const idx = p * r.n + k;
        c.sub = batcher.submit(prompt, {
          maxTokens: r.maxTokens ?? max,
          ...r.sampling,
          seed: seedBase + idx,
          stopIds: [tok.eos, tok.bos],
          stopStrings: r.stop,
          tokenizer: tok,
          ...(o.processors?.length ? { processors: o.processors } : {}),
          ...(r.logprobs !== undefined ? { logprobs: r.logprobs } : {}),
          ...(r.stream
            ? {
                onToken: () => {
                  const lps = c.sub.sequence.logprobs;
                  if (r.logprobs !== undefined) c.pending.push(lps[lps.length - 1]!);
                },
                onText: (text: string) => chunk(c, text, null),
              }
            : {}),
        });
        choices.push(c);
      }
    }
  } catch (e) {
    cancelAll();
    throw e instanceof ApiError ? e : new ApiError(400, (e as Error).message);
  }
  // Headers go out only once every choice was accepted (a refusal is still a plain 4xx). No
  // callback can run before this: the batcher steps only after this function yields.
  if (r.stream) {
    res.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-cache', Connection: 'keep-alive' });
    if (r.endpoint === 'chat')
      for (const c of choices)
        write({ ...base, choices: [{ index: c.index, delta: { role: 'assistant', content: '' }, logprobs: null, finish_reason: null }] });
  }
  const results: GenerationResult[] = [];
  const promptTokens = encoded.reduce((a, e) => a + e.length, 0);
  // one failed choice fails the request: stop its siblings rather than decode for no one
  for (const c of choices) c.sub.result.catch(cancelAll);
  if (r.stream) {
    await Promise.all(
      choices.map(async (c) => {
        const g = await c.sub.result;
        results[c.index] = g;
        if (g.finishReason !== 'abort') chunk(c, '', g.finishReason);
      }),
    );
    if (r.includeUsage)
      write({
        ...base,
        choices: [],
        usage: usage(
          promptTokens,
          results.reduce((a, g) => a + g.ids.length, 0),
        ),
      });
    if (!res.destroyed && !res.writableEnded) res.end('data: [DONE]\n\n');
    return;
  }
  for (const c of choices) results.push(await c.sub.result);
  const out = choices.map((c, i) => {
    const g = results[i]!;
    const lp = r.logprobs !== undefined ? logprobsOf(c, g.logprobs ?? []) : null;
    const reason = g.finishReason === 'abort' ? 'stop' : g.finishReason;
    return r.endpoint === 'chat'
      ? { index: c.index, message: { role: 'assistant', content: g.text, refusal: null }, logprobs: lp, finish_reason: reason }
      : { index: c.index, text: g.text, logprobs: lp, finish_reason: reason };
  });
  sendJson(res, 200, {
    id,
    object: r.endpoint === 'chat' ? 'chat.completion' : 'text_completion',
    created: base.created,
    model: o.modelId,
    choices: out,
    usage: usage(
      promptTokens,
      results.reduce((a, g) => a + g.ids.length, 0),
    ),
  });
}
