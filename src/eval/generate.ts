// heed eval generate: greedy answers to an instruction set, in AlpacaEval's model_outputs.json
// form. Prompts are `chatText(instruction.trim())` with BOS; generation stops at EOS. Rows are
// generated in order, in batches; after each batch the whole file is rewritten atomically, so a
// crash loses nothing written and a rerun continues after the last row done.
import { existsSync } from 'node:fs';
import { generateBatch } from '../decode/generate.ts';
import { paperRuleWeights, parseRules, rulesAdapter } from '../decode/rules.ts';
import type { Llama } from '../nn/llama.ts';
import { chatText, type Tokenizer } from '../tokenizer/tokenizer.ts';
import { type ChatTemplate, specialText, templatePrompt } from '../data/templates.ts';
import { type Instruction, type ModelOutput, readOutputs, snippet, writeJsonAtomic } from './outputs.ts';

export interface EvalGenerateOptions {
  model: Llama;
  tokenizer: Tokenizer;
  instructions: readonly Instruction[];
  /** The `generator` written in every row. */
  generator: string;
  /** model_outputs.json to write (and resume from). */
  out: string;
  batchSize?: number;
  maxNewTokens?: number;
  /** The paper's decode-time rules adapter: a comma-separated subset of eos,uniform,diversity,
   *  with the paper's weights (src/decode/rules.ts); undefined = plain greedy decoding. */
  rules?: string;
  /** Rows done so far (resumed rows included) after each batch. */
  onProgress?: (done: number, total: number) => void;
  /** The chat template the model was trained with (src/data/templates.ts); default tulu (chatText). */
  template?: ChatTemplate;
}

/** The prompt ids of one instruction: BOS + the chat template up to the assistant turn. */
export function promptIds(tok: Tokenizer, instruction: string, template?: ChatTemplate): number[] {
  if (!template) return tok.encode(chatText(instruction.trim()), { bos: true });
  const sp = specialText(tok);
  const text = templatePrompt(template, instruction.trim(), sp);
  return tok.encode(text, { bos: !(sp.bos !== '' && text.startsWith(sp.bos)) }); // HF templates write BOS themselves
}

/** Rows already in `out`, checked to be a prefix of this run (same instructions, same generator). */
export function resumeRows(out: string, instructions: readonly Instruction[], generator: string): ModelOutput[] {
  if (!existsSync(out)) return [];
  const done = readOutputs(out);
  if (done.length > instructions.length) throw new Error(`${out}: holds ${done.length} rows but the instruction set has ${instructions.length}; choose another --out`);
  done.forEach((r, i) => {
    if (r.instruction !== instructions[i]!.instruction) throw new Error(`${out}: row ${i} answers a different instruction than the instruction set's row ${i}; choose another --out`);
    if (r.generator !== generator) throw new Error(`${out}: row ${i} was written by generator "${r.generator}", not "${generator}"; choose another --out or --name`);
  });
  return done;
}

export async function generateOutputs(opts: EvalGenerateOptions): Promise<ModelOutput[]> {
  const { model, tokenizer: tok, instructions } = opts;
  const batchSize = opts.batchSize ?? 8;
  const maxNewTokens = opts.maxNewTokens ?? 512;
  if (!(Number.isInteger(batchSize) && batchSize >= 1)) throw new Error(`batch size must be a positive integer, got ${batchSize}`);
  if (!(Number.isInteger(maxNewTokens) && maxNewTokens >= 1)) throw new Error(`max new tokens must be a positive integer, got ${maxNewTokens}`);
  const processors = opts.rules !== undefined ? rulesAdapter(tok, parseRules(opts.rules), paperRuleWeights(), { eosId: tok.eos }).processors : [];
  if (tok.vocabSize !== model.config.vocabSize) throw new Error(`tokenizer has ${tok.vocabSize} tokens but the model's vocabulary is ${model.config.vocabSize}`);
  // Validate every prompt before generating anything.
  const prompts = instructions.map((r, i) => {
    const ids = promptIds(tok, r.instruction, opts.template);
    if (ids.length >= model.config.maxSeqLen) throw new Error(`instruction ${i} ("${snippet(r.instruction)}") is ${ids.length} tokens; the model's context is ${model.config.maxSeqLen}`);
    return ids;
  });
  const rows = resumeRows(opts.out, instructions, opts.generator);
  opts.onProgress?.(rows.length, instructions.length);
  for (let s = rows.length; s < instructions.length; s += batchSize) {
    const end = Math.min(s + batchSize, instructions.length);
    const ids = await generateBatch(model, prompts.slice(s, end), { maxTokens: maxNewTokens, temperature: 0, stopIds: [tok.eos], ...(processors.length ? { processors } : {}) });
    ids.forEach((gen, b) => {
      const r = instructions[s + b]!;
      rows.push({ instruction: r.instruction, output: tok.decode(gen, { skipSpecial: true }).trim(), generator: opts.generator, dataset: r.dataset });
    });
    writeJsonAtomic(opts.out, rows);
    opts.onProgress?.(rows.length, instructions.length);
  }
  if (!existsSync(opts.out)) writeJsonAtomic(opts.out, rows);
  return rows;
}
