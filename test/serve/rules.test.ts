// The server applies its processors (the rules adapter) to every request: an in-process server on
// a free port answers a chat request with what in-process generation with the same adapter gives.
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { cpu } from '../../src/backend/cpu/cpu.ts';
import { generateBatchResults } from '../../src/decode/generate.ts';
import { parseRules, rulesAdapter } from '../../src/decode/rules.ts';
import type { Llama } from '../../src/nn/llama.ts';
import { buildModel, readCheckpoint } from '../../src/load/pretrained.ts';
import { type ApiServer, createApiServer } from '../../src/serve/server.ts';
import { loadLlama2cTokenizer } from '../../src/tokenizer/llama2c.ts';
import { chatText } from '../../src/tokenizer/tokenizer.ts';
import { dataPath } from '../../src/util/dataRoot.ts';

const dir = 'llama2c-stories260K';
const tok = loadLlama2cTokenizer(dataPath(dir, 'tok512.bin'));
const rules = rulesAdapter(tok, parseRules('eos,uniform,diversity'), undefined, { eosId: tok.bos });
let model: Llama;
let api: ApiServer;
let url: string;

beforeAll(async () => {
  model = buildModel(readCheckpoint(dataPath(dir, 'stories260K.bin')), cpu);
  api = createApiServer({ model, tok, modelId: 'm', processors: rules.processors });
  await new Promise<void>((r) => api.server.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(api.server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise((r) => api.server.close(r));
});

it("heed serve with rules: the chat answer is the adapter's answer", async () => {
  const instruction = 'Why do dogs bark?';
  const res = await fetch(`${url}/v1/chat/completions`, {
    method: 'POST',
    body: JSON.stringify({ model: 'm', messages: [{ role: 'user', content: instruction }], temperature: 0, max_tokens: 200 }),
  });
  const body = (await res.json()) as { choices: { message: { content: string }; finish_reason: string }[] };
  const [ref] = await generateBatchResults(model, [tok.encode(chatText(instruction), { bos: true })], {
    maxTokens: 200,
    stopIds: [tok.eos, tok.bos],
    tokenizer: tok,
    processors: rules.processors,
  });
  const [plain] = await generateBatchResults(model, [tok.encode(chatText(instruction), { bos: true })], {
    maxTokens: 200,
    stopIds: [tok.eos, tok.bos],
    tokenizer: tok,
  });
  expect(body.choices[0]!.message.content).toBe(ref!.text);
  expect(body.choices[0]!.finish_reason).toBe('stop');
  expect(ref!.text).not.toBe(plain!.text);
});
