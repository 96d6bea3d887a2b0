// Against a real `heed serve` process over real HTTP, with the official `openai` client.
import { connect } from 'node:net';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cpu } from '../../src/backend/cpu/cpu.ts';
import { generateBatchResults } from '../../src/decode/generate.ts';
import type { Llama } from '../../src/nn/llama.ts';
import { buildModel, readCheckpoint } from '../../src/load/pretrained.ts';
import { chatPrompt } from '../../src/data/chat.ts';
import { loadLlama2cTokenizer } from '../../src/tokenizer/llama2c.ts';
import { dataPath } from '../../src/util/dataRoot.ts';
import { type RunningServer, startServer } from './serverProcess.ts';

const dir = 'llama2c-stories260K';
const MODEL = 'stories260K';
const KEY = 'test-key-123';
const tok = loadLlama2cTokenizer(dataPath(dir, 'tok512.bin'));
let server: RunningServer;
let client: OpenAI;
let model: Llama;

beforeAll(async () => {
  server = await startServer([
    '--model',
    dataPath(dir, 'stories260K.bin'),
    '--tokenizer',
    dataPath(dir, 'tok512.bin'),
    '--backend',
    'cpu',
    '--api-key',
    KEY,
  ]);
  client = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: KEY, maxRetries: 0 });
  model = buildModel(readCheckpoint(dataPath(dir, 'stories260K.bin')), cpu);
});
afterAll(async () => {
  expect(await server.stop()).toBe(0);
});

async function reference(text: string, maxTokens: number, stop: string[] = []) {
  const [r] = await generateBatchResults(model, [tok.encode(text, { bos: true })], {
    maxTokens,
    stopIds: [tok.eos, tok.bos],
    stopStrings: stop,
    tokenizer: tok,
  });
  return r!;
}

async function raw(
  path: string,
  init: RequestInit & { auth?: boolean } = {},
): Promise<{ status: number; body: { error?: { message: string; type: string; param: string | null; code: string | null } } }> {
  const headers: Record<string, string> = { 'Content-Type': 'application/json' };
  if (init.auth !== false) headers.Authorization = `Bearer ${KEY}`;
  const res = await fetch(`${server.url}${path}`, { ...init, headers });
  return { status: res.status, body: (await res.json()) as never };
}

