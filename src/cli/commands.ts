// Subcommands. Each is loaded lazily so `heed --help` starts fast and needs no GPU.
export interface Command {
  summary: string;
  /** Loaded lazily, like the command itself. `argv` (the arguments after the command name) lets a
   *  command with subcommands show the subcommand's help. */
  help(argv?: string[]): Promise<string>;
  run(argv: string[]): Promise<number | void>;
}

export const commands: Record<string, Command> = {
  info: {
    summary: 'print the WebGPU adapter, its limits and features',
    help: async () => 'Usage: heed info\n\nAcquires the WebGPU device (lavapipe on a machine without a GPU) and prints what it offers.',
    run: async () => (await import('./info.ts')).run(),
  },
  generate: {
    summary: 'stream a continuation from a checkpoint (llama2.c .bin, GGUF, HF directory)',
    help: async () => (await import('./generate.ts')).help,
    run: async (argv) => (await import('./generate.ts')).run(argv),
  },
  convert: {
    summary: 'rewrite a checkpoint as an HF directory, GGUF or llama2.c .bin',
    help: async () => (await import('./convert.ts')).help,
    run: async (argv) => (await import('./convert.ts')).run(argv),
  },
  eval: {
    summary: 'evaluation: generate outputs, pairwise win rates (AlpacaEval), IFEval, ranking probe, reports',
    help: async (argv) => (await import('./eval.ts')).helpFor(argv ?? []),
    run: async (argv) => (await import('./eval.ts')).run(argv),
  },
  bench: {
    summary: 'benchmarks: `heed bench matmul [--json]`, `heed bench generate [--json]`',
    help: async () => `Usage: heed bench <matmul|generate> [--json]

  matmul    GFLOP/s of the naive WGSL kernel, the best WGSL kernel and the CPU reference,
            side by side, for square and Llama-shaped products.
  generate  tokens/s decoding stories260K on each backend, single stream and batched.
  --json    machine-readable output.`,
    run: async (argv) => (await import('./bench.ts')).run(argv),
  },
};
