// AlpacaEval's model_outputs.json rows and the built-in instruction sets. Every reader validates
// row by row and names the file, the row and the field it refuses.
import { readJsonFile, readJsonl } from '../io/json.ts';
import { hasOwnKey } from '../io/jsonFields.ts';
import { dataPath } from '../util/dataRoot.ts';

/** One row of AlpacaEval's model_outputs.json. */
export interface ModelOutput {
  instruction: string;
  output: string;
  generator: string;
  dataset: string;
}

/** An instruction to answer (a row of an instruction set). */
export interface Instruction {
  instruction: string;
  dataset: string;
}

function field(path: string, row: unknown, i: number, name: string, optional = false): string | undefined {
  if (typeof row !== 'object' || row === null || Array.isArray(row)) throw new Error(`${path}: row ${i} is not an object`);
  const v = (row as Record<string, unknown>)[name];
  if (v === undefined && optional) return undefined;
  if (typeof v !== 'string')
    throw new Error(`${path}: row ${i} field "${name}" must be a string, got ${v === undefined ? 'nothing' : typeof v}`);
  return v;
}

/** A single-turn `{messages: [user, assistant]}` row (LIMA's reference answers) as (instruction, output). */
function messagesRow(path: string, row: unknown, i: number): { instruction: string; output: string } {
  const msgs = (row as { messages?: unknown }).messages;
  if (!Array.isArray(msgs) || msgs.length !== 2)
    throw new Error(`${path}: row ${i} "messages" must hold exactly a user and an assistant turn`);
  const [u, a] = msgs as unknown[];
  if (field(path, u, i, 'role') !== 'user' || field(path, a, i, 'role') !== 'assistant')
    throw new Error(`${path}: row ${i} "messages" must be [user, assistant]`);
  return { instruction: field(path, u, i, 'content')!, output: field(path, a, i, 'content')! };
}

/**
 * Reads model outputs: AlpacaEval's list of {instruction, output, generator, dataset}, or a list of
 * single-turn {messages} rows (then `generator` must be given: such files do not name their model).
 * `dataset` is optional in AlpacaEval's format and defaults to "".
 */
export function readOutputs(path: string, opts: { generator?: string; dataset?: string } = {}): ModelOutput[] {
  const data = readJsonFile(path, 'model outputs');
  if (!Array.isArray(data)) throw new Error(`${path}: expected a JSON list of outputs`);
  if (data.length === 0) throw new Error(`${path}: holds no outputs`);
  return data.map((row, i) => {
    if (typeof row === 'object' && row !== null && 'messages' in row) {
      if (!opts.generator)
        throw new Error(`${path}: rows in {messages} form do not name their generator; pass one (e.g. --reference-name)`);
      return { ...messagesRow(path, row, i), generator: opts.generator, dataset: opts.dataset ?? '' };
    }
    const generator = field(path, row, i, 'generator', opts.generator !== undefined) ?? opts.generator!;
    return {
      instruction: field(path, row, i, 'instruction')!,
      output: field(path, row, i, 'output')!,
      generator: opts.generator ?? generator,
      dataset: field(path, row, i, 'dataset', true) ?? opts.dataset ?? '',
    };
  });
}

/** Built-in instruction sets, by name. */
export const INSTRUCTION_SETS = {
  'alpaca-eval': { file: ['alpaca-eval', 'alpaca_eval_instructions.jsonl'], rows: 805, about: "AlpacaEval's 805 instructions" },
  'lima-dev': { file: ['lima-implicit-ins', 'val_eval', 'val.jsonl'], rows: 56, about: "the paper's 56-instruction LIMA dev set" },
} as const;
export type InstructionSetName = keyof typeof INSTRUCTION_SETS;

/** Built-in reference outputs, by name (`set:generator`). */
export const REFERENCE_OUTPUTS = {
  'alpaca-eval:gpt4_1106_preview': { file: ['alpaca-eval', 'gpt4_1106_preview_outputs.json'], generator: undefined, dataset: undefined },
  'alpaca-eval:text_davinci_003': { file: ['alpaca-eval', 'text_davinci_003_outputs.json'], generator: undefined, dataset: undefined },
  'lima-dev:gpt-3.5-turbo': {
    file: ['lima-implicit-ins', 'val_eval', 'val-gpt-3.5-turbo-ref.json'],
    generator: 'gpt-3.5-turbo',
    dataset: 'lima-dev',
  },
} as const;

/** A built-in reference name or a path to model outputs. */
export function readReferenceOutputs(spec: string): ModelOutput[] {
  const builtin = hasOwnKey(REFERENCE_OUTPUTS, spec)
    ? (REFERENCE_OUTPUTS[spec] as { file: readonly string[]; generator: string | undefined; dataset: string | undefined })
    : undefined;
  if (!builtin) return readOutputs(spec);
  return readOutputs(dataPath(...builtin.file), {
    ...(builtin.generator ? { generator: builtin.generator } : {}),
    ...(builtin.dataset ? { dataset: builtin.dataset } : {}),
  });
}

/**
 * Instructions from a built-in set name, a .jsonl of {instruction, dataset?}, or a .json list of
 * model outputs (their instructions and datasets are taken; outputs are ignored).
 */
export function readInstructions(spec: string): Instruction[] {
  const builtin = hasOwnKey(INSTRUCTION_SETS, spec) ? (INSTRUCTION_SETS[spec] as { file: readonly string[]; rows: number }) : undefined;
  const path = builtin ? dataPath(...builtin.file) : spec;
  const defaultDataset = spec === 'lima-dev' ? 'lima-dev' : '';
  const rows = path.endsWith('.jsonl') ? readJsonl(path, 'instructions') : readJsonFile(path, 'instructions');
  if (!Array.isArray(rows)) throw new Error(`${path}: expected a JSON list (or JSONL) of instructions`);
  if (rows.length === 0) throw new Error(`${path}: holds no instructions`);
  if (builtin && rows.length !== builtin.rows)
    throw new Error(`${path}: the built-in set "${spec}" should have ${builtin.rows} rows, found ${rows.length}`);
  return rows.map((row, i) => ({
    instruction: field(path, row, i, 'instruction')!,
    dataset: field(path, row, i, 'dataset', true) ?? defaultDataset,
  }));
}

/** Python's len(): code points, not UTF-16 units (AlpacaEval measures lengths with it). */
export function charLength(s: string): number {
  let n = 0;
  for (const _ of s) n++;
  return n;
}

/** A short one-line excerpt of a text for error messages. */
export function snippet(s: string, n = 60): string {
  const t = s.replace(/\s+/g, ' ').trim();
  return t.length > n ? `${t.slice(0, n)}…` : t;
}
