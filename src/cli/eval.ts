// heed eval <generate|compare|report|ifeval|rank>: the evaluation instruments. ifeval and rank
// live in their own modules (src/cli/eval-ifeval.ts, src/cli/eval-rank.ts), loaded lazily.
import { basename, join } from 'node:path';
import { parseArgs } from 'node:util';
import { resolveTemplate } from '../data/templates.ts';
import { parseRules } from '../decode/rules.ts';
import { compare, writeCompare } from '../eval/compare.ts';
import { generateAnswers } from '../eval/generate.ts';
import { judgeFromSpec } from '../eval/judges/spec.ts';
import { INSTRUCTION_SETS, readInstructions, readOutputs, readReferenceOutputs, REFERENCE_OUTPUTS } from '../eval/outputs.ts';
import { openPretrained } from '../load/pretrained.ts';
import { withBar } from '../util/progress.ts';
import { backendHelp, countFlag, numberFlag, pickBackend } from './flags.ts';
import { pickSubcommand } from './subcommand.ts';

interface Sub {
  summary: string;
  help: () => Promise<string>;
  run: (argv: string[]) => Promise<number | void>;
}

const sets = Object.entries(INSTRUCTION_SETS)
  .map(([k, v]) => `\n                          ${k}: ${v.about}`)
  .join('');
const refs = Object.keys(REFERENCE_OUTPUTS).join(', ');

export const generateHelp = `Usage: heed eval generate --model PATH --out FILE [options]

Greedy answers to an instruction set, written as AlpacaEval's model_outputs.json (a list of
{instruction, output, generator, dataset}). The prompt is the chat template
"<|user|>\\n{instruction}\\n<|assistant|>\\n" after BOS; generation stops at EOS. Batches of rows
are generated in order and the file is rewritten atomically after each, so a crash loses nothing
written and a rerun with the same arguments continues after the last row done.

  --model PATH          llama2.c .bin, GGUF, or HF directory
  --tokenizer PATH      tokenizer.bin or tokenizer.json (when the checkpoint has none)
  --instructions SET    a built-in set or a file (default alpaca-eval). Built-in:${sets}
                        A file is JSONL of {instruction, dataset?} or a JSON list of model outputs.
  --out FILE            model_outputs.json to write and resume (required)
  --name NAME           the generator name written in each row (default: the model file's name)
  --limit N             only the first N instructions
  --max-new-tokens N    new tokens per answer at most (default 512; the context also bounds it)
  --batch-size N        rows generated together (default 8)
  --rules LIST          the decode-time rules adapter (Hewitt et al. 2024): any of eos,uniform,diversity,
                        comma-separated, with the paper's weights (default: none)
  --backend NAME        ${backendHelp}
  --template NAME|FILE  the chat template the model was trained with (heed train --template):
                        tulu (default), alpaca, none, dataset-name, a template file; the prompt is
                        that template's generation prompt for one user turn`;

export const compareHelp = `Usage: heed eval compare --model-outputs FILE --judge KIND --out DIR [options]

Judges a model's outputs against a reference's, instruction by instruction, and writes AlpacaEval's
annotations.json and leaderboard.csv (reference = output_1, model = output_2, preference in [1, 2])
plus summary.json. Identical outputs are a draw (1.5) without asking the judge. Metrics are
AlpacaEval's: win rate = 100·mean(preference − 1), its standard error, n_wins / n_wins_base /
n_draws / n_total, discrete win rate, avg_length (characters), and the length-controlled win rate in
its "minimal" variant (GLM on tanh(Δlen/std) + a model term, without AlpacaEval's instruction-
difficulty term). Verdicts a judge cannot give (NaN) are dropped and counted.

  --model-outputs FILE      the model's model_outputs.json (required)
  --reference-outputs REF   a file or a built-in (default alpaca-eval:gpt4_1106_preview).
                            Built-in: ${refs}
  --reference-name NAME     generator name for a reference file in {messages} form
  --judge KIND              (required) one of:
      openai:URL[#model]    an OpenAI-compatible server (vLLM, llama.cpp server, heed serve) with
                            AlpacaEval 2's weighted protocol: one-token answer m/M, preference from
                            the top log-probabilities, per-instruction seeded order swap undone
      local:PATH            a heed model judging in process through the same protocol
      longest               the longer output wins (AlpacaEval's deterministic baseline)
      reference:REF         OFFLINE PROXY: the output closer by ROUGE-L F1 to a strong model's
                            answer (a file or built-in, e.g. reference:alpaca-eval:gpt4_1106_preview)
                            wins; its numbers are labelled a proxy everywhere
  --both-orders             judge each pair in both orders, average, report position consistency
  --out DIR                 where the three files go (required)
  --seed S                  seed of the per-instruction order swap (default 0)
  --concurrency N           openai: requests in flight (default 4)
  --attempts N              openai: attempts per request, with exponential backoff (default 5)
  --cache FILE              openai: judgement cache (default DIR/judge_cache.jsonl)
  --judge-tokenizer PATH    local: the judge's tokenizer (when its checkpoint has none)
  --judge-batch-size N      local: prompts per forward pass (default 4)
  --backend NAME            local: ${backendHelp}
  --limit N                 only the first N model outputs`;

