// IFEval scoring as the official evaluation_lib runs it: strict (the response as is) and loose
// (any of 8 variants: as is, `*` removed, first line removed, last line removed, both removed, and
// those three with `*` removed), prompt-level and instruction-level accuracy, per-family accuracy,
// and eval_results_{strict,loose}.jsonl rows in the official format.
import { eachJsonlRow } from '../../io/json.ts';
import { type Schema, checkShape } from '../../io/schema.ts';
import { buildCheck, type Check, type Kwargs } from './instructions.ts';
import { pyJsonDumps, pyStrip } from './pytext.ts';

export interface IfevalInput {
  key: number;
  prompt: string;
  instruction_id_list: string[];
  kwargs: Kwargs[];
}

export interface IfevalOutput {
  follow_all_instructions: boolean;
  follow_instruction_list: boolean[];
  instruction_id_list: string[];
  prompt: string;
  response: string;
}

export type Mode = 'strict' | 'loose';

/** input_data.jsonl: {key, prompt, instruction_id_list, kwargs}; every instruction is checked for validity up front. */
export function readInputs(path: string): IfevalInput[] {
  const inputs: IfevalInput[] = [];
  eachJsonlRow(path, 'IFEval input data', (row, where) => {
    const r = checkShape<Partial<IfevalInput>>(row, { object: {} }, where);
    if (!Number.isInteger(r.key)) throw new Error(`${where}: "key" must be an integer`);
    if (typeof r.prompt !== 'string') throw new Error(`${where}: "prompt" must be a string`);
    if (!Array.isArray(r.instruction_id_list) || !r.instruction_id_list.every((s) => typeof s === 'string'))
      throw new Error(`${where}: "instruction_id_list" must be a list of strings`);
    if (
      !Array.isArray(r.kwargs) ||
      r.kwargs.length !== r.instruction_id_list.length ||
      !r.kwargs.every((k) => k !== null && typeof k === 'object' && !Array.isArray(k))
    ) {
      throw new Error(`${where}: "kwargs" must be a list of objects, one per instruction id`);
    }
    const inp = r as IfevalInput;
    checksFor(inp, `${where} (key ${inp.key})`);
    inputs.push(inp);
  });
  if (inputs.length === 0)
    throw new Error(`${path}: holds no IFEval prompts (expected JSON lines {key, prompt, instruction_id_list, kwargs})`);
  return inputs;
}

const RESPONSE: Schema = { object: { prompt: 'string', response: 'string' } };

/**
 * A responses file: JSON lines of {prompt, response} (the official input_response_data format).
 * The same prompt twice with different responses is refused (which one to score?); with `prompts`
 * (every IFEval prompt), a response to a prompt that is not one of them is refused too, since it
 * would silently be scored as nothing (a prompt edited or from another file).
 */
export function readResponses(path: string, prompts?: ReadonlySet<string>): Map<string, string> {
  const out = new Map<string, string>();
  const lineOf = new Map<string, number>();
  eachJsonlRow(path, 'responses', (row, where, i) => {
    const r = checkShape<{ prompt: string; response: string }>(row, RESPONSE, where);
    if (prompts && !prompts.has(r.prompt))
      throw new Error(`${where}: the prompt ${snippetOf(r.prompt)} is not an IFEval prompt (responses are matched by exact prompt text)`);
    const seen = out.get(r.prompt);
    if (seen !== undefined && seen !== r.response)
      throw new Error(`${where}: the prompt ${snippetOf(r.prompt)} already has a different response on line ${lineOf.get(r.prompt)}`);
    out.set(r.prompt, r.response);
    if (!lineOf.has(r.prompt)) lineOf.set(r.prompt, i + 1);
  });
  if (out.size === 0) throw new Error(`${path}: holds no responses (expected JSON lines {"prompt", "response"})`);
  return out;
}

function snippetOf(s: string): string {
  return JSON.stringify(s.length > 50 ? `${s.slice(0, 47)}...` : s);
}

function checksFor(inp: IfevalInput, where: string): Check[] {
  return inp.instruction_id_list.map((id, j) => buildCheck(id, inp.kwargs[j]!, where));
}

/** The responses the loose mode also accepts, in the official order. */
export function looseVariants(response: string): string[] {
  const lines = response.split('\n');
  const first = pyStrip(lines.slice(1).join('\n'));
  const last = pyStrip(lines.slice(0, -1).join('\n'));
  const both = pyStrip(lines.slice(1, -1).join('\n'));
  const noStar = (s: string) => s.replaceAll('*', '');
  return [response, noStar(response), first, last, both, noStar(first), noStar(last), noStar(both)];
}

export function evaluateOne(inp: IfevalInput, response: string, mode: Mode): IfevalOutput {
  const checks = checksFor(inp, `key ${inp.key}`);
  const variants = mode === 'strict' ? [response] : looseVariants(response);
  const follow = checks.map((check) => variants.some((v) => pyStrip(v) !== '' && check(v)));
  return {
    follow_all_instructions: follow.every(Boolean),
    follow_instruction_list: follow,
    instruction_id_list: inp.instruction_id_list,
    prompt: inp.prompt,
    response,
  };
}

