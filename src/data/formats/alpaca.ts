// Alpaca rows: {"instruction": str, "input"?: str, "output": str} → user: instruction (+ "\n\n" +
// input when the input is not blank), assistant: output. The parts are kept for the alpaca template.
import { type Row, type RowResult, isText, joinInput, nonBlank } from './records.ts';

export function alpacaRow(r: Row): RowResult {
  if (!nonBlank(r.instruction)) return 'no "instruction" text';
  if (r.input !== undefined && r.input !== null && !isText(r.input)) return '"input" is not a string';
  if (!nonBlank(r.output)) return 'no "output" text';
  const input = isText(r.input) ? r.input : '';
  return {
    messages: [
      { role: 'user', content: joinInput(r.instruction, input) },
      { role: 'assistant', content: r.output },
    ],
    fields: { instruction: r.instruction, input },
    dataset: 'alpaca',
  };
}