export const reportHelp = `Usage: heed eval report DIR... --out DIR

Collects results directories into a table (results.md, results.csv) and one self-contained HTML
page (report.html: inline SVG, no scripts, nothing fetched). Each DIR may hold:
  summary.json + annotations.json   from heed eval compare (or AlpacaEval's leaderboard.csv)
  model_outputs.json                from heed eval generate (output lengths)
  ifeval_summary.json               {prompt_strict, prompt_loose, inst_strict, inst_loose,
                                     per_family: {name: accuracy}} from heed eval ifeval
  log.jsonl                         a training log: lines with step, loss and optionally eval_loss
Charts: win rates with ± one standard error, length-controlled win rates, output-length
distributions, IFEval accuracy per family, training loss curves (each when its data is present).

  --out DIR   where results.md, results.csv and report.html go (required)`;

async function runGenerate(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      model: { type: 'string' },
      tokenizer: { type: 'string' },
      instructions: { type: 'string' },
      out: { type: 'string' },
      name: { type: 'string' },
      limit: { type: 'string' },
      'max-new-tokens': { type: 'string' },
      'batch-size': { type: 'string' },
      rules: { type: 'string' },
      backend: { type: 'string' },
      template: { type: 'string' },
    },
    strict: true,
  });
  if (!values.model) throw new Error('--model is required (see heed eval generate --help)');
  const template = values.template && values.template !== 'tulu' ? resolveTemplate(values.template) : undefined;
  if (template && values.rules !== undefined)
    throw new Error("--rules reads the tulu template's <|user|>/<|assistant|> tags; it cannot be combined with --template");
  if (!values.out) throw new Error('--out is required (see heed eval generate --help)');
  const rules = values.rules !== undefined ? parseRules(values.rules) : undefined;
  let instructions = readInstructions(values.instructions ?? 'alpaca-eval');
  if (values.limit !== undefined) instructions = instructions.slice(0, countFlag(values.limit, 'limit', 0));
  const batchSize = countFlag(values['batch-size'], 'batch-size', 8);
  const maxNewTokens = countFlag(values['max-new-tokens'], 'max-new-tokens', 512);
  const { model, tokenizer } = openPretrained(values.model, values.tokenizer, await pickBackend(values.backend));
  const name = values.name ?? basename(values.model).replace(/\.(bin|gguf)$/, '');
  const { rows } = await withBar('eval generate', 'rows', (onProgress) =>
    generateAnswers({
      model,
      tokenizer,
      instructions,
      generator: name,
      out: values.out!,
      batchSize,
      maxNewTokens,
      ...(rules ? { rules } : {}),
      ...(template ? { template } : {}),
      onProgress,
    }),
  );
  console.log(`${rows.length} outputs of ${name} in ${values.out}`);
  return 0;
}