export interface Accuracy {
  prompt: number;
  instruction: number;
  /** By family (the part before ':'), then by full instruction id. */
  perFamily: Record<string, number>;
  perInstruction: Record<string, number>;
}

export function accuracy(outputs: IfevalOutput[]): Accuracy {
  if (outputs.length === 0) throw new Error('IFEval: no prompts to score');
  let promptOk = 0;
  let instTotal = 0;
  let instOk = 0;
  const fam = new Map<string, [number, number]>();
  const inst = new Map<string, [number, number]>();
  const bump = (m: Map<string, [number, number]>, k: string, ok: boolean) => {
    const v = m.get(k) ?? [0, 0];
    m.set(k, [v[0] + (ok ? 1 : 0), v[1] + 1]);
  };
  for (const o of outputs) {
    if (o.follow_instruction_list.every(Boolean)) promptOk++;
    o.instruction_id_list.forEach((id, j) => {
      const ok = o.follow_instruction_list[j]!;
      instTotal++;
      if (ok) instOk++;
      bump(fam, id.split(':')[0]!, ok);
      bump(inst, id, ok);
    });
  }
  const ratio = (m: Map<string, [number, number]>) =>
    Object.fromEntries([...m.entries()].sort(([a], [b]) => (a < b ? -1 : 1)).map(([k, [ok, n]]) => [k, ok / n]));
  return { prompt: promptOk / outputs.length, instruction: instOk / instTotal, perFamily: ratio(fam), perInstruction: ratio(inst) };
}

/** One line of eval_results_*.jsonl, byte for byte as the official write_outputs prints it. */
export function officialLine(o: IfevalOutput): string {
  return pyJsonDumps({
    follow_all_instructions: o.follow_all_instructions,
    follow_instruction_list: o.follow_instruction_list,
    instruction_id_list: o.instruction_id_list,
    prompt: o.prompt,
    response: o.response,
  });
}

export interface IfevalSummary {
  prompt_strict: number;
  prompt_loose: number;
  inst_strict: number;
  inst_loose: number;
  /** Strict instruction-level accuracy per family (the part of the id before ':'). */
  per_family: Record<string, number>;
  /** Loose instruction-level accuracy per family. */
  per_family_loose: Record<string, number>;
  per_instruction_strict: Record<string, number>;
  per_instruction_loose: Record<string, number>;
  n: number;
  n_instructions: number;
  subset: string;
}

export function summarize(strict: IfevalOutput[], loose: IfevalOutput[], subset: string): IfevalSummary {
  const s = accuracy(strict);
  const l = accuracy(loose);
  return {
    prompt_strict: s.prompt,
    prompt_loose: l.prompt,
    inst_strict: s.instruction,
    inst_loose: l.instruction,
    per_family: s.perFamily,
    per_family_loose: l.perFamily,
    per_instruction_strict: s.perInstruction,
    per_instruction_loose: l.perInstruction,
    n: strict.length,
    n_instructions: strict.reduce((a, o) => a + o.instruction_id_list.length, 0),
    subset,
  };
}

export interface IfevalRun {
  strict: IfevalOutput[];
  loose: IfevalOutput[];
  summary: IfevalSummary;
  /** Keys of prompts that had no response (only with allowMissing). */
  missing: number[];
}

/** Keeps only the given instruction ids of each prompt; prompts left with none are dropped. */
export function restrictTo(inputs: IfevalInput[], ids: readonly string[]): IfevalInput[] {
  const keep = new Set(ids);
  return inputs.flatMap((inp) => {
    const idx = inp.instruction_id_list.map((id, j) => (keep.has(id) ? j : -1)).filter((j) => j >= 0);
    return idx.length === 0
      ? []
      : [{ ...inp, instruction_id_list: idx.map((j) => inp.instruction_id_list[j]!), kwargs: idx.map((j) => inp.kwargs[j]!) }];
  });
}

/** Scores every input against its response (matched by prompt text, as the official code does). */
export function runIfeval(
  inputs: IfevalInput[],
  responses: Map<string, string>,
  opts: { subset?: string; allowMissing?: boolean } = {},
): IfevalRun {
  const missing = inputs.filter((i) => !responses.has(i.prompt)).map((i) => i.key);
  if (missing.length > 0 && !opts.allowMissing) {
    throw new Error(
      `no response for ${missing.length} prompt(s), keys ${missing.slice(0, 10).join(', ')}${missing.length > 10 ? ', …' : ''} (responses are matched to prompts by exact prompt text; --allow-missing scores the rest)`,
    );
  }
  const scored = inputs.filter((i) => responses.has(i.prompt));
  const strict = scored.map((i) => evaluateOne(i, responses.get(i.prompt)!, 'strict'));
  const loose = scored.map((i) => evaluateOne(i, responses.get(i.prompt)!, 'loose'));
  return { strict, loose, summary: summarize(strict, loose, opts.subset ?? 'all'), missing };
}
