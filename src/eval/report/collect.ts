// Reads what one results directory holds: a compare run (summary.json + annotations.json, or an
// AlpacaEval leaderboard.csv), an IFEval summary (ifeval_summary.json), generated outputs
// (model_outputs.json) and a training log (log.jsonl). A directory with none of them is refused.
import { existsSync } from 'node:fs';
import { readAppendLog } from '../../io/appendLog.ts';
import { readJsonFile } from '../../io/json.ts';
import { inputDir, readInputText } from '../../io/open.ts';
import { type Schema, checkShape } from '../../io/schema.ts';
import { basename, join, resolve } from 'node:path';
import type { CompareSummary } from '../compare.ts';
import type { IfevalSummary as FullIfevalSummary } from '../ifeval/evaluate.ts';
import { charLength, readOutputs } from '../outputs.ts';

export interface WinRateResult {
  model: string;
  reference: string;
  judge: string;
  proxy?: string;
  win_rate: number;
  standard_error: number;
  length_controlled_winrate: number;
  discrete_win_rate: number;
  n_total: number;
  avg_length: number;
  position_consistency: number | null;
}

/** The part of `heed eval ifeval`'s ifeval_summary.json the report reads; the loose per-family
 *  scores may be missing from summaries written elsewhere. */
export type IfevalSummary = Pick<FullIfevalSummary, 'prompt_strict' | 'prompt_loose' | 'inst_strict' | 'inst_loose' | 'per_family'> &
  Partial<Pick<FullIfevalSummary, 'per_family_loose'>>;

export interface LogPoint {
  step: number;
  loss: number;
  eval_loss?: number;
}

export interface RunResults {
  name: string;
  dir: string;
  winRate?: WinRateResult;
  /** Output lengths in characters: the model's, and the reference's when known. */
  lengths?: { model: number[]; reference?: number[] };
  ifeval?: IfevalSummary;
  log?: LogPoint[];
}

const SUMMARY: Schema = {
  object: {
    model: 'string',
    reference: 'string',
    judge: 'string',
    proxy: 'string',
    win_rate: 'number?',
    standard_error: 'number?',
    length_controlled_winrate: 'number?',
    discrete_win_rate: 'number?',
    n_total: 'count',
    avg_length: 'number?',
    position_consistency: 'number?',
  },
  optional: ['proxy', 'position_consistency'],
};
const IFEVAL_SUMMARY: Schema = {
  object: {
    prompt_strict: 'number',
    prompt_loose: 'number',
    inst_strict: 'number',
    inst_loose: 'number',
    per_family: { map: 'number' },
    per_family_loose: { map: 'number' },
  },
  optional: ['per_family_loose'],
};
const ANNOTATIONS: Schema = { array: { object: { output_1: 'string', output_2: 'string' } } };

function num(path: string, obj: Record<string, unknown>, key: string, nullable = false): number {
  const v = obj[key];
  if (v === null && nullable) return NaN;
  if (typeof v !== 'number') throw new Error(`${path}: "${key}" must be a number, got ${v === undefined ? 'nothing' : JSON.stringify(v)}`);
  return v;
}

function str(path: string, obj: Record<string, unknown>, key: string): string {
  const v = obj[key];
  if (typeof v !== 'string') throw new Error(`${path}: "${key}" must be a string`);
  return v;
}

function readSummary(path: string): WinRateResult {
  const s = checkShape<Record<string, unknown>>(readJsonFile(path, 'summary'), SUMMARY, path);
  return {
    model: str(path, s, 'model'),
    reference: str(path, s, 'reference'),
    judge: str(path, s, 'judge'),
    ...(typeof s.proxy === 'string' ? { proxy: s.proxy } : {}),
    win_rate: num(path, s, 'win_rate', true),
    standard_error: num(path, s, 'standard_error', true),
    length_controlled_winrate: num(path, s, 'length_controlled_winrate', true),
    discrete_win_rate: num(path, s, 'discrete_win_rate', true),
    n_total: num(path, s, 'n_total'),
    avg_length: num(path, s, 'avg_length', true),
    position_consistency:
      s.position_consistency === null || s.position_consistency === undefined ? null : num(path, s, 'position_consistency', true),
  };
}

