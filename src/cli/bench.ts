// `heed bench`: the benchmarks in bench/, run from the CLI.
import { backendHelp, backendName, countsFlag } from './flags.ts';
import { parseArgs } from 'node:util';

export const help = `Usage: heed bench <matmul|generate|train|serve> [options]

  matmul    GFLOP/s of the naive WGSL kernel, the best WGSL kernel and the CPU reference,
            side by side, for square and Llama-shaped products.
  generate  tokens/s decoding stories260K on each backend, single stream and batched.
  train     ms/step and tokens/s of forward + backward + AdamW for stories260K and a 15M Llama
            on each backend, as a fraction of the best matmul.
  serve     a real \`heed serve\` on stories260K driven by 1, 4, 16, 64 concurrent streaming
            clients: requests/s, tokens/s, time to first token (median, p95).

Options:
  --json         machine-readable output.
  --peers        (matmul) heed's best kernel against tfjs-wasm in this process, on the same
                 inputs: 512³, 1024³, 2048³ and every projection of stories260K and of the
                 dim-288 config at 512 rows; prints GFLOP/s, GFLOP per CPU-second and the ratio
                 heed ÷ tfjs. Needs the devDependencies @tensorflow/tfjs-core and
                 @tensorflow/tfjs-backend-wasm (npm install in a checkout).
  --plain        (matmul --peers) also time heed without subgroup kernels (tile_v4), the kernel
                 that ran before tile_v4_sg, in the same rounds.
  --rounds N     (matmul --peers) timed rounds per product (default 9); the figures are medians.
                 (train) timed rounds per configuration (default 3).
  --peer PYTHON  (train) run the CPU torch peer (bench/peers/train_torch.py) with this Python,
                 interleaved, and print the ratio.
  --backend NAME (serve) ${backendHelp}.
                 (train) a backend as for serve, or all (cpu, webgpu and fast).
                 (matmul --peers) the contestants: fast (default: all threads and one thread),
                 webgpu or all.
  --profile      (train) time per op kind and per phase (forward, backward, optimizer, host)
                 of one step on each backend measured.
  --only A,B,…   (train) only these cases (stories260K, llama-15M, heed-base).
  --steps N      (train) timed steps per round (default 5).
  --seconds S    (serve) seconds per concurrency level (default 8).
  --clients A,…  (serve) concurrency levels (default 1,4,16,64).
  --sizes A,B,…  (matmul) the square sizes (default 256,512,1024,2048; with --peers 512,1024,2048).`;

export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      json: { type: 'boolean' },
      peers: { type: 'boolean' },
      plain: { type: 'boolean' },
      rounds: { type: 'string' },
      peer: { type: 'string' },
      backend: { type: 'string' },
      seconds: { type: 'string' },
      clients: { type: 'string' },
      sizes: { type: 'string' },
      profile: { type: 'boolean' },
      only: { type: 'string' },
      steps: { type: 'string' },
    },
  });
  const [what, ...extra] = positionals;
  if (extra.length) throw new Error(`unexpected argument "${extra[0]}"\n\n${help}`);
  const json = values.json ?? false;
  const sizes = values.sizes !== undefined ? countsFlag(values.sizes, 'sizes') : undefined;
  const rounds = values.rounds !== undefined ? countsFlag(values.rounds, 'rounds') : undefined;
  const seconds = values.seconds !== undefined ? countsFlag(values.seconds, 'seconds') : undefined;
  if (rounds && rounds.length !== 1) throw new Error(`--rounds takes one number, got "${values.rounds}"`);
  if (what !== 'matmul' && (values.peers || values.plain || sizes)) throw new Error('--peers, --plain and --sizes apply to matmul only');
  if (what !== 'train' && values.peer !== undefined) throw new Error('--peer applies to train only');
  if (what === 'matmul' && !values.peers && (values.plain || rounds)) throw new Error('--plain and --rounds apply to matmul --peers only');
  if ((what === 'generate' || what === 'serve') && rounds) throw new Error('--rounds applies to matmul --peers and train only');
  if (what !== 'serve' && (values.seconds !== undefined || values.clients !== undefined))
    throw new Error('--seconds and --clients apply to serve only');
  if (values.backend !== undefined && !(what === 'serve' || what === 'train' || (what === 'matmul' && values.peers)))
    throw new Error('--backend applies to serve, train and matmul --peers only');
  if (values.profile && what !== 'train') throw new Error('--profile applies to train only');
  if (what !== 'train' && (values.only !== undefined || values.steps !== undefined))
    throw new Error('--only and --steps apply to train only');
  const steps = values.steps !== undefined ? countsFlag(values.steps, 'steps') : undefined;
  if (steps && steps.length !== 1) throw new Error(`--steps takes one number, got "${values.steps}"`);
  if (seconds && seconds.length !== 1) throw new Error(`--seconds takes one number, got "${values.seconds}"`);
  switch (what) {
    case 'matmul': {
      const m = await import('../../bench/matmul.ts');
      const backends = values.backend ?? 'fast';
      if (!m.isPeerBackends(backends)) throw new Error(`--backend for matmul --peers: fast, webgpu or all, got "${backends}"`);
      if (values.peers)
        await m.benchMatmulPeers({
          json,
          plain: values.plain ?? false,
          backends,
          ...(sizes ? { sizes } : {}),
          ...(rounds ? { rounds: rounds[0]! } : {}),
        });
      else await m.benchMatmul({ json, ...(sizes ? { sizes } : {}) });
      return 0;
    }
    case 'generate': {
      const { benchGenerate } = await import('../../bench/generate.ts');
      await benchGenerate({ json });
      return 0;
    }
    case 'train': {
      const { benchTrain, trainBackends, trainCases } = await import('../../bench/train.ts');
      await benchTrain({
        json,
        profile: values.profile ?? false,
        ...(values.backend !== undefined ? { backend: trainBackends(values.backend) } : {}),
        ...(values.peer !== undefined ? { peer: values.peer } : {}),
        ...(rounds ? { rounds: rounds[0]! } : {}),
        ...(steps ? { steps: steps[0]! } : {}),
        ...(values.only !== undefined ? { only: trainCases(values.only) } : {}),
      });
      return 0;
    }
    case 'serve': {
      const { benchServe } = await import('../../bench/serve.ts');
      const clients = values.clients !== undefined ? countsFlag(values.clients, 'clients') : undefined;
      await benchServe({
        json,
        ...(values.backend ? { backend: backendName(values.backend) } : {}),
        ...(seconds ? { seconds: seconds[0]! } : {}),
        ...(clients ? { clients } : {}),
      });
      return 0;
    }
    default:
      console.error(`heed bench: unknown benchmark "${what ?? ''}" (choose matmul, generate, train or serve)\n\n${help}`);
      return 2;
  }
}

/** A bench/*.ts file run directly (`npx tsx bench/train.ts …`): the same flags and help as
 *  `heed bench NAME …`, so the two spellings cannot drift apart. */
export async function benchMain(what: string, argv: string[] = process.argv.slice(2)): Promise<never> {
  if (argv.includes('--help') || argv.includes('-h')) {
    console.log(help);
    process.exit(0);
  }
  try {
    process.exit(await run([what, ...argv]));
  } catch (e) {
    console.error(`bench ${what}: ${(e as Error).message}`);
    process.exit(2);
  }
}
