// heed data <convert|inspect|generate>: instruction data from common formats, its statistics, and
// Self-Instruct / Evol-Instruct generation against an OpenAI-compatible endpoint.
import { numberFlag } from './flags.ts';
import { inputFile, outputFile } from '../io/open.ts';
import { writeTextAtomic } from '../io/files.ts';
import { basename } from 'node:path';
import { parseArgs } from 'node:util';
import { describeDataset } from '../data/dataset.ts';
import { FORMATS, isFormat, messagesLine, readFormat } from '../data/formats/index.ts';
import { type Inspection, type Spread, inspectDataset } from '../data/formats/inspect.ts';
import { readMessagesJsonl } from '../data/messages.ts';
import { readSeedTasks } from '../data/selfInstruct.ts';
import { type Complete, GENERATE_MODES, type GenerateMode, generateInstructions } from '../data/selfInstructRun.ts';
import { BUILTIN_TEMPLATES, resolveTemplate, specialText, templateContentWarning, withDatasetName } from '../data/templates.ts';
import { progress } from '../util/progress.ts';
import { rougeL } from '../eval/rouge.ts';
import { readTokenizer } from '../load/pretrained.ts';
import { dataPath } from '../util/dataRoot.ts';
import { pickSubcommand } from './subcommand.ts';
import { JINJA_LIMITS } from '../data/jinja.ts';
import { help as worldHelp, run as world } from './data-world.ts';

const convertHelp = `Usage: heed data convert --from FORMAT --in FILE --out FILE.jsonl

Rewrites a dataset as heed's messages JSONL: one {"id", "messages": [{role, content}, ...]} per
line, roles user/assistant (and system where the source has one), which \`heed train --data\`
reads. Rows that cannot be used are skipped and counted on stderr by reason, with the first few
named by file:line; a file with no usable row is refused and nothing is written. Input must be
UTF-8 (a leading BOM is dropped; other bytes are refused naming file:line:byte). The output is
written atomically (temp file + rename).

  --from FORMAT   ${FORMATS.join(' | ')}
                    alpaca             {instruction, input?, output}; a non-blank input is
                                       appended to the instruction after a blank line
                    dolly              {instruction, context, response, category}; likewise
                    sharegpt           {"messages": [{role, content}]} (OpenAI) or
                                       {"conversations": [{from, value}]} (from: human/user,
                                       gpt/assistant/chatgpt/bing/bard, system)
                    oasst              OpenAssistant message trees ({message_tree_id, prompt:
                                       {text, role, replies: [...]}}): the best-ranked,
                                       undeleted reply at each level
                    prompt-completion  {prompt, completion}
                  Input is JSONL, or a JSON array (Alpaca's own files).
  --in FILE       the source file (required)
  --out FILE      the JSONL to write (required)`;

const inspectHelp = `Usage: heed data inspect FILE [--from FORMAT] [--tokenizer PATH] [--template T] [--seq-len N]

Counts a dataset's rows and turns and the lengths of its user and assistant texts; with a
tokenizer, the token lengths (nearest-rank percentiles) of each row as a template renders it, and
with --seq-len how many rows that length would cut (and how many would lose every learned token).
Rows that cannot be used are skipped and counted (the first line of the report says how many); a
file with no usable row is refused.

  FILE              messages JSONL (heed's form), or another format with --from
  --from FORMAT     ${FORMATS.join(' | ')} (default: messages JSONL)
  --tokenizer PATH  tokenizer.bin or tokenizer.json: report token lengths
  --template T      ${BUILTIN_TEMPLATES.join(' | ')} | FILE (default tulu); see \`heed data --help\`
  --seq-len N       report truncation at N tokens (needs --tokenizer)`;

