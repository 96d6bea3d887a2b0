// `heed generate --chat --rules` as a real process on both backends prints the answer that
// in-process generation with the same adapter produces.
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { expect, it } from 'vitest';
import { cpu } from '../../src/backend/cpu/cpu.ts';
import { generateBatchResults } from '../../src/decode/generate.ts';
import { parseRules, rulesAdapter } from '../../src/decode/rules.ts';
import { buildModel, readCheckpoint } from '../../src/load/pretrained.ts';
import { loadLlama2cTokenizer } from '../../src/tokenizer/llama2c.ts';
import { chatText } from '../../src/tokenizer/tokenizer.ts';
import { dataPath, projectRoot } from '../../src/util/dataRoot.ts';

it("heed generate --chat --rules prints the adapter's answer on cpu and webgpu", async () => {
  const dir = 'llama2c-stories260K';
  const [bin, tokPath] = [dataPath(dir, 'stories260K.bin'), dataPath(dir, 'tok512.bin')];
  const tok = loadLlama2cTokenizer(tokPath);
  const instruction = 'Tell me a story about a cat.';
  const rules = rulesAdapter(tok, parseRules('eos,uniform,diversity'), undefined, { eosId: tok.bos });
  const [ref] = await generateBatchResults(buildModel(readCheckpoint(bin), cpu), [tok.encode(chatText(instruction), { bos: true })], {
    maxTokens: 150,
    stopIds: [tok.bos, tok.eos],
    tokenizer: tok,
    processors: rules.processors,
  });
  expect(ref!.finishReason).toBe('stop');
  for (const backend of ['cpu', 'webgpu']) {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [
      join(projectRoot, 'bin', 'heed.js'),
      'generate',
      '--model',
      bin,
      '--tokenizer',
      tokPath,
      '--chat',
      '--prompt',
      instruction,
      '--rules',
      'eos,uniform,diversity',
      '--rules-eos-id',
      '1',
      '--max-tokens',
      '150',
      '--backend',
      backend,
    ]);
    expect(stdout, backend).toBe(`${ref!.text}\n`);
    expect(stderr).toMatch(/rules eos,uniform,diversity; finish: stop/);
    expect(stderr).toMatch(/the vocabulary has no token for " <", " We"/);
  }
});
