// Plain pairs: {"prompt": str, "completion": str} → user: prompt, assistant: completion. An empty
// prompt is allowed (response tuning has them); an empty completion leaves nothing to learn.
import { type Row, type RowResult, isText, nonBlank } from './records.ts';

export function promptCompletionRow(r: Row): RowResult {
  if (!isText(r.prompt)) return 'no string "prompt"';
  if (!nonBlank(r.completion)) return 'no "completion" text';
  return {
    messages: [
      { role: 'user', content: r.prompt },
      { role: 'assistant', content: r.completion },
    ],
  };
}