const generateHelp = `Usage: heed data generate --endpoint URL --out FILE [options]

Self-Instruct (Wang et al. 2022): prompts a model with numbered tasks (seed tasks and, once there
are some, generated ones; "Come up with a series of tasks: Task 1: ... Task 9:"), parses the new
instructions, keeps one only if it has 3-150 words, names nothing a text model cannot act on
(image, graph, file, map, draw, plot, video, audio, ...), does not start with "Write a program",
punctuation or a non-English character, and has ROUGE-L F1 < 0.7 to every kept instruction (seeds
included); then asks for its input and output ("Task: ... Input: ... Output: ..."). --mode evol
(Evol-Instruct, Xu et al. 2023) instead rewrites seed or kept instructions with one of four
prompts (add constraints, deepen, concretize, broaden) and keeps rewrites that differ from their
parent and have ROUGE-L < 0.7 to the other rewrites.

Rows are appended to FILE as Alpaca JSONL {instruction, input, output, provenance} one at a time,
so the run can stop anywhere: rerunning the same command resumes (kept rows are read back, a torn
last line is dropped) until FILE holds --n rows. Progress (rows, ETA) and, at the end, the
requests made and the rejections by reason go to stderr. Exit status 3: --max-requests stopped the
run short of --n (rerun to continue).

  --endpoint URL       base URL of an OpenAI-compatible API, as the openai client's baseURL
                       (e.g. http://127.0.0.1:8000/v1; \`heed serve\` prints it); required.
                       Requests go to URL/completions
  --model NAME         the model to ask (default: the only model URL/models lists)
  --api-key KEY        bearer token (default: $OPENAI_API_KEY, or none)
  --out FILE           the JSONL to write and resume (required)
  --seeds FILE         seed tasks JSONL {id, instruction, instances: [{input, output}]}
                       (default: the data root's alpaca/seed_tasks.jsonl, the 175 Self-Instruct seeds)
  --mode MODE          ${GENERATE_MODES.join(' | ')} (default self-instruct)
  --n N                rows FILE should hold in the end (default 100)
  --prompt-tasks K     tasks shown per instruction prompt, a quarter of them generated (default 8)
  --demos K            seed demonstrations per input/output prompt (default 2)
  --max-tokens N       tokens per completion (default 256)
  --max-requests N     stop after N requests even if short of --n (default 20 x --n)
  --temperature T      sampling temperature (default 0.7, as Self-Instruct)
  --top-p P            nucleus sampling (default 0.5, as Self-Instruct)
  --seed S             sampling of prompts and request seeds (default 42)`;

export const help = `Usage: heed data <convert|inspect|generate|world> [options]

  convert    map Alpaca, Dolly, ShareGPT/OpenAI, OpenAssistant or prompt/completion data onto
             heed's messages JSONL
  inspect    rows, turns, token-length percentiles and truncation of a dataset
  generate   Self-Instruct / Evol-Instruct generation from seed tasks via an OpenAI-compatible
             endpoint (\`heed serve\` or any other)
  world      the story world: pretraining corpus, tuning sets and held-out eval set (docs/world.md)

Templates (\`heed train --template\`, \`heed data inspect --template\`):
  tulu          the paper's: <|user|>\\n{user}\\n<|assistant|>\\n{response}</s> (default)
  alpaca        Stanford Alpaca's preamble, ### Instruction:\\n / ### Input:\\n / ### Response:\\n
  none          {user}\\n{response}</s>: no instruction wording
  dataset-name  [Task: {dataset}]\\n then as none
  FILE.json     a user template {"prefix"?, "system"?, "user", "assistant", "separator"?}, each
                role's text holding {content} once (and {eos}, {bos}, {dataset} as wanted); the
                assistant text before {content} is the prompt, the rest is learned
  tokenizer_config.json  an HF config's chat_template (a safe Jinja subset; unsupported syntax
                is named in the error); FILE.jinja: a bare Jinja chat template. Templates run
                bounded (nesting ${JINJA_LIMITS.depth} deep, ${JINJA_LIMITS.steps} evaluation steps, ${JINJA_LIMITS.chars} characters);
                heed train warns when a template's assistant turns render without their content

Run \`heed data <command> --help\` for a command's options.`;

export function helpFor(argv: string[]): string {
  const name = argv.find((a) => !a.startsWith('-'));
  return name === 'convert'
    ? convertHelp
    : name === 'inspect'
      ? inspectHelp
      : name === 'generate'
        ? generateHelp
        : name === 'world'
          ? worldHelp
          : help;
}

async function convert(argv: string[]): Promise<number> {
  const { values: v } = parseArgs({
    args: argv,
    options: { from: { type: 'string' }, in: { type: 'string' }, out: { type: 'string' } },
    strict: true,
  });
  if (!isFormat(v.from)) throw new Error(`--from must be one of ${FORMATS.join(', ')}${v.from ? `, got "${v.from}"` : ''}`);
  if (!v.in) throw new Error('--in FILE is required');
  if (!v.out) throw new Error('--out FILE is required');
  inputFile(v.in, '--in');
  outputFile(v.out, '--out');
  const d = readFormat(v.from, v.in);
  process.stderr.write(`${describeDataset(d)}\n`);
  for (const e of d.skipped.examples) process.stderr.write(`  skipped ${e}\n`);
  if (d.rows.length === 0) throw new Error(`${v.in}: no usable rows as ${v.from}; nothing written`);
  writeTextAtomic(v.out, d.rows.map((r) => `${messagesLine(r)}\n`).join(''));
  process.stderr.write(`wrote ${d.rows.length} rows to ${v.out}\n`);
  return 0;
}

