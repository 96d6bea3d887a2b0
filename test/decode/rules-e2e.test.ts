// End to end on a base model (stories260K, CPU): the rules adapter shortens responses to chat
// prompts and changes how they begin. llama2.c story models end a text with BOS, so the eos rule
// boosts that id here (the adapter's eosId option); the other weights are the paper's.
import { expect, it } from 'vitest';
import { cpu } from '../../src/backend/cpu/cpu.ts';
import { generateBatchResults } from '../../src/decode/generate.ts';
import { parseRules, rulesAdapter } from '../../src/decode/rules.ts';
import { buildModel, readCheckpoint } from '../../src/load/pretrained.ts';
import { loadLlama2cTokenizer } from '../../src/tokenizer/llama2c.ts';
import { chatText } from '../../src/tokenizer/tokenizer.ts';
import { dataPath } from '../../src/util/dataRoot.ts';

it("the rules adapter shortens a base model's answers and changes their first tokens", async () => {
  const dir = 'llama2c-stories260K';
  const tok = loadLlama2cTokenizer(dataPath(dir, 'tok512.bin'));
  const model = buildModel(readCheckpoint(dataPath(dir, 'stories260K.bin')), cpu);
  const prompts = ['Tell me a story about a cat.', 'What is the color of the sky?', 'Write a poem about the sea.', 'Why do dogs bark?'].map(
    (i) => tok.encode(chatText(i), { bos: true }),
  );
  const opts = { maxTokens: 200, stopIds: [tok.eos, tok.bos] };
  const base = await generateBatchResults(model, prompts, opts);
  const rules = rulesAdapter(tok, parseRules('eos,uniform,diversity'), undefined, { eosId: tok.bos });
  expect(rules.missing.length).toBe(9); // the 512-token vocabulary has only 6 of the 15 uniform tokens
  const adapted = await generateBatchResults(model, prompts, { ...opts, processors: rules.processors });
  expect(base.every((r) => r.ids.length === 200)).toBe(true); // the base model never stops on its own here
  for (const r of adapted) {
    expect(r.finishReason).toBe('stop');
    expect(r.ids.length).toBeLessThan(160);
  }
  const head = (ids: number[]) => ids.slice(0, 6).join(',');
  expect(adapted.filter((r, i) => head(r.ids) !== head(base[i]!.ids)).length).toBeGreaterThanOrEqual(2);
});
