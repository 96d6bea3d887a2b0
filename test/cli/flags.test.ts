// The one number parser every flag goes through, and the one --backend check.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { backendHelp, backendName, countFlag, countsFlag, numberFlag } from '../../src/cli/flags.ts';
import { run as rankCli } from '../../src/cli/eval-rank.ts';

describe('numberFlag', () => {
  it('takes what Number takes for finite numbers and gives the default when absent', () => {
    fc.assert(
      fc.property(fc.double({ noNaN: true, noDefaultInfinity: true }), (x) => {
        expect(numberFlag(String(x), 'x')).toBe(Number(String(x)));
      }),
    );
    expect(numberFlag(undefined, 'x', { def: 7 })).toBe(7);
    expect(numberFlag(undefined, 'x')).toBeUndefined();
  });
  it('refuses empty, blank and non-numeric text, fractions for whole numbers and values out of range, in one message form', () => {
    expect(() => numberFlag('', 'n', { int: true, min: 2 })).toThrow('--n must be a whole number >= 2, got ""');
    expect(() => numberFlag('  ', 'lr')).toThrow('--lr must be a number, got "  "');
    expect(() => numberFlag('fast', 'lr')).toThrow('--lr must be a number, got "fast"');
    expect(() => numberFlag('Infinity', 'lr')).toThrow('--lr must be a number');
    expect(() => numberFlag('1.5', 'k', { int: true })).toThrow('--k must be a whole number, got "1.5"');
    expect(() => numberFlag('3', 'p', { min: 0, max: 1 })).toThrow('--p must be a number in [0, 1], got "3"');
    expect(() => countFlag('0', 'limit', 1)).toThrow('--limit must be a whole number >= 1, got "0"');
    expect(countsFlag('1,4,16', 'clients')).toEqual([1, 4, 16]);
    expect(() => countsFlag('1,,4', 'clients')).toThrow('--clients must be a whole number >= 1, got ""');
  });
  it('heed eval rank no longer takes an empty --seed (it read "" as seed 0 before)', async () => {
    await expect(rankCli(['--model', 'x', '--seed', ''])).rejects.toThrow('--seed must be a whole number >= 0, got ""');
  });
  it("--backend is checked against the backends' one list", () => {
    expect(backendName(undefined)).toBe('auto');
    expect(backendName('cpu')).toBe('cpu');
    expect(backendName('fast')).toBe('fast');
    expect(() => backendName('cuda')).toThrow('--backend: unknown backend "cuda" (choose auto, webgpu, fast or cpu)');
    expect(() => backendName('')).toThrow('--backend: unknown backend "" (choose auto, webgpu, fast or cpu)');
    expect(backendHelp).toBe('auto (default: webgpu on a GPU, fast on a CPU), webgpu, fast (SIMD CPU) or cpu (reference loops)');
  });
});

describe('heed bench flags (bench/*.ts run directly share this parser)', () => {
  it('refuses a misspelt --only case, and train-only or malformed flags elsewhere, before any benchmark runs', async () => {
    const { run } = await import('../../src/cli/bench.ts');
    await expect(run(['train', '--only', 'heed-base,stories260k'])).rejects.toThrow(
      '--only: unknown case "stories260k" (choose from stories260K, llama-15M, heed-base)',
    );
    await expect(run(['matmul', '--steps', '3'])).rejects.toThrow('--only and --steps apply to train only');
    await expect(run(['train', '--steps', '0'])).rejects.toThrow('--steps must be a whole number >= 1, got "0"');
    await expect(run(['train', '--stepz', '3'])).rejects.toThrow("Unknown option '--stepz'");
  });
});