const fmt = (s: Spread) => `min ${s.min}  p50 ${s.p50}  p90 ${s.p90}  p99 ${s.p99}  max ${s.max}  mean ${s.mean.toFixed(1)}`;

export function formatInspection(file: string, r: Inspection): string {
  const lines = [
    `${file}: ${r.rows} rows (${r.skipped} skipped)`,
    `assistant turns per row: ${[...r.assistantTurns].map(([k, n]) => `${k}: ${n}`).join(', ')}; rows with a system message: ${r.withSystem}`,
    `user characters:      ${fmt(r.userChars)}`,
    `assistant characters: ${fmt(r.assistantChars)}`,
  ];
  if (r.tokens) {
    lines.push(`tokens (${r.tokens.template} template, BOS included): ${fmt(r.tokens.lengths)}`);
    if (r.tokens.seqLen !== undefined) {
      lines.push(
        `at --seq-len ${r.tokens.seqLen}: ${r.tokens.truncated} rows cut (${((100 * r.tokens.truncated!) / r.rows).toFixed(1)}%), ${r.tokens.tokensCut} tokens cut, ${r.tokens.noLabelsLeft} rows left with no learned token`,
      );
    }
  }
  return lines.join('\n');
}

async function inspect(argv: string[]): Promise<number> {
  const { values: v, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    strict: true,
    options: { from: { type: 'string' }, tokenizer: { type: 'string' }, template: { type: 'string' }, 'seq-len': { type: 'string' } },
  });
  if (positionals.length !== 1) throw new Error(`give exactly one FILE (got ${positionals.length})`);
  const file = positionals[0]!;
  inputFile(file, 'FILE');
  if (v.from !== undefined && !isFormat(v.from)) throw new Error(`--from must be one of ${FORMATS.join(', ')}, got "${v.from}"`);
  const seqLen = numberFlag(v['seq-len'], 'seq-len', { int: true, min: 1 });
  if (seqLen !== undefined && !v.tokenizer) throw new Error('--seq-len needs --tokenizer');
  if (v.template && !v.tokenizer) throw new Error('--template needs --tokenizer');
  // rows without a dataset name take the file's (the dataset-name template, as heed train does)
  const d = withDatasetName(v.from ? readFormat(v.from, file) : readMessagesJsonl(file), basename(file).replace(/\.jsonl?$/, ''));
  for (const e of d.skipped.examples) process.stderr.write(`  skipped ${e}\n`);
  const tok = v.tokenizer ? readTokenizer(v.tokenizer) : undefined;
  const template = v.template ? resolveTemplate(v.template) : undefined;
  const r = inspectDataset(d, { ...(tok ? { tok } : {}), ...(template ? { template } : {}), ...(seqLen !== undefined ? { seqLen } : {}) });
  console.log(formatInspection(file, r));
  const contentless = template && tok ? templateContentWarning(template, specialText(tok)) : undefined;
  if (contentless) process.stderr.write(`WARNING: ${contentless}\n`);
  return 0;
}

/** A completion function over an OpenAI-compatible /completions endpoint. */
export function endpointCompletions(
  base: string,
  model: string,
  apiKey: string | undefined,
  sampling: { temperature: number; topP: number },
): Complete {
  const url = `${base.replace(/\/+$/, '')}/completions`;
  return async (prompt, opts) => {
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', ...(apiKey ? { Authorization: `Bearer ${apiKey}` } : {}) },
      body: JSON.stringify({
        model,
        prompt,
        max_tokens: opts.maxTokens,
        temperature: sampling.temperature,
        top_p: sampling.topP,
        stop: opts.stop,
        seed: opts.seed,
      }),
    });
    const body = (await res.json().catch(() => null)) as {
      choices?: { text?: unknown; finish_reason?: unknown }[];
      error?: { message?: string };
    } | null;
    if (!res.ok) throw new Error(`${url}: HTTP ${res.status}${body?.error?.message ? `: ${body.error.message}` : ''}`);
    const c = body?.choices?.[0];
    if (!c || typeof c.text !== 'string') throw new Error(`${url}: the response has no choices[0].text`);
    return { text: c.text, ...(typeof c.finish_reason === 'string' ? { finishReason: c.finish_reason } : {}) };
  };
}

async function onlyModel(base: string, apiKey: string | undefined): Promise<string> {
  const url = `${base.replace(/\/+$/, '')}/models`;
  const res = await fetch(url, { headers: apiKey ? { Authorization: `Bearer ${apiKey}` } : {} });
  if (!res.ok) throw new Error(`${url}: HTTP ${res.status}; pass --model`);
  const ids = (((await res.json()) as { data?: { id?: unknown }[] }).data ?? [])
    .map((m) => m.id)
    .filter((x): x is string => typeof x === 'string');
  if (ids.length !== 1) throw new Error(`${url} lists ${ids.length} models (${ids.join(', ')}); pass --model`);
  return ids[0]!;
}

