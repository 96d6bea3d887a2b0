// heed eval compare: pair a model's outputs with a reference's by instruction, judge each pair,
// and write AlpacaEval's annotations.json and leaderboard.csv (reference = output_1, model =
// output_2), plus summary.json with what AlpacaEval's files have no column for (the judge, the
// proxy label, dropped verdicts, position consistency, the LC variant).
import { outputDir } from '../io/open.ts';
import { join } from 'node:path';
import type { Judge, Pair } from './judges/judge.ts';
import { type Leaderboard, leaderboardRow } from './metrics.ts';
import { writeJsonAtomic, writeTextFileAtomic } from '../io/json.ts';
import { type ModelOutput, snippet } from './outputs.ts';

export interface Annotation {
  dataset: string;
  instruction: string;
  output_1: string;
  generator_1: string;
  output_2: string;
  generator_2: string;
  annotator: string;
  preference: number | null;
  /** With --both-orders: the verdict with the outputs shown the other way round (already mapped back). */
  preference_reversed?: number | null;
  raw_completion?: unknown;
  raw_completion_reversed?: unknown;
}

export interface CompareSummary extends Leaderboard {
  model: string;
  reference: string;
  judge: string;
  /** Present (and in every table) when the judge is an offline proxy. */
  proxy?: string;
  length_controlled_variant: string;
  n_pairs: number;
  n_identical: number;
  n_no_verdict: number;
  both_orders: boolean;
  /** Fraction of pairs judged in both orders whose verdict (1, draw, 2) agrees; null without --both-orders. */
  position_consistency: number | null;
  n_consistency_pairs: number;
}

export const LC_VARIANT =
  'minimal: tanh(Δlen/std(Δlen)) + model term, no instruction-difficulty term, no regularisation to gamed baselines; L1 logistic regression, C = 100, no CV';

export interface CompareOptions {
  model: readonly ModelOutput[];
  reference: readonly ModelOutput[];
  judge: Judge;
  bothOrders?: boolean;
  onProgress?: (done: number, total: number) => void;
}

/** The one generator name of a set of outputs; refuses mixed files. */
export function generatorOf(rows: readonly ModelOutput[], what: string): string {
  const names = new Set(rows.map((r) => r.generator));
  if (names.size !== 1)
    throw new Error(`${what}: expected outputs of one generator, found ${names.size} (${[...names].slice(0, 3).join(', ')})`);
  return [...names][0]!;
}

/** Reference rows by instruction; every model instruction must be answered exactly once by the reference. */
export function pairByInstruction(
  model: readonly ModelOutput[],
  reference: readonly ModelOutput[],
): { model: ModelOutput; reference: ModelOutput }[] {
  const ref = new Map<string, ModelOutput>();
  for (const r of reference) {
    if (ref.has(r.instruction)) throw new Error(`reference outputs: the instruction "${snippet(r.instruction)}" appears twice`);
    ref.set(r.instruction, r);
  }
  const seen = new Set<string>();
  return model.map((m, i) => {
    if (seen.has(m.instruction)) throw new Error(`model outputs: row ${i}'s instruction "${snippet(m.instruction)}" appears twice`);
    seen.add(m.instruction);
    const r = ref.get(m.instruction);
    if (!r) throw new Error(`model outputs: row ${i}'s instruction "${snippet(m.instruction)}" has no reference output`);
    return { model: m, reference: r };
  });
}

const discrete = (p: number): number => (p === 1.5 ? 1.5 : p < 1.5 ? 1 : 2);
const nanToNull = (p: number): number | null => (Number.isNaN(p) ? null : p);

