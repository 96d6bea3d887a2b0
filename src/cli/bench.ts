export async function run(argv: string[]): Promise<number> {
  const [what, ...rest] = argv;
  const json = rest.includes('--json');
  switch (what) {
    case 'matmul': {
      const { benchMatmul } = await import('../../bench/matmul.ts');
      await benchMatmul({ json });
      return 0;
    }
    case 'generate': {
      const { benchGenerate } = await import('../../bench/generate.ts');
      await benchGenerate({ json });
      return 0;
    }
    case 'serve': {
      const { benchServe } = await import('../../bench/serve.ts');
      const val = (f: string) => (rest.includes(f) ? rest[rest.indexOf(f) + 1] : undefined);
      const backend = val('--backend');
      const seconds = val('--seconds');
      const clients = val('--clients');
      await benchServe({ json, ...(backend ? { backend } : {}), ...(seconds ? { seconds: Number(seconds) } : {}), ...(clients ? { clients: clients.split(',').map(Number) } : {}) });
      return 0;
    }
    default:
      console.error(`heed bench: unknown benchmark "${what ?? ''}" (choose matmul, generate or serve)`);
      return 2;
  }
}
