// The model card reads the data licenses from SOURCE.md's sources table.
import { describe, expect, it } from 'vitest';
import { parseSourceLicenses } from '../../src/study/modelCard.ts';

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