/** The report's view of a compare summary held in memory (what summary.json holds on disk). A
 *  summary that went through JSON (the study's stage cache) has null where a number was NaN. */
export function winRateOf(s: CompareSummary): WinRateResult {
  const n = (v: number | null): number => v ?? NaN;
  return {
    model: s.model,
    reference: s.reference,
    judge: s.judge,
    ...(s.proxy ? { proxy: s.proxy } : {}),
    win_rate: n(s.win_rate),
    standard_error: n(s.standard_error),
    length_controlled_winrate: n(s.length_controlled_winrate),
    discrete_win_rate: n(s.discrete_win_rate),
    n_total: s.n_total,
    avg_length: n(s.avg_length),
    position_consistency: s.position_consistency ?? null,
  };
}

/** Splits one CSV line (RFC 4180 quoting). */
export function csvFields(line: string): string[] {
  const out: string[] = [];
  let cur = '';
  let q = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (q) {
      if (c === '"' && line[i + 1] === '"') (cur += '"'), i++;
      else if (c === '"') q = false;
      else cur += c;
    } else if (c === '"') q = true;
    else if (c === ',') out.push(cur), (cur = '');
    else cur += c;
  }
  out.push(cur);
  return out;
}

/** The first model row of an AlpacaEval leaderboard.csv (for directories AlpacaEval itself wrote). */
function readLeaderboardCsv(path: string): WinRateResult {
  const lines = readInputText(path, 'leaderboard')
    .split(/\r?\n/)
    .filter((l) => l.trim() !== '');
  if (lines.length < 2) throw new Error(`${path}: no model row`);
  const head = csvFields(lines[0]!);
  const row = csvFields(lines[1]!);
  const get = (k: string, required = true): number => {
    const i = head.indexOf(k);
    if (i < 0) {
      if (required) throw new Error(`${path}: no "${k}" column`);
      return NaN;
    }
    const cell = row[i] ?? '';
    if (cell.trim() === '' || cell === 'NaN') return NaN;
    const n = Number(cell);
    if (!Number.isFinite(n))
      throw new Error(
        `${path}:2: the "${k}" column must hold a number, got ${JSON.stringify(cell.length > 40 ? `${cell.slice(0, 37)}...` : cell)}`,
      );
    return n;
  };
  const annotator = head.indexOf('annotator') >= 0 ? row[head.indexOf('annotator')]! : 'unknown';
  return {
    model: row[0]!,
    reference: 'unknown',
    judge: annotator,
    ...(/PROXY/.test(annotator) ? { proxy: annotator } : {}),
    win_rate: get('win_rate'),
    standard_error: get('standard_error'),
    length_controlled_winrate: get('length_controlled_winrate', false),
    discrete_win_rate: get('discrete_win_rate', false),
    n_total: get('n_total'),
    avg_length: get('avg_length', false),
    position_consistency: null,
  };
}

function readIfeval(path: string): IfevalSummary {
  const s = checkShape<Record<string, unknown>>(readJsonFile(path, 'IFEval summary'), IFEVAL_SUMMARY, path);
  const families = (key: string): Record<string, number> => {
    const fam = s[key];
    if (typeof fam !== 'object' || fam === null || Array.isArray(fam))
      throw new Error(`${path}: "${key}" must be an object of {family: accuracy}`);
    const out: Record<string, number> = {};
    for (const [k, v] of Object.entries(fam)) {
      if (typeof v !== 'number' || !(v >= 0 && v <= 1))
        throw new Error(`${path}: ${key}["${k}"] must be an accuracy in [0, 1], got ${JSON.stringify(v)}`);
      out[k] = v;
    }
    return out;
  };
  const acc = (k: string): number => {
    const v = num(path, s, k);
    if (!(v >= 0 && v <= 1)) throw new Error(`${path}: "${k}" must be an accuracy in [0, 1], got ${v}`);
    return v;
  };
  return {
    prompt_strict: acc('prompt_strict'),
    prompt_loose: acc('prompt_loose'),
    inst_strict: acc('inst_strict'),
    inst_loose: acc('inst_loose'),
    per_family: families('per_family'),
    ...(s.per_family_loose !== undefined ? { per_family_loose: families('per_family_loose') } : {}),
  };
}

