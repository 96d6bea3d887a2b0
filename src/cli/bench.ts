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
    case 'train': {
      const { benchTrain } = await import('../../bench/train.ts');
      const at = (f: string) => (rest.includes(f) ? rest[rest.indexOf(f) + 1] : undefined);
      await benchTrain({ json, ...(at('--peer') ? { peer: at('--peer')! } : {}), ...(at('--rounds') ? { rounds: Number(at('--rounds')) } : {}) });
      return 0;
    }
    default:
      console.error(`heed bench: unknown benchmark "${what ?? ''}" (choose matmul, generate or train)`);
      return 2;
  }
}
