// `heed data inspect`: what a dataset holds, and what a tokenizer and --seq-len would make of it.
import type { Tokenizer } from '../../tokenizer/tokenizer.ts';
import { IGNORE } from '../chat.ts';
import type { Dataset } from '../dataset.ts';
import { type ChatTemplate, TULU, encodeWithTemplate } from '../templates.ts';

export interface Spread {
  min: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  mean: number;
}

/** Nearest-rank percentiles (the smallest value with at least p% of the values at or below it). */
export function spread(values: readonly number[]): Spread {
  if (values.length === 0) throw new Error('spread of no values');
  const s = [...values].sort((a, b) => a - b);
  const at = (p: number) => s[Math.max(0, Math.ceil((p / 100) * s.length) - 1)]!;
  return { min: s[0]!, p50: at(50), p90: at(90), p99: at(99), max: s.at(-1)!, mean: s.reduce((a, b) => a + b, 0) / s.length };
}

export interface Inspection {
  rows: number;
  skipped: number;
  /** Rows by number of assistant turns. */
  assistantTurns: Map<number, number>;
  withSystem: number;
  userChars: Spread;
  assistantChars: Spread;
  tokens?: {
    template: string;
    lengths: Spread;
    /** With seqLen: rows longer than it, tokens cut, rows left with no learned token. */
    seqLen?: number;
    truncated?: number;
    tokensCut?: number;
    noLabelsLeft?: number;
  };
}

export function inspectDataset(d: Dataset, opts: { tok?: Tokenizer; template?: ChatTemplate; seqLen?: number } = {}): Inspection {
  if (d.rows.length === 0) throw new Error(`${d.source}: no usable rows (${d.skipped.count} skipped)`);
  const assistantTurns = new Map<number, number>();
  const userChars: number[] = [];
  const assistantChars: number[] = [];
  let withSystem = 0;
  for (const r of d.rows) {
    const a = r.messages.filter((m) => m.role === 'assistant');
    assistantTurns.set(a.length, (assistantTurns.get(a.length) ?? 0) + 1);
    if (r.messages.some((m) => m.role === 'system')) withSystem++;
    for (const m of r.messages) if (m.role === 'user') userChars.push(m.content.length);
    for (const m of a) assistantChars.push(m.content.length);
  }
  const out: Inspection = {
    rows: d.rows.length,
    skipped: d.skipped.count,
    assistantTurns: new Map([...assistantTurns].sort((x, y) => x[0] - y[0])),
    withSystem,
    userChars: spread(userChars.length ? userChars : [0]),
    assistantChars: spread(assistantChars),
  };
  if (opts.tok) {
    const t = opts.template ?? TULU;
    const lengths: number[] = [];
    let truncated = 0;
    let tokensCut = 0;
    let noLabelsLeft = 0;
    for (const r of d.rows) {
      const full = encodeWithTemplate(r, opts.tok, t);
      lengths.push(full.ids.length);
      if (opts.seqLen !== undefined && full.ids.length > opts.seqLen) {
        truncated++;
        tokensCut += full.ids.length - opts.seqLen;
        const cut = encodeWithTemplate(r, opts.tok, t, { maxLen: opts.seqLen });
        if (!cut.labels.slice(1).some((l) => l !== IGNORE)) noLabelsLeft++;
      }
    }
    out.tokens = {
      template: t.name,
      lengths: spread(lengths),
      ...(opts.seqLen !== undefined ? { seqLen: opts.seqLen, truncated, tokensCut, noLabelsLeft } : {}),
    };
  }
  return out;
}
