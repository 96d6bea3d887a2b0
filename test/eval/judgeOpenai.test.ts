// The openai judge against a real HTTP server on loopback that answers chat completions with
// chosen top_logprobs, fails on purpose, and counts requests.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { compare } from '../../src/eval/compare.ts';
import { completionsUrl, openaiJudge, parseOpenAISpec } from '../../src/eval/judges/openai.ts';
import { bareToken, isSwapped, judgeMessages, preferenceFromLogprobs, unswap } from '../../src/eval/judges/weighted.ts';
import type { ModelOutput } from '../../src/eval/outputs.ts';

it('preference = 2 − P(m)/(P(m)+P(M)), every spelling of m and M counts, NaN when neither appears', () => {
  // P(m) = 0.6, P(M) = 0.2 → 2 − 0.75 = 1.25
  expect(
    preferenceFromLogprobs([
      { token: 'm', logprob: Math.log(0.6) },
      { token: 'M', logprob: Math.log(0.2) },
      { token: 'x', logprob: Math.log(0.1) },
    ]),
  ).toBeCloseTo(1.25, 12);
  // ▁m 0.3 + " m" 0.1 = 0.4 for m; ĠM 0.4 for M → 2 − 0.5 = 1.5
  expect(
    preferenceFromLogprobs([
      { token: '\u2581m', logprob: Math.log(0.3) },
      { token: ' m', logprob: Math.log(0.1) },
      { token: '\u0120M', logprob: Math.log(0.4) },
    ]),
  ).toBeCloseTo(1.5, 12);
  expect(preferenceFromLogprobs([{ token: 'M', logprob: 0 }])).toBe(2);
  expect(
    Number.isNaN(
      preferenceFromLogprobs([
        { token: 'mm', logprob: -0.1 },
        { token: 'A', logprob: -3 },
      ]),
    ),
  ).toBe(true);
  expect(bareToken('\u2581M')).toBe('M');
  expect(unswap(1.25, true)).toBe(1.75);
  expect(unswap(1.25, false)).toBe(1.25);
});

it('the order swap is a seeded per-instruction coin that shows each order about half the time', () => {
  const ins = Array.from({ length: 400 }, (_, i) => `instruction ${i}`);
  const swapped = ins.filter((s) => isSwapped(s, 0)).length;
  expect(swapped).toBeGreaterThan(150);
  expect(swapped).toBeLessThan(250);
  expect(ins.map((s) => isSwapped(s, 0))).toEqual(ins.map((s) => isSwapped(s, 0)));
  expect(ins.map((s) => isSwapped(s, 1))).not.toEqual(ins.map((s) => isSwapped(s, 0)));
  const [sys, user] = judgeMessages('Say hi', 'FIRST', 'SECOND');
  expect(sys!.role).toBe('system');
  expect(user!.content.indexOf('"model_identifier": "m"')).toBeLessThan(user!.content.indexOf('FIRST'));
  expect(user!.content.indexOf('FIRST')).toBeLessThan(user!.content.indexOf('"model_identifier": "M"'));
  expect(user!.content.indexOf('"model_identifier": "M"')).toBeLessThan(user!.content.indexOf('SECOND'));
});

it('parses openai:URL[#model] and refuses what is not a URL', () => {
  expect(parseOpenAISpec('openai:http://127.0.0.1:8080/v1#judge-7b')).toEqual({ url: 'http://127.0.0.1:8080/v1', model: 'judge-7b' });
  expect(parseOpenAISpec('openai:http://h/v1')).toEqual({ url: 'http://h/v1' });
  expect(completionsUrl('http://h/v1/')).toBe('http://h/v1/chat/completions');
  expect(completionsUrl('http://h/v1/chat/completions')).toBe('http://h/v1/chat/completions');
  expect(() => parseOpenAISpec('openai:localhost')).toThrow(/is not a URL/);
  expect(() => parseOpenAISpec('openai:http://h/v1#')).toThrow(/empty model name/);
});

// The server's judge: prefers the output containing "GOOD" with P = 0.9 (the label it was shown under).
let server: Server;
let base = '';
let requests = 0;
let failNext = 0;
const bodies: { model: string; max_tokens: number; logprobs: boolean; top_logprobs: number }[] = [];
let inFlight = 0;
let maxInFlight = 0;
beforeAll(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      requests++;
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      setTimeout(() => {
        inFlight--;
        if (req.url !== '/v1/chat/completions') {
          res.writeHead(404).end('no such route');
          return;
        }
        if (failNext > 0) {
          failNext--;
          res.writeHead(503).end('busy');
          return;
        }
        const j = JSON.parse(body) as {
          model: string;
          max_tokens: number;
          logprobs: boolean;
          top_logprobs: number;
          messages: { content: string }[];
        };
        bodies.push(j);
        const user = j.messages[1]!.content;
        const mAt = user.indexOf('"model_identifier": "m"');
        const MAt = user.indexOf('"model_identifier": "M"');
        const good = user.indexOf('GOOD');
        const top = user.includes('UNSURE')
          ? [{ token: 'x', logprob: -0.1 }]
          : good > mAt && good < MAt
            ? [
                { token: '▁m', logprob: Math.log(0.9) },
                { token: 'M', logprob: Math.log(0.1) },
              ]
            : [
                { token: 'M', logprob: Math.log(0.9) },
                { token: ' m', logprob: Math.log(0.1) },
              ];
        res.writeHead(200, { 'content-type': 'application/json' }).end(
          JSON.stringify({
            choices: [
              {
                message: { role: 'assistant', content: top[0]!.token },
                logprobs: { content: [{ token: top[0]!.token, logprob: top[0]!.logprob, top_logprobs: top }] },
              },
            ],
          }),
        );
      }, 5);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
});
const tmp = mkdtempSync(join(tmpdir(), 'heed-openai-'));
afterAll(async () => {
  await new Promise<void>((r) => server.close(() => r()));
  rmSync(tmp, { recursive: true, force: true });
});