async function runCompare(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      'model-outputs': { type: 'string' },
      'reference-outputs': { type: 'string' },
      'reference-name': { type: 'string' },
      judge: { type: 'string' },
      'both-orders': { type: 'boolean' },
      out: { type: 'string' },
      seed: { type: 'string' },
      concurrency: { type: 'string' },
      attempts: { type: 'string' },
      cache: { type: 'string' },
      'judge-tokenizer': { type: 'string' },
      'judge-batch-size': { type: 'string' },
      backend: { type: 'string' },
      limit: { type: 'string' },
    },
    strict: true,
  });
  for (const k of ['model-outputs', 'judge', 'out'] as const)
    if (!values[k]) throw new Error(`--${k} is required (see heed eval compare --help)`);
  let model = readOutputs(values['model-outputs']!);
  if (values.limit !== undefined) model = model.slice(0, countFlag(values.limit, 'limit', 0));
  const refSpec = values['reference-outputs'] ?? 'alpaca-eval:gpt4_1106_preview';
  const reference = values['reference-name']
    ? readOutputs(refSpec, { generator: values['reference-name'] })
    : readReferenceOutputs(refSpec);
  const judge = await judgeFromSpec(values.judge!, {
    cachePath: values.cache ?? join(values.out!, 'judge_cache.jsonl'),
    backend: () => pickBackend(values.backend),
    seed: numberFlag(values.seed, 'seed', { int: true, def: 0 }),
    concurrency: countFlag(values.concurrency, 'concurrency', 4),
    maxAttempts: countFlag(values.attempts, 'attempts', 5),
    ...(values['judge-tokenizer'] !== undefined ? { tokenizer: values['judge-tokenizer'] } : {}),
    batchSize: countFlag(values['judge-batch-size'], 'judge-batch-size', 4),
  });
  try {
    const { annotations, summary } = await withBar('eval compare', 'judgements', (onProgress) =>
      compare({ model, reference, judge, bothOrders: !!values['both-orders'], onProgress }),
    );
    writeCompare(values.out!, annotations, summary);
    const f = (v: number | null): string => (v === null ? '-' : v.toFixed(2));
    console.log(`${summary.model} vs ${summary.reference}, judge ${summary.judge}${summary.proxy ? `\n${summary.proxy}` : ''}`);
    console.log(
      `win_rate ${f(summary.win_rate)} ± ${f(summary.standard_error)}  lc_win_rate ${f(summary.length_controlled_winrate)} (minimal)  discrete ${f(summary.discrete_win_rate)}`,
    );
    console.log(
      `n_wins ${summary.n_wins}  n_wins_base ${summary.n_wins_base}  n_draws ${summary.n_draws}  n_total ${summary.n_total}  avg_length ${summary.avg_length}  identical ${summary.n_identical}  no verdict ${summary.n_no_verdict}`,
    );
    if (summary.position_consistency !== null)
      console.log(`position consistency ${f(summary.position_consistency)} over ${summary.n_consistency_pairs} pairs`);
    console.log(`wrote ${join(values.out!, 'annotations.json')}, leaderboard.csv, summary.json`);
  } finally {
    await judge.close?.();
  }
  return 0;
}

async function runReport(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args: argv, options: { out: { type: 'string' } }, allowPositionals: true, strict: true });
  if (!values.out) throw new Error('--out is required (see heed eval report --help)');
  const { collectRuns } = await import('../eval/report/collect.ts');
  const { writeReport } = await import('../eval/report/html.ts');
  const paths = writeReport(collectRuns(positionals), values.out);
  console.log(`wrote ${paths.markdown}, ${paths.csv}, ${paths.html}`);
  return 0;
}

/** A sibling module (written by another engineer) exporting `run(argv)` and `help`. */
interface EvalModule {
  run(argv: string[]): Promise<number | void>;
  help: string;
}

async function sibling(file: string): Promise<EvalModule> {
  const spec = `./${file}`;
  try {
    return (await import(spec)) as EvalModule;
  } catch (e) {
    if ((e as { code?: string }).code === 'ERR_MODULE_NOT_FOUND' && String((e as Error).message).includes(file)) {
      throw new Error(`this build has no src/cli/${file}`);
    }
    throw e;
  }
}

export const subcommands: Record<string, Sub> = {
  generate: {
    summary: 'greedy outputs for an instruction set (AlpacaEval model_outputs.json), resumable',
    help: async () => generateHelp,
    run: runGenerate,
  },
  compare: {
    summary: 'pairwise judging against reference outputs: annotations.json, leaderboard.csv',
    help: async () => compareHelp,
    run: runCompare,
  },
  report: { summary: 'results table (Markdown, CSV) and one HTML page with SVG charts', help: async () => reportHelp, run: runReport },
  ifeval: {
    summary: 'IFEval: strict and loose accuracy, per-family breakdown',
    help: async () => (await sibling('eval-ifeval.ts').catch((e: Error) => ({ help: `heed eval ifeval: ${e.message}` }))).help,
    run: async (argv) => (await sibling('eval-ifeval.ts')).run(argv),
  },
  rank: {
    summary: "response-ranking probe (the paper's Table 2)",
    help: async () => (await sibling('eval-rank.ts').catch((e: Error) => ({ help: `heed eval rank: ${e.message}` }))).help,
    run: async (argv) => (await sibling('eval-rank.ts')).run(argv),
  },
};

export const help = `Usage: heed eval <command> [options]

Commands:
${Object.entries(subcommands)
  .map(([k, s]) => `  ${k.padEnd(9)} ${s.summary}`)
  .join('\n')}

Run \`heed eval <command> --help\` for a command's options.`;

/** The help of `heed eval <sub> --help` (or the eval overview). */
export async function helpFor(argv: string[]): Promise<string> {
  const sub = argv[0] && Object.hasOwn(subcommands, argv[0]) ? subcommands[argv[0]] : undefined;
  return sub ? sub.help() : help;
}

export async function run(argv: string[]): Promise<number> {
  const picked = pickSubcommand(argv, subcommands, 'eval', help);
  if (!picked) return 0;
  const { sub, rest } = picked;
  if (rest.includes('--help') || rest.includes('-h')) {
    console.log(await sub.help());
    return 0;
  }
  return (await sub.run(rest)) ?? 0;
}