describe('heed serve (real process, openai client)', () => {
  it('lists its model', async () => {
    const list = await client.models.list();
    expect(list.data.map((m) => m.id)).toEqual([MODEL]);
  });

  it('chat completions: greedy content equals in-process generation of the Tulu-rendered prompt; usage counts tokens', async () => {
    const messages = [
      { role: 'user' as const, content: 'Tell me a story.' },
      { role: 'assistant' as const, content: 'Once there was a dog.' },
      { role: 'user' as const, content: 'More!' },
    ];
    const r = await client.chat.completions.create({ model: MODEL, messages, max_tokens: 30, temperature: 0 });
    const prompt = chatPrompt(messages);
    expect(prompt).toBe('<|user|>\nTell me a story.\n<|assistant|>\nOnce there was a dog.</s>\n<|user|>\nMore!\n<|assistant|>\n');
    const ref = await reference(prompt, 30);
    expect(r.choices[0]!.message.content).toBe(ref.text);
    expect(r.choices[0]!.finish_reason).toBe(ref.finishReason);
    expect(r.usage).toEqual({
      prompt_tokens: tok.encode(prompt, { bos: true }).length,
      completion_tokens: ref.ids.length,
      total_tokens: tok.encode(prompt, { bos: true }).length + ref.ids.length,
    });
    expect(r.object).toBe('chat.completion');
  });

  it('completions with a stop string cut the text before it (finish_reason stop)', async () => {
    const ref = await reference('Once upon a time', 40);
    const stop = ref.text.slice(12, 15);
    const r = await client.completions.create({ model: MODEL, prompt: 'Once upon a time', max_tokens: 40, temperature: 0, stop: [stop] });
    expect(r.choices[0]!.text).toBe(ref.text.slice(0, ref.text.indexOf(stop)));
    expect(r.choices[0]!.finish_reason).toBe('stop');
  });

  it('streaming: chat deltas and completion chunks add up to the non-streamed text, then usage and [DONE]', async () => {
    const messages = [{ role: 'user' as const, content: 'Hi' }];
    const whole = await client.chat.completions.create({ model: MODEL, messages, max_tokens: 25, temperature: 0 });
    const stream = await client.chat.completions.create({
      model: MODEL,
      messages,
      max_tokens: 25,
      temperature: 0,
      stream: true,
      stream_options: { include_usage: true },
      logprobs: true,
      top_logprobs: 1,
    });
    const entries: OpenAI.ChatCompletionTokenLogprob[] = [];
    let text = '';
    let finish: string | null = null;
    let usage: OpenAI.CompletionUsage | undefined | null;
    let chunks = 0;
    for await (const c of stream) {
      chunks++;
      if (c.usage) usage = c.usage;
      for (const ch of c.choices) {
        entries.push(...(ch.logprobs?.content ?? []));
        text += ch.delta.content ?? '';
        finish = ch.finish_reason ?? finish;
      }
    }
    expect(text).toBe(whole.choices[0]!.message.content);
    expect(finish).toBe(whole.choices[0]!.finish_reason);
    expect(usage).toEqual(whole.usage);
    expect(chunks).toBeGreaterThan(5);
    // streamed logprobs: one entry per generated token, in order, spelling the text
    expect(entries.length).toBe(whole.usage!.completion_tokens);
    expect(entries.map((e) => e.token).join('')).toBe(text);
    expect(entries.every((e) => e.top_logprobs.length === 1 && e.top_logprobs[0]!.logprob === e.logprob)).toBe(true);
    const s2 = await client.completions.create({ model: MODEL, prompt: 'The cat', max_tokens: 20, temperature: 0, stream: true });
    let t2 = '';
    for await (const c of s2) t2 += c.choices[0]?.text ?? '';
    expect(t2).toBe((await reference('The cat', 20)).text);
    // the raw stream ends with the [DONE] sentinel
    const res = await fetch(`${server.url}/v1/completions`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${KEY}` },
      body: JSON.stringify({ model: MODEL, prompt: 'a', max_tokens: 3, stream: true }),
    });
    expect(res.headers.get('content-type')).toBe('text/event-stream');
    expect((await res.text()).endsWith('data: [DONE]\n\n')).toBe(true);
  });

  it("logprobs in each endpoint's shape", async () => {
    const r = await client.chat.completions.create({
      model: MODEL,
      messages: [{ role: 'user', content: 'Hi' }],
      max_tokens: 12,
      temperature: 0,
      logprobs: true,
      top_logprobs: 3,
    });
    const content = r.choices[0]!.logprobs!.content!;
    expect(content.length).toBe(r.usage!.completion_tokens);
    expect(content.map((e) => e.token).join('')).toBe(r.choices[0]!.message.content);
    for (const e of content) {
      expect(e.logprob).toBeLessThanOrEqual(0);
      expect(e.top_logprobs.length).toBe(3);
      expect(e.top_logprobs[0]!.logprob).toBe(e.logprob); // greedy picks the most likely
      expect(e.top_logprobs[0]!.logprob).toBeGreaterThanOrEqual(e.top_logprobs[1]!.logprob);
      expect(Buffer.from(e.bytes!).toString()).toBe(e.token);
    }
    const c = await client.completions.create({ model: MODEL, prompt: 'Once upon a time', max_tokens: 10, temperature: 0, logprobs: 2 });
    const lp = c.choices[0]!.logprobs!;
    expect(lp.tokens!.join('')).toBe(c.choices[0]!.text);
    expect(lp.token_logprobs!.length).toBe(10);
    expect(lp.top_logprobs!.every((d) => Object.keys(d).length >= 1 && Object.keys(d).length <= 2)).toBe(true);
    expect(lp.text_offset![0]).toBe(0);
    expect(lp.text_offset![3]).toBe(lp.tokens!.slice(0, 3).join('').length);
  });

  it('16 concurrent requests return what each returns alone (greedy and seeded sampling, n > 1)', async () => {
    const reqs = Array.from({ length: 16 }, (_, i) => ({
      model: MODEL,
      prompt: ['Once upon a time', 'The cat', 'Lily wanted', 'Tom and his dog went to the park to'][i % 4]!,
      max_tokens: 8 + ((i * 7) % 30),
      temperature: i % 3 === 0 ? 0 : 0.8,
      seed: 100 + i,
      ...(i % 5 === 0 ? { n: 2 } : {}),
    }));
    const alone: string[][] = [];
    for (const r of reqs) alone.push((await client.completions.create(r)).choices.map((c) => c.text));
    let peak = 0;
    let polling = true;
    const poll = (async () => {
      while (polling) {
        peak = Math.max(peak, ((await raw('/health')).body as unknown as { running: number }).running);
        await new Promise((r) => setTimeout(r, 5));
      }
    })();
    const together = await Promise.all(reqs.map(async (r) => (await client.completions.create(r)).choices.map((c) => c.text)));
    polling = false;
    await poll;
    expect(peak).toBeGreaterThan(4); // they really shared the batch
    expect(together).toEqual(alone);
    expect(alone[5]!.length).toBe(2);
    expect(alone.flat().some((t) => t.length > 0)).toBe(true);
  });

  it("malformed requests get 4xx errors in OpenAI's shape, and the server keeps serving", async () => {
    const post = (path: string, body: string, auth = true) => raw(path, { method: 'POST', body, auth });
    const cases: [Promise<Awaited<ReturnType<typeof raw>>>, number, string | null, RegExp][] = [
      [post('/v1/completions', '{"model": "stories260K", "prompt": '), 400, null, /parse the JSON/],
      [post('/v1/completions', '[1, 2]'), 400, null, /JSON object/],
      [post('/v1/completions', JSON.stringify({ model: MODEL, prompt: 'a', max_tokens: 'ten' })), 400, 'max_tokens', /must be an integer/],
      [post('/v1/completions', JSON.stringify({ model: MODEL, prompt: 7 })), 400, 'prompt', /must be a string/],
      [post('/v1/completions', JSON.stringify({ model: 'gpt-4', prompt: 'a' })), 404, 'model', /does not exist/],
      [post('/v1/completions', JSON.stringify({ model: MODEL, prompt: 'a '.repeat(600) })), 400, 'prompt', /maximum context length is 512/],
      [post('/v1/completions', JSON.stringify({ model: MODEL, prompt: 'a', top_p: 2 })), 400, 'top_p', /between 0 and 1/],
      [post('/v1/completions', JSON.stringify({ model: MODEL, prompt: 'a', n: 0 })), 400, 'n', /between 1 and 16/],
      [post('/v1/completions', JSON.stringify({ model: MODEL, prompt: 'a', bogus: 1 })), 400, 'bogus', /Unrecognized request argument/],
      [
        post('/v1/chat/completions', JSON.stringify({ model: MODEL, messages: [{ role: 'robot', content: 'x' }] })),
        400,
        'messages[0].role',
        /system, user or assistant/,
      ],
      [post('/v1/chat/completions', JSON.stringify({ model: MODEL, messages: [] })), 400, 'messages', /non-empty array/],
      [
        post('/v1/chat/completions', JSON.stringify({ model: MODEL, messages: [{ role: 'user', content: 'x' }], top_logprobs: 2 })),
        400,
        'top_logprobs',
        /needs 'logprobs'/,
      ],
      [post('/v1/completions', JSON.stringify({ model: MODEL, prompt: 'a' }), false), 401, null, /API key/],
      [post('/v1/completions', JSON.stringify({ model: MODEL, prompt: 'x'.repeat(1_100_000) })), 413, null, /exceeds/],
      [raw('/v1/completions'), 405, null, /use POST/],
      [raw('/v1/nothing'), 404, null, /no route/],
    ];
    for (const [p, status, param, msg] of cases) {
      const { status: s, body } = await p;
      expect(s, body.error?.message).toBe(status);
      expect(body.error!.param).toBe(param);
      expect(body.error!.message).toMatch(msg);
      expect(typeof body.error!.type).toBe('string');
    }
    await expect(
      client.chat.completions.create({ model: MODEL, messages: [{ role: 'user', content: 'x' }], temperature: -1 }),
    ).rejects.toMatchObject({ status: 400, param: 'temperature' });
    // bytes that are not HTTP at all
    const reply = await new Promise<string>((resolve, reject) => {
      const u = new URL(server.url);
      const sock = connect(Number(u.port), u.hostname, () => sock.write('NOT HTTP AT ALL\r\n\r\n'));
      let got = '';
      sock.on('data', (d) => (got += d.toString()));
      sock.on('end', () => resolve(got));
      sock.on('error', reject);
    });
    expect(reply).toMatch(/^HTTP\/1\.1 400/);
    expect((await client.models.list()).data.length).toBe(1);
    expect(server.proc.exitCode).toBe(null);
  });

  it('a client that disconnects mid-stream cancels its sequence; others are served', async () => {
    const ac = new AbortController();
    const res = await fetch(`${server.url}/v1/completions`, {
      method: 'POST',
      signal: ac.signal,
      headers: { Authorization: `Bearer ${KEY}` },
      body: JSON.stringify({ model: MODEL, prompt: 'Once', max_tokens: 500, stream: true, temperature: 0 }),
    });
    const reader = res.body!.getReader();
    await reader.read(); // the first chunk has arrived: the sequence is decoding
    const health = async () => (await raw('/health')).body as unknown as { running: number; waiting: number };
    expect((await health()).running).toBe(1);
    ac.abort();
    const t0 = Date.now();
    while ((await health()).running > 0 && Date.now() - t0 < 3000) await new Promise((r) => setTimeout(r, 20));
    expect((await health()).running).toBe(0); // 500 tokens would take far longer than 3 s
    const r = await client.completions.create({ model: MODEL, prompt: 'The cat', max_tokens: 5, temperature: 0 });
    expect(r.choices[0]!.text).toBe((await reference('The cat', 5)).text);
  });
});
