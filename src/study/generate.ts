// Greedy answers for one arm, in AlpacaEval's model_outputs.json, plus what that file has no field
// for: whether each answer ended with EOS and how many tokens it took (generation_meta.json).
// Both files are rewritten atomically after each batch; a rerun continues after the last row done
// (rows checked against the instruction set by src/eval's resumeRows).
import { existsSync, readFileSync } from 'node:fs';
import { generateBatchResults } from '../decode/generate.ts';
import { paperRuleWeights, parseRules, rulesAdapter } from '../decode/rules.ts';
import { promptIds, resumeRows } from '../eval/generate.ts';
import { type Instruction, type ModelOutput, snippet, writeJsonAtomic } from '../eval/outputs.ts';
import type { Llama } from '../nn/llama.ts';
import type { Tokenizer } from '../tokenizer/tokenizer.ts';

export interface RowMeta {
  /** Generation stopped at EOS (not at the token limit or the context). */
  eos: boolean;
  tokens: number;
}

export interface ArmGeneration {
  rows: ModelOutput[];
  meta: RowMeta[];
}

export interface ArmGenerateOptions {
  model: Llama;
  tokenizer: Tokenizer;
  instructions: readonly Instruction[];
  generator: string;
  outputs: string;
  metaPath: string;
  batchSize: number;
  maxNewTokens: number;
  /** Rules adapter spec (eos,uniform,diversity subset) with the paper's weights; undefined = plain. */
  rules?: string;
  onProgress?: (done: number, total: number) => void;
}

function readMeta(path: string, rows: number): RowMeta[] {
  if (!existsSync(path)) return [];
  const meta = JSON.parse(readFileSync(path, 'utf8')) as RowMeta[];
  if (!Array.isArray(meta)) throw new Error(`${path}: expected a list of {eos, tokens}`);
  return meta.slice(0, rows);
}

export async function generateArm(opts: ArmGenerateOptions): Promise<ArmGeneration> {
  const { model, tokenizer: tok, instructions } = opts;
  const processors = opts.rules !== undefined ? rulesAdapter(tok, parseRules(opts.rules), paperRuleWeights(), { eosId: tok.eos }).processors : [];
  const prompts = instructions.map((r, i) => {
    const ids = promptIds(tok, r.instruction);
    if (ids.length >= model.config.maxSeqLen) throw new Error(`instruction ${i} ("${snippet(r.instruction)}") is ${ids.length} tokens; the model's context is ${model.config.maxSeqLen}`);
    return ids;
  });
  const rows = resumeRows(opts.outputs, instructions, opts.generator);
  const meta = readMeta(opts.metaPath, rows.length);
  // A crash between the two writes leaves outputs one batch ahead of their meta: redo those rows.
  rows.length = Math.min(rows.length, meta.length);
  opts.onProgress?.(rows.length, instructions.length);
  for (let s = rows.length; s < instructions.length; s += opts.batchSize) {
    const end = Math.min(s + opts.batchSize, instructions.length);
    const res = await generateBatchResults(model, prompts.slice(s, end), {
      maxTokens: opts.maxNewTokens, temperature: 0, stopIds: [tok.eos], ...(processors.length ? { processors } : {}),
    });
    res.forEach((r, b) => {
      const ins = instructions[s + b]!;
      const eos = r.finishReason === 'stop';
      const ids = eos && r.ids.at(-1) === tok.eos ? r.ids.slice(0, -1) : r.ids;
      rows.push({ instruction: ins.instruction, output: tok.decode(ids, { skipSpecial: true }).trim(), generator: opts.generator, dataset: ins.dataset });
      meta.push({ eos, tokens: ids.length });
    });
    writeJsonAtomic(opts.metaPath, meta);
    writeJsonAtomic(opts.outputs, rows);
    opts.onProgress?.(rows.length, instructions.length);
  }
  if (!existsSync(opts.outputs)) writeJsonAtomic(opts.outputs, rows);
  if (!existsSync(opts.metaPath)) writeJsonAtomic(opts.metaPath, meta);
  return { rows, meta };
}
