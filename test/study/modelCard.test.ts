// The model card reads the data licenses from SOURCE.md's sources table.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cardStoryOrder, modelCard, parseSourceLicenses } from '../../src/study/modelCard.ts';
import { WORLD_PRETRAIN } from '../../src/study/config.ts';

const MD = `# x
## Sources
| source | origin | license (as stated) | docs | MB |
|---|---|---|---|---|
| gutenberg | GitHub a/b | public domain in the USA | 1 | 2 |
| sgd | GitHub c/d | CC BY-SA 4.0 (LICENSE.txt) | 3 | 4 |
| **total** | | | **4** | **6** |

after`;

describe('model card', () => {
  it('takes source and license of every row, not the total', () => {
    expect(parseSourceLicenses(MD, 'S.md')).toEqual([
      { source: 'gutenberg', license: 'public domain in the USA' },
      { source: 'sgd', license: 'CC BY-SA 4.0 (LICENSE.txt)' },
    ]);
  });
  it('refuses a file without the table', () => {
    expect(() => parseSourceLicenses('# nothing', 'S.md')).toThrow(/S.md: no "\| source \| origin \| license \|" table/);
  });
});

describe("a world base's card", () => {
  const info = (mix?: Record<string, number>) => ({
    name: 'w',
    config: { dim: 8, nLayers: 1, nHeads: 2, nKvHeads: 2, hiddenDim: 16, vocabSize: 300, maxSeqLen: 32 } as never,
    parameters: 1,
    recipe: { ...WORLD_PRETRAIN, ...(mix ? { mix } : {}) },
    steps: 1,
    tokensSeen: 1,
    trainSequences: 1,
    heldoutSequences: 1,
    sourceMd: 'none',
    reproduce: 'x',
  });
  it('states the corpus mix it was pretrained on: the default shares, or the recipe own with the rest kept', () => {
    const { mix: _, ...noMix } = WORLD_PRETRAIN;
    expect(modelCard({ ...info(), recipe: noMix })).toContain(
      '| corpus mix (token shares) | story 15%, pair 35%, title 8%, summary 10%, worksheet 7%, facts 15%, qa 10%, drill 0%, recall 0% |',
    );
    expect(modelCard(info())).toContain(
      '| corpus mix (token shares) | story 3%, pair 45%, title 3%, summary 8%, worksheet 5%, facts 10%, qa 8%, drill 18%, recall 0% |',
    );
    expect(modelCard(info({ story: 0.05, pair: 0.45 }))).toContain('| story 5%, pair 45%, title 8%');
  });
  it('names the copy windows a recipe trains beside its corpus, and nothing of them when it has none', () => {
    expect(modelCard(info())).not.toContain('copy windows');
    const card = modelCard({ ...info(), recipe: { ...WORLD_PRETRAIN, copyWindows: { docs: 30000, context: 32, batchSize: 32 } } });
    expect(card).toContain('| copy windows | 30000 documents of six copy lines');
    expect(card).toContain('packed into windows of 32 tokens; a batch of 32 of them in every step');
  });
  it("says when its stories were told in the 'planned' order, and nothing of the order otherwise", () => {
    expect(modelCard(info())).not.toContain('| stories |');
    expect(modelCard({ ...info(), stories: 'shuffled' as const })).not.toContain('| stories |');
    expect(modelCard({ ...info(), stories: 'planned' as const })).toContain('| stories | planned: one plan for every story');
    // the study reads the order back from the card it wrote
    const dir = mkdtempSync(join(tmpdir(), 'heed-card-'));
    for (const stories of ['planned', 'shuffled'] as const) {
      writeFileSync(join(dir, 'README.md'), modelCard({ ...info(), stories }));
      expect(cardStoryOrder(dir)).toBe(stories);
    }
  });
});
