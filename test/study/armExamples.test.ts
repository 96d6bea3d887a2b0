// longRows: 'drop' trains only on rows that fit whole (each ends with the EOS the model must learn
// to produce); 'truncate' (open-instruct's way) keeps cut rows, whose EOS is gone.
import { describe, expect, it } from 'vitest';
import { PRESETS } from '../../src/study/config.ts';
import { armExamples } from '../../src/study/train.ts';
import { armOf } from '../../src/study/arms.ts';
import { loadPretrained } from '../../src/load/pretrained.ts';
import { projectRoot } from '../../src/util/dataRoot.ts';
import { join } from 'node:path';

const tok = loadPretrained(join(projectRoot, 'models', 'heed-base')).tokenizer!;
const ft = { ...PRESETS.default!.finetune, limaRows: 40, taskRows: 40 };

describe('armExamples', () => {
  for (const arm of ['instruction', 'response', 'single-task:poetry']) {
    it(`${arm}: drop keeps only whole rows, the first N of them; truncate keeps cut rows`, () => {
      const drop = armExamples(armOf(arm), { ...ft, longRows: 'drop' }, tok, 128).examples;
      expect(drop.length).toBe(40);
      for (const e of drop) {
        expect(e.ids.length).toBeLessThanOrEqual(128);
        expect(e.ids.at(-1)).toBe(tok.eos);
        expect(e.labels.at(-1)).toBe(tok.eos);
      }
      const cut = armExamples(armOf(arm), { ...ft, longRows: 'truncate' }, tok, 128).examples;
      expect(cut.length).toBeLessThanOrEqual(40);
      expect(cut.some((e) => e.ids.at(-1) !== tok.eos)).toBe(true);
    });
  }
});