/** A training log's loss points (lines with a step and a loss or held-out loss). */
export function readLog(path: string): LogPoint[] {
  const out: LogPoint[] = [];
  // read-only: a run may still be appending, so an incomplete last line is left out, not cut off
  readAppendLog(path, 'training log', { repair: false }).records.forEach(({ value, line }) => {
    const j = checkShape<Record<string, unknown>>(value, { object: {} }, `${path}:${line}`);
    // Lines without a step and a loss (e.g. a config line) are other records of the log. The
    // held-out loss is `eval_loss`, or `evalLoss` as heed train's {kind: 'eval'} lines write it.
    if (typeof j.step !== 'number') return;
    const evalLoss = typeof j.eval_loss === 'number' ? j.eval_loss : typeof j.evalLoss === 'number' ? j.evalLoss : undefined;
    if (typeof j.loss !== 'number' && evalLoss === undefined) return;
    out.push({ step: j.step, loss: typeof j.loss === 'number' ? j.loss : NaN, ...(evalLoss !== undefined ? { eval_loss: evalLoss } : {}) });
  });
  if (out.length === 0) throw new Error(`${path}: no lines with a step and a loss`);
  return out;
}

export function collectRun(dir: string): RunResults {
  const d = resolve(dir);
  inputDir(dir, 'result directory');
  const run: RunResults = { name: basename(d), dir: d };
  const at = (f: string): string | undefined => (existsSync(join(d, f)) ? join(d, f) : undefined);
  const summary = at('summary.json');
  const board = at('leaderboard.csv');
  if (summary) run.winRate = readSummary(summary);
  else if (board) run.winRate = readLeaderboardCsv(board);
  const ann = at('annotations.json');
  const outs = at('model_outputs.json');
  if (ann) {
    const rows = checkShape<{ output_1: string; output_2: string }[]>(readJsonFile(ann, 'annotations'), ANNOTATIONS, ann);
    const take = (k: 'output_1' | 'output_2'): number[] => rows.map((r) => charLength(r[k]));
    run.lengths = { model: take('output_2'), reference: take('output_1') };
  } else if (outs) run.lengths = { model: readOutputs(outs).map((r) => charLength(r.output)) };
  const ife = at('ifeval_summary.json');
  if (ife) run.ifeval = readIfeval(ife);
  const log = at('log.jsonl');
  if (log) run.log = readLog(log);
  if (!run.winRate && !run.lengths && !run.ifeval && !run.log) {
    throw new Error(
      `${dir}: holds none of summary.json, leaderboard.csv, annotations.json, model_outputs.json, ifeval_summary.json, log.jsonl`,
    );
  }
  return run;
}

/** Runs with the same directory name get their parent's name prefixed, so every label is unique. */
export function collectRuns(dirs: readonly string[]): RunResults[] {
  if (dirs.length === 0) throw new Error('no result directories given');
  const runs = dirs.map(collectRun);
  const counts = new Map<string, number>();
  for (const r of runs) counts.set(r.name, (counts.get(r.name) ?? 0) + 1);
  for (const r of runs) if (counts.get(r.name)! > 1) r.name = `${basename(resolve(r.dir, '..'))}/${r.name}`;
  return runs;
}
