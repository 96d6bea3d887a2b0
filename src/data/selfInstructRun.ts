// The Self-Instruct / Evol-Instruct loop over any text-completion function (an OpenAI-compatible
// endpoint in `heed data generate`, a fake in tests). Kept rows are appended to the output JSONL
// one line at a time (fsynced), so a run that stops can resume: a rerun reads the kept rows back,
// drops a torn last line, and continues until --n rows. Rows are Alpaca-form
// {instruction, input, output} plus "provenance" (mode, request, model, the prompt's seed tasks or
// the evolved parent and operation, the nearest kept instruction and its ROUGE-L, and whether the
// output stopped by itself or at the token limit).
import { closeSync, fsyncSync, openSync, writeSync } from 'node:fs';
import { readAppendLog } from '../io/appendLog.ts';
import { outputFile } from '../io/open.ts';
import { type Schema, checkShape } from '../io/schema.ts';
import { Rng } from '../core/random.ts';
import {
  EVOL_OPERATIONS,
  type EvolOperation,
  InstructionPool,
  type SeedTask,
  evolPrompt,
  instancePrompt,
  instructionPrompt,
  normalize,
  parseEvolved,
  outputPrompt,
  parseInput,
  parseInstructions,
  parseOutput,
  ruleRejection,
} from './selfInstruct.ts';

export const GENERATE_MODES = ['self-instruct', 'evol'] as const;
export type GenerateMode = (typeof GENERATE_MODES)[number];

export interface Completion {
  text: string;
  /** "stop" or "length" (OpenAI's finish_reason). */
  finishReason?: string;
}
export type Complete = (prompt: string, opts: { maxTokens: number; stop: string[]; seed: number }) => Promise<Completion>;

export interface GeneratedRow {
  instruction: string;
  input: string;
  output: string;
  provenance: Record<string, unknown>;
}

export interface GenerateProgress {
  kept: number;
  target: number;
  requests: number;
  rejected: ReadonlyMap<string, number>;
}

export interface GenerateOptions {
  mode: GenerateMode;
  /** Rows wanted in the output file in all (resumed rows count). */
  n: number;
  seeds: readonly SeedTask[];
  out: string;
  complete: Complete;
  /** ROUGE-L F1 (eval/rouge.ts), passed in. */
  similarity: (a: string, b: string) => number;
  /** Written into every row's provenance (model name, endpoint). */
  provenance: Record<string, unknown>;
  seed?: number;
  /** Tasks shown in an instruction prompt (Self-Instruct: 8, a quarter from generated ones). */
  promptTasks?: number;
  /** Seed demonstrations in an instance prompt (default 2). */
  demos?: number;
  maxTokens?: number;
  /** Give up after this many endpoint requests (default 20 per row wanted). */
  maxRequests?: number;
  onProgress?: (p: GenerateProgress) => void;
}

export interface GenerateResult {
  kept: number;
  resumed: number;
  requests: number;
  rejected: Map<string, number>;
  /** A torn last line was dropped on resume. */
  repaired: boolean;
}

/** The rows of an existing output (to resume): an append-only JSONL, read with readAppendLog
 *  (a torn last line, cut short by a crash, is cut off the file; any other bad line is refused:
 *  the file is not ours to rewrite). */
export function readGenerated(path: string): { rows: GeneratedRow[]; repaired: boolean } {
  outputFile(path, '--out');
  const log = readAppendLog(path, 'generated rows');
  const rows = log.records.map(({ value, line }) => {
    try {
      return checkShape<GeneratedRow>(value, GENERATED_ROW, `${path}:${line}`);
    } catch (e) {
      throw new Error(`${(e as Error).message}; not a generated row ({instruction, input, output}), refusing to resume into this file`);
    }
  });
  return { rows, repaired: log.repaired !== undefined };
}

const GENERATED_ROW: Schema = { object: { instruction: 'string', input: 'string', output: 'string' } };

function sample<T>(rng: Rng, xs: readonly T[], k: number): T[] {
  const idx = xs.map((_, i) => i);
  for (let i = idx.length - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [idx[i], idx[j]] = [idx[j]!, idx[i]!];
  }
  return idx.slice(0, Math.min(k, xs.length)).map((i) => xs[i]!);
}