async function generate(argv: string[]): Promise<number> {
  const { values: v } = parseArgs({
    args: argv,
    strict: true,
    options: {
      endpoint: { type: 'string' },
      model: { type: 'string' },
      'api-key': { type: 'string' },
      out: { type: 'string' },
      seeds: { type: 'string' },
      mode: { type: 'string' },
      n: { type: 'string' },
      'prompt-tasks': { type: 'string' },
      demos: { type: 'string' },
      'max-tokens': { type: 'string' },
      'max-requests': { type: 'string' },
      temperature: { type: 'string' },
      'top-p': { type: 'string' },
      seed: { type: 'string' },
    },
  });
  if (!v.endpoint) throw new Error('--endpoint URL is required (e.g. http://127.0.0.1:8000/v1)');
  if (!/^https?:\/\//.test(v.endpoint)) throw new Error(`--endpoint must be an http(s) URL, got "${v.endpoint}"`);
  if (!v.out) throw new Error('--out FILE is required');
  const mode = (v.mode ?? 'self-instruct') as GenerateMode;
  if (!GENERATE_MODES.includes(mode)) throw new Error(`--mode must be ${GENERATE_MODES.join(' or ')}, got "${v.mode}"`);
  const n = numberFlag(v.n, 'n', { int: true, min: 1 }) ?? 100;
  const promptTasks = numberFlag(v['prompt-tasks'], 'prompt-tasks', { int: true, min: 1 }) ?? 8;
  const demos = numberFlag(v.demos, 'demos', { int: true, min: 0 }) ?? 2;
  const maxTokens = numberFlag(v['max-tokens'], 'max-tokens', { int: true, min: 1 }) ?? 256;
  const maxRequests = numberFlag(v['max-requests'], 'max-requests', { int: true, min: 1 }) ?? 20 * n;
  const temperature = numberFlag(v.temperature, 'temperature', { min: 0, max: 2 }) ?? 0.7;
  const topP = numberFlag(v['top-p'], 'top-p', { min: Number.MIN_VALUE, max: 1 }) ?? 0.5;
  const seed = numberFlag(v.seed, 'seed', { int: true, min: 0 }) ?? 42;
  const seedsPath = v.seeds ?? dataPath('alpaca', 'seed_tasks.jsonl');
  const seeds = readSeedTasks(seedsPath);
  const apiKey = v['api-key'] ?? process.env.OPENAI_API_KEY;
  const model = v.model ?? (await onlyModel(v.endpoint, apiKey));
  process.stderr.write(`${mode}: ${seeds.length} seed tasks from ${seedsPath}; model ${model} at ${v.endpoint}; writing ${v.out}\n`);
  let bar: ReturnType<typeof progress> | undefined;
  const r = await generateInstructions({
    mode,
    n,
    seeds,
    out: v.out,
    seed,
    promptTasks,
    demos,
    maxTokens,
    maxRequests,
    complete: endpointCompletions(v.endpoint, model, apiKey, { temperature, topP }),
    similarity: (a, b) => rougeL(a, b).f1,
    provenance: { generator: `heed data generate --mode ${mode}`, model, endpoint: v.endpoint },
    onProgress: (p) => {
      bar ??= progress('data generate', p.target, 'rows', p.kept);
      bar.update(p.kept);
    },
  });
  bar?.end();
  if (r.repaired) process.stderr.write(`resume: dropped a torn last line of ${v.out}\n`);
  const rej = [...r.rejected]
    .sort((a, b) => b[1] - a[1])
    .map(([k, c]) => `${k} ×${c}`)
    .join('; ');
  process.stderr.write(
    `kept ${r.kept} new rows (${r.resumed} resumed, ${r.resumed + r.kept}/${n} in ${v.out}) from ${r.requests} requests; rejected: ${rej || 'none'}\n`,
  );
  if (r.resumed + r.kept < n) {
    process.stderr.write(`stopped at --max-requests ${maxRequests} short of --n ${n}; rerun to continue\n`);
    return 3;
  }
  return 0;
}

const subcommands: Record<string, (argv: string[]) => Promise<number>> = { convert, inspect, generate, world };

export async function run(argv: string[]): Promise<number> {
  const picked = pickSubcommand(argv, subcommands, 'data', help);
  return picked ? picked.sub(picked.rest) : 0;
}
