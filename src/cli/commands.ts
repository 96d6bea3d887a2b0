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
  train: {
    summary: 'instruction / response / single-task tuning and pretraining (optionally LoRA)',
    help: async () => (await import('./train.ts')).help,
    run: async (argv) => (await import('./train.ts')).run(argv),
  },
  tokenizer: {
    summary: 'tokenizer tools: `heed tokenizer train` (BPE from a corpus, written as tokenizer.json)',
    help: async () => (await import('./tokenizer.ts')).help,
    run: async (argv) => (await import('./tokenizer.ts')).run(argv),
  },
  eval: {
    summary: 'evaluation: generate outputs, pairwise win rates (AlpacaEval), IFEval, ranking probe, reports',
    help: async (argv) => (await import('./eval.ts')).helpFor(argv ?? []),
    run: async (argv) => (await import('./eval.ts')).run(argv),
  },
  data: {
    summary: 'instruction data: convert Alpaca/Dolly/ShareGPT/OASST/prompt-completion, inspect, Self-Instruct/Evol generation',
    help: async (argv) => (await import('./data.ts')).helpFor(argv ?? []),
    run: async (argv) => (await import('./data.ts')).run(argv),
  },
  bench: {
    summary: 'benchmarks: `heed bench matmul [--peers]`, `heed bench generate`, `heed bench train`, `heed bench serve` (see --help)',
    help: async () => (await import('./bench.ts')).help,
    run: async (argv) => (await import('./bench.ts')).run(argv),
  },
  study: {
    summary: 'the study: base model -> every arm (tuned, rules, single-task) -> judged table and HTML report, cached and resumable',
    help: async () => (await import('./study.ts')).help,
    run: async (argv) => (await import('./study.ts')).run(argv),
  },
};