export async function generateInstructions(o: GenerateOptions): Promise<GenerateResult> {
  if (!Number.isInteger(o.n) || o.n < 1) throw new Error(`--n must be a whole number >= 1, got ${o.n}`);
  if (o.seeds.length === 0) throw new Error('no seed tasks');
  const { rows: existing, repaired } = readGenerated(o.out);
  const rng = new Rng((o.seed ?? 42) + existing.length * 7919);
  const promptTasks = o.promptTasks ?? 8;
  const demos = o.demos ?? 2;
  const maxTokens = o.maxTokens ?? 256;
  const maxRequests = o.maxRequests ?? 20 * o.n;
  const rejected = new Map<string, number>();
  const reject = (r: string) => rejected.set(r, (rejected.get(r) ?? 0) + 1);

  // Self-Instruct compares against seeds and kept rows; Evol only against other evolved rows
  // (a rewrite is meant to resemble its parent).
  const pool = new InstructionPool(o.similarity);
  if (o.mode === 'self-instruct') for (const s of o.seeds) pool.add(s.instruction);
  for (const r of existing) pool.add(r.instruction);
  const generated = existing.map((r) => r.instruction);
  const parents = [...o.seeds.map((s) => s.instruction), ...generated];

  let kept = existing.length;
  let requests = 0;
  const progress = () => o.onProgress?.({ kept, target: o.n, requests, rejected });
  const call = async (prompt: string, stop: string[]) => {
    requests++;
    const c = await o.complete(prompt, { maxTokens, stop, seed: rng.int(2 ** 31) });
    progress();
    return c;
  };
  const fd = openSync(o.out, 'a');
  try {
    /** Instance generation for an accepted instruction; writes the row. */
    const finish = async (instruction: string, prov: Record<string, unknown>, nearest: { instruction: string | null; rouge: number }) => {
      const shots = sample(rng, o.seeds, demos).map((s) => ({ instruction: s.instruction, ...s.instances[0]! }));
      const prompt = instancePrompt(instruction, shots);
      const ci = await call(prompt, ['\n']);
      const input = parseInput(ci.text, ci.finishReason);
      if (typeof input !== 'string') return reject(input.reason);
      if (requests >= maxRequests) return;
      const co = await call(outputPrompt(prompt, input), ['\nTask:', '\n\n']);
      const output = parseOutput(co.text);
      if (typeof output !== 'string') return reject(output.reason);
      const row: GeneratedRow = {
        instruction,
        input,
        output,
        provenance: {
          ...o.provenance,
          mode: o.mode,
          request: requests,
          ...prov,
          most_similar: nearest,
          ...(co.finishReason ? { output_finish_reason: co.finishReason } : {}),
        },
      };
      writeSync(fd, `${JSON.stringify(row)}\n`);
      fsyncSync(fd);
      pool.add(instruction);
      generated.push(instruction);
      parents.push(instruction);
      kept++;
      progress();
    };
    progress();
    while (kept < o.n && requests < maxRequests) {
      if (o.mode === 'self-instruct') {
        const machine = sample(rng, generated, Math.min(generated.length, Math.floor(promptTasks / 4)));
        const human = sample(rng, o.seeds, promptTasks - machine.length);
        const tasks = sample(rng, [...human.map((s) => s.instruction), ...machine], promptTasks);
        const c = await call(instructionPrompt(tasks), ['\n\n']);
        const candidates = parseInstructions(c.text, c.finishReason);
        if (candidates.length === 0) reject('no instruction parsed');
        for (const cand of candidates) {
          if (kept >= o.n) break;
          const rule = ruleRejection(cand);
          if (rule) {
            reject(rule);
            continue;
          }
          const sim = pool.check(cand);
          if (sim.reason) {
            reject(sim.reason);
            continue;
          }
          if (requests >= maxRequests) break; // no request left for its input/output
          await finish(
            cand,
            { seed_tasks: human.map((s) => s.id), generated_shown: machine.length },
            { instruction: sim.nearest, rouge: sim.score },
          );
        }
      } else {
        const parent = parents[rng.int(parents.length)]!;
        const op: EvolOperation = EVOL_OPERATIONS[rng.int(EVOL_OPERATIONS.length)]!;
        const c = await call(evolPrompt(parent, op), ['\n\n', '#']);
        const parsed = parseEvolved(c.text, c.finishReason);
        if (typeof parsed !== 'string') {
          reject(parsed.reason);
          continue;
        }
        const cand = parsed;
        const rule = ruleRejection(cand);
        if (rule) {
          reject(rule);
          continue;
        }
        if (normalize(cand) === normalize(parent)) {
          reject('same as its parent');
          continue;
        }
        const sim = pool.check(cand);
        if (sim.reason) {
          reject(sim.reason);
          continue;
        }
        if (requests >= maxRequests) break;
        await finish(cand, { parent, operation: op }, { instruction: sim.nearest, rouge: sim.score });
      }
    }
  } finally {
    closeSync(fd);
  }
  return { kept: kept - existing.length, resumed: existing.length, requests, rejected, repaired };
}