const row = (instruction: string, output: string, generator: string): ModelOutput => ({ instruction, output, generator, dataset: 'd' });

it('judges over HTTP: undoes the seeded swap, runs requests concurrently, retries 5xx, caches on disk', async () => {
  const n = 24;
  const reference = Array.from({ length: n }, (_, i) => row(`q${i}`, i % 3 === 0 ? 'GOOD ref' : 'meh ref', 'ref'));
  const model = Array.from({ length: n }, (_, i) => row(`q${i}`, i % 3 === 0 ? 'meh model' : i === 4 ? 'UNSURE' : 'GOOD model', 'mod'));
  expect(reference.some((r) => isSwapped(r.instruction, 0)) && reference.some((r) => !isSwapped(r.instruction, 0))).toBe(true);
  const cachePath = join(tmp, 'cache.jsonl');
  failNext = 2;
  const judge = openaiJudge({ url: base, model: 'tiny', concurrency: 4, backoffMs: 5, cachePath });
  const { annotations, summary } = await compare({ model, reference, judge });
  // Reference better on i % 3 == 0 (P = 0.9 → preference 1.1), no verdict on i == 4, model better elsewhere (1.9).
  annotations.forEach((a, i) => {
    if (i === 4) expect(a.preference).toBeNull();
    else expect(a.preference).toBeCloseTo(i % 3 === 0 ? 1.1 : 1.9, 12);
  });
  expect(summary.n_no_verdict).toBe(1);
  expect(summary.n_total).toBe(n - 1);
  expect(requests).toBe(n + 2); // two 503s were retried
  expect(maxInFlight).toBeGreaterThan(1);
  expect(maxInFlight).toBeLessThanOrEqual(4);
  expect(bodies.every((b) => b.model === 'tiny' && b.max_tokens === 1 && b.logprobs === true && b.top_logprobs === 5)).toBe(true);
  expect(readFileSync(cachePath, 'utf8').trim().split('\n')).toHaveLength(n);
  // A rerun with a fresh judge reads the cache and sends nothing.
  const again = await compare({ model, reference, judge: openaiJudge({ url: base, model: 'tiny', cachePath }) });
  expect(requests).toBe(n + 2);
  expect(again.annotations.map((a) => a.preference)).toEqual(annotations.map((a) => a.preference));
});

it('a cache cut short by a crash keeps its whole lines; a corrupt line in the middle is refused', async () => {
  const pair = [{ instruction: 'cache me', output_1: 'GOOD a', output_2: 'b' }];
  const cachePath = join(tmp, 'cut.jsonl');
  await openaiJudge({ url: base, cachePath }).judge(pair);
  const whole = readFileSync(cachePath, 'utf8');
  writeFileSync(cachePath, `${whole}{"key":"abc","top_lo`); // a crash mid-append
  const before = requests;
  const v = await openaiJudge({ url: base, cachePath }).judge(pair);
  expect(requests).toBe(before); // served from the whole line
  expect(v[0]!.preference).toBeCloseTo(1.1, 12);
  expect(readFileSync(cachePath, 'utf8')).toBe(whole);
  writeFileSync(cachePath, `garbage\n${whole}`);
  expect(() => openaiJudge({ url: base, cachePath })).toThrow(/cut.jsonl:1: the judge cache line is not valid JSON/);
});

it('gives up after the attempts allowed, and does not retry a client error', async () => {
  const pair = [{ instruction: 'x', output_1: 'a', output_2: 'b' }];
  failNext = 10;
  const before = requests;
  await expect(openaiJudge({ url: base, maxAttempts: 3, backoffMs: 1 }).judge(pair)).rejects.toThrow(/HTTP 503 busy \(after 3 attempts\)/);
  expect(requests - before).toBe(3);
  failNext = 0;
  const b2 = requests;
  await expect(openaiJudge({ url: `${base}/nope`, maxAttempts: 3, backoffMs: 1 }).judge(pair)).rejects.toThrow(/HTTP 404 no such route$/);
  expect(requests - b2).toBe(1);
});
