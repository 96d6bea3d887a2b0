// A conversation dataset → training examples with the chat template, truncation counted.
import type { Tokenizer } from '../tokenizer/tokenizer.ts';
import type { Example } from './batch.ts';
import { IGNORE } from './chat.ts';
import type { Dataset } from './dataset.ts';
import { type ChatTemplate, encodeWithTemplate, TULU } from './templates.ts';

export interface EncodedDataset {
  examples: Example[];
  /** Rows cut at maxLen (still used if a labelled token remains). */
  truncated: number;
  /** Per example: whether its row was cut at maxLen (so its end, and its EOS, are not in it). */
  cut: boolean[];
  /** Rows dropped because truncation left no labelled token. */
  droppedNoLabels: number;
  /** Labelled tokens in all examples. */
  labelledTokens: number;
}

/** `maxLen`: tokens of a row in all (inputs and the last target), unlike packDocuments' context;
 *  `template` (default tulu, i.e. encodeChat) picks the chat template (templates.ts). */
export function encodeDataset(
  d: Dataset,
  tok: Tokenizer,
  opts: { maxLen: number; perTurn?: boolean; template?: ChatTemplate },
): EncodedDataset {
  const examples: Example[] = [];
  const cut: boolean[] = [];
  let truncated = 0;
  let droppedNoLabels = 0;
  let labelledTokens = 0;
  for (const row of d.rows) {
    const eo = { maxLen: opts.maxLen, ...(opts.perTurn ? { perTurn: true } : {}) };
    const e = encodeWithTemplate(row, tok, opts.template ?? TULU, eo);
    if (e.truncated) truncated++;
    // labels[0] is never a target (nothing predicts the first token)
    const n = e.labels.slice(1).filter((l) => l !== IGNORE).length;
    if (n === 0) {
      droppedNoLabels++;
      continue;
    }
    labelledTokens += n;
    examples.push({ ids: e.ids, labels: e.labels });
    cut.push(e.truncated);
  }
  return { examples, truncated, cut, droppedNoLabels, labelledTokens };
}