export async function compare(opts: CompareOptions): Promise<{ annotations: Annotation[]; summary: CompareSummary }> {
  const modelName = generatorOf(opts.model, 'model outputs');
  const refName = generatorOf(opts.reference, 'reference outputs');
  const paired = pairByInstruction(opts.model, opts.reference);
  const pairs: Pair[] = paired.map(({ model, reference }) => ({
    instruction: model.instruction,
    output_1: reference.output,
    output_2: model.output,
  }));
  // Identical outputs are a draw without asking the judge (AlpacaEval's rule).
  const toJudge = pairs.map((p, i) => (p.output_1 === p.output_2 ? -1 : i)).filter((i) => i >= 0);
  const total = toJudge.length * (opts.bothOrders ? 2 : 1);
  const asked = toJudge.map((i) => pairs[i]!);
  const forward = await opts.judge.judge(asked, (d) => opts.onProgress?.(d, total));
  const reversed = opts.bothOrders
    ? await opts.judge.judge(
        asked.map((p) => ({ instruction: p.instruction, output_1: p.output_2, output_2: p.output_1 })),
        (d) => opts.onProgress?.(toJudge.length + d, total),
      )
    : undefined;

  const prefs = pairs.map(() => 1.5);
  const annotations: Annotation[] = paired.map(({ model, reference }, _i) => ({
    dataset: model.dataset || reference.dataset,
    instruction: model.instruction,
    output_1: reference.output,
    generator_1: refName,
    output_2: model.output,
    generator_2: modelName,
    annotator: opts.judge.name,
    preference: 1.5,
  }));
  let consistent = 0;
  let nBoth = 0;
  toJudge.forEach((i, k) => {
    const a = annotations[i]!;
    const f = forward[k]!.preference;
    a.raw_completion = forward[k]!.raw;
    let p = f;
    if (reversed) {
      const r = 3 - reversed[k]!.preference; // the reversed run's output_1 is the model
      a.preference_reversed = nanToNull(r);
      a.raw_completion_reversed = reversed[k]!.raw;
      if (!Number.isNaN(f) && !Number.isNaN(r)) {
        p = (f + r) / 2;
        nBoth++;
        if (discrete(f) === discrete(r)) consistent++;
      } else p = Number.isNaN(f) ? r : f;
    }
    prefs[i] = p;
    a.preference = nanToNull(p);
  });

  const rows = pairs.map((p, i) => ({ output_1: p.output_1, output_2: p.output_2, preference: prefs[i]! }));
  const summary: CompareSummary = {
    model: modelName,
    reference: refName,
    judge: opts.judge.name,
    ...(opts.judge.proxy ? { proxy: opts.judge.proxy } : {}),
    ...leaderboardRow(rows, modelName === refName),
    length_controlled_variant: LC_VARIANT,
    n_pairs: pairs.length,
    n_identical: pairs.length - toJudge.length,
    n_no_verdict: prefs.filter((p) => Number.isNaN(p)).length,
    both_orders: !!opts.bothOrders,
    position_consistency: reversed ? (nBoth === 0 ? NaN : consistent / nBoth) : null,
    n_consistency_pairs: nBoth,
  };
  return { annotations, summary };
}

const LEADERBOARD_COLUMNS = [
  'win_rate',
  'standard_error',
  'n_wins',
  'n_wins_base',
  'n_draws',
  'n_total',
  'discrete_win_rate',
  'mode',
  'avg_length',
  'length_controlled_winrate',
  'annotator',
] as const;

function csvCell(v: unknown): string {
  if (typeof v === 'number') return Number.isNaN(v) ? '' : String(v);
  const s = String(v ?? '');
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** AlpacaEval's leaderboard.csv: an unnamed index column (the model) then its metric columns;
 *  a proxy judge's label goes into the `annotator` column so the file never passes for a judge's. */
export function leaderboardCsv(s: CompareSummary): string {
  const values: Record<(typeof LEADERBOARD_COLUMNS)[number], unknown> = {
    win_rate: s.win_rate,
    standard_error: s.standard_error,
    n_wins: s.n_wins,
    n_wins_base: s.n_wins_base,
    n_draws: s.n_draws,
    n_total: s.n_total,
    discrete_win_rate: s.discrete_win_rate,
    mode: 'community',
    avg_length: s.avg_length,
    length_controlled_winrate: s.length_controlled_winrate,
    annotator: s.proxy ? `${s.judge} (${s.proxy})` : s.judge,
  };
  return `,${LEADERBOARD_COLUMNS.join(',')}\n${[s.model, ...LEADERBOARD_COLUMNS.map((c) => values[c])].map(csvCell).join(',')}\n`;
}

/** Writes annotations.json, leaderboard.csv and summary.json into dir (each atomically). */
export function writeCompare(dir: string, annotations: readonly Annotation[], summary: CompareSummary): void {
  outputDir(dir, 'output directory');
  writeJsonAtomic(join(dir, 'annotations.json'), annotations);
  writeTextFileAtomic(join(dir, 'leaderboard.csv'), leaderboardCsv(summary));
  writeJsonAtomic(join(dir, 'summary.json'), {
    ...summary,
    position_consistency: summary.position_consistency === null ? null : nanToNull(summary.position_consistency),
  });
}
