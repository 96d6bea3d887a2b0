// heed serve: an OpenAI-compatible HTTP server over one checkpoint.
import { basename } from 'node:path';
import { parseArgs } from 'node:util';
import { createApiServer } from '../serve/server.ts';
import { backendHelp, loadFromFlags, numberFlag } from './flags.ts';

export const help = `Usage: heed serve --model PATH [options]

Serves one checkpoint over an OpenAI-compatible HTTP API: GET /v1/models,
POST /v1/completions, POST /v1/chat/completions (messages rendered in the Tulu chat format),
with max_tokens, temperature, top_p, stop, seed, n, logprobs/top_logprobs, stream (server-sent
events) and usage; heed extensions top_k and min_p. Concurrent requests share one continuously
batched decode. Ctrl-C stops the server.

  --model PATH        llama2.c .bin, GGUF file, or HF directory
  --tokenizer PATH    tokenizer.bin or tokenizer.json (optional when the checkpoint carries one)
  --model-name NAME   the model id clients send (default: the checkpoint's file name)
  --host ADDR         address to listen on (default 127.0.0.1: loopback only)
  --port N            port (default 8080; 0 picks a free one)
  --api-key KEY       require "Authorization: Bearer KEY" on every request (default: the
                      HEED_API_KEY environment variable; none when unset)
  --max-batch N       sequences decoded together at most; others wait (default 64)
  --rules LIST        apply the rules adapter to every request: any of eos,uniform,diversity
  --rules-weights F   JSON overrides of the rule weights (see heed generate --help)
  --rules-eos-id N    the id the eos rule boosts (default: the tokenizer's EOS)
  --backend NAME      ${backendHelp}

Prints "listening on http://HOST:PORT" once ready.`;

export async function run(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      model: { type: 'string' },
      tokenizer: { type: 'string' },
      backend: { type: 'string' },
      rules: { type: 'string' },
      'rules-weights': { type: 'string' },
      'rules-eos-id': { type: 'string' },
      'model-name': { type: 'string' },
      host: { type: 'string', default: '127.0.0.1' },
      port: { type: 'string' },
      'api-key': { type: 'string' },
      'max-batch': { type: 'string' },
    },
    strict: true,
  });
  const port = numberFlag(values.port, 'port', { def: 8080 });
  if (!(Number.isInteger(port) && port >= 0 && port < 65536))
    throw new Error(`--port must be an integer in [0, 65535], got ${values.port}`);
  const maxBatch = numberFlag(values['max-batch'], 'max-batch', { def: 64 });
  const { model, tok, backend, rules } = await loadFromFlags(values, help);
  const modelId = values['model-name'] ?? basename(values.model!).replace(/\.(bin|gguf)$/, '');
  const apiKey = values['api-key'] ?? process.env.HEED_API_KEY;
  const { server } = createApiServer({
    model,
    tok,
    modelId,
    maxBatch,
    ...(rules ? { processors: rules.processors } : {}),
    ...(apiKey ? { apiKey } : {}),
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, values.host, () => resolve());
  });
  const addr = server.address();
  const shown =
    typeof addr === 'object' && addr ? `http://${addr.family === 'IPv6' ? `[${addr.address}]` : addr.address}:${addr.port}` : String(addr);
  process.stdout.write(
    `listening on ${shown} (model "${modelId}" on ${backend.name}${rules ? `, rules ${[...rules.rules].join(',')}` : ''}${apiKey ? ', API key required' : ''})\n`,
  );
  await new Promise<void>((resolve) => {
    const stop = () => {
      server.close(() => resolve());
      server.closeAllConnections(); // pooled keep-alive connections would hold close() open
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  return 0;
}
