// databricks-dolly-15k rows: {"instruction", "context", "response", "category"} → user: instruction
// (+ "\n\n" + context when not blank), assistant: response; the category names the dataset
// (the dataset-name template's {dataset}).
import { type Row, type RowResult, isText, joinInput, nonBlank } from './records.ts';

export function dollyRow(r: Row): RowResult {
  if (!nonBlank(r.instruction)) return 'no "instruction" text';
  if (r.context !== undefined && r.context !== null && !isText(r.context)) return '"context" is not a string';
  if (!nonBlank(r.response)) return 'no "response" text';
  if (!nonBlank(r.category)) return 'no "category"';
  const input = isText(r.context) ? r.context : '';
  return {
    messages: [
      { role: 'user', content: joinInput(r.instruction, input) },
      { role: 'assistant', content: r.response },
    ],
    fields: { instruction: r.instruction, input },
    dataset: r.category,
  };
}
