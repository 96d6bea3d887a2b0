// Subcommands. Each is loaded lazily so `heed --help` starts fast and needs no GPU.
export interface Command {
  summary: string;
  /** Loaded lazily, like the command itself. */
  help(): Promise<string>;
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
  chat: {
    summary: 'a multi-turn chat REPL (rules optional; Ctrl-C stops the answer, not the program)',
    help: async () => (await import('./chat.ts')).help,
    run: async (argv) => (await import('./chat.ts')).run(argv),
  },
  serve: {
    summary: 'an OpenAI-compatible HTTP server (completions, chat, streaming, continuous batching)',
    help: async () => (await import('./serve.ts')).help,
    run: async (argv) => (await import('./serve.ts')).run(argv),
  },
  convert: {
    summary: 'rewrite a checkpoint as an HF directory, GGUF or llama2.c .bin',
    help: async () => (await import('./convert.ts')).help,
    run: async (argv) => (await import('./convert.ts')).run(argv),
  },
  bench: {
    summary: 'benchmarks: `heed bench matmul [--json]`, `heed bench generate [--json]`, `heed bench serve [--json]`',
    help: async () => `Usage: heed bench <matmul|generate|serve> [--json]

  matmul    GFLOP/s of the naive WGSL kernel, the best WGSL kernel and the CPU reference,
            side by side, for square and Llama-shaped products.
  generate  tokens/s decoding stories260K on each backend, single stream and batched.
  serve     a real \`heed serve\` on stories260K driven by 1, 4, 16, 64 concurrent streaming
            clients: requests/s, tokens/s, time to first token (median, p95).
            --backend webgpu|cpu (default webgpu), --seconds S per level (default 8),
            --clients 1,4,16,64
  --json    machine-readable output.`,
    run: async (argv) => (await import('./bench.ts')).run(argv),
  },
};
