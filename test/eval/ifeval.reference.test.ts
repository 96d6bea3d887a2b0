// heed's IFEval checker against the official checker's results on GPT-4's responses
// (../shared/data/ifeval, see its SOURCE.md): every prompt, both modes, byte-exact output lines.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { accuracy, officialLine, readInputs, readResponses, runIfeval, type IfevalOutput } from '../../src/eval/ifeval/index.ts';
import { dataPath } from '../../src/util/dataRoot.ts';

const inputs = readInputs(dataPath('ifeval', 'input_data.jsonl'));
const responses = readResponses(dataPath('ifeval', 'input_response_data_gpt4_20231107_145030.jsonl'));
const reference = (mode: string) =>
  readFileSync(dataPath('ifeval', 'reference_eval_gpt4', `eval_results_${mode}.jsonl`), 'utf8')
    .split('\n')
    .filter(Boolean);

// The prompts where heed and the reference disagree, each explained:
// - 1122, 1129 (keywords:letter_frequency, strict): the letter is '#' / '!'. The checker version
//   that made the reference replaced any letter outside a-z by a *random* letter; current upstream
//   (and heed) counts the character given. Their reference verdicts are random draws.
// - 3456, 3572, 3617 (change_case:english_capital): all-caps lists of names / product names.
//   langdetect sees little more than their initials and answered "en" for two and not for the
//   third; heed's detector (no dependency allowed) cannot tell these apart.
const KNOWN_DIFFERENT = {
  strict: [1122, 1129, 3456, 3572, 3617],
  loose: [3456, 3572, 3617],
};
// 2785's prompt was edited upstream after GPT-4 answered, so it has no response (540 of 541 scored).
const NO_RESPONSE = [2785];
const DETERMINISTIC_REFERENCE = (key: number) => key !== 1122 && key !== 1129;

describe('IFEval against the official checker on GPT-4 responses', () => {
  const run = runIfeval(inputs, responses, { allowMissing: true });

  it('scores 540 of the 541 prompts; the one without a response is named and refused without allowMissing', () => {
    expect(inputs.length).toBe(541);
    expect(run.missing).toEqual(NO_RESPONSE);
    expect(run.strict.length).toBe(540);
    expect(() => runIfeval(inputs, responses)).toThrow(/no response for 1 prompt\(s\), keys 2785/);
  });

  for (const mode of ['strict', 'loose'] as const) {
    it(`${mode}: agrees on every prompt but the listed ones, byte for byte where it agrees, and in aggregate`, () => {
      const ref = reference(mode);
      const ours: IfevalOutput[] = run[mode];
      expect(ours.length).toBe(ref.length);
      const keyOf = new Map(inputs.map((i) => [i.prompt, i.key]));
      const different: number[] = [];
      let instructionsDifferent = 0;
      ref.forEach((line, i) => {
        const r = JSON.parse(line) as IfevalOutput;
        const o = ours[i]!;
        expect(o.prompt).toBe(r.prompt);
        expect(o.instruction_id_list).toEqual(r.instruction_id_list);
        if (officialLine(o) === line) return;
        expect(o.follow_instruction_list).not.toEqual(r.follow_instruction_list);
        instructionsDifferent += o.follow_instruction_list.filter((v, j) => v !== r.follow_instruction_list[j]).length;
        different.push(keyOf.get(o.prompt)!);
      });
      expect(different.sort((a, b) => a - b)).toEqual(KNOWN_DIFFERENT[mode]);
      expect(instructionsDifferent).toBe(KNOWN_DIFFERENT[mode].length);

      const refRows = ref.map((l) => JSON.parse(l) as IfevalOutput);
      const a = accuracy(ours);
      const b = accuracy(refRows);
      // The published numbers (SOURCE.md): strict 0.7685 / 0.8353, loose 0.7981 / 0.8570.
      expect(b.prompt).toBeCloseTo(mode === 'strict' ? 0.7685 : 0.7981, 4);
      expect(b.instruction).toBeCloseTo(mode === 'strict' ? 0.8353 : 0.857, 3);
      expect(Math.abs(a.prompt - b.prompt)).toBeLessThan(0.005);
      expect(Math.abs(a.instruction - b.instruction)).toBeLessThan(0.005);
      for (const fam of Object.keys(b.perFamily)) expect(a.perFamily[fam], fam).toBeDefined();

      // On the rows whose reference verdict is not a random draw, the aggregates agree closer still.
      const det = (rows: IfevalOutput[]) => rows.filter((o) => DETERMINISTIC_REFERENCE(keyOf.get(o.prompt)!));
      expect(Math.abs(accuracy(det(ours)).prompt - accuracy(det(refRows)).prompt)).toBeLessThan(0.006);
    });
  }

  it('the summary carries the four accuracies, the per-family breakdown and n', () => {
    const s = run.summary;
    expect(s.n).toBe(540);
    expect(s.n_instructions).toBe(run.strict.reduce((n, o) => n + o.instruction_id_list.length, 0));
    expect(s.prompt_strict).toBeCloseTo(accuracy(run.strict).prompt, 12);
    expect(s.inst_loose).toBeCloseTo(accuracy(run.loose).instruction, 12);
    expect(Object.keys(s.per_family).sort()).toEqual([
      'change_case',
      'combination',
      'detectable_content',
      'detectable_format',
      'keywords',
      'language',
      'length_constraints',
      'punctuation',
      'startend',
    ]);
    expect(s.prompt_loose).toBeGreaterThanOrEqual(s.prompt_strict);
  });
});
