// Cache keys: a changed input reruns its stage and every stage downstream of it, nothing else;
// an unfinished stage with the same key resumes in place; a different key starts from scratch.
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isCached, runStage, stableJson, stageKey } from '../../src/study/stage.ts';

/** A four-stage graph: a -> b -> c, and a -> d. Returns which stages ran. */
async function runGraph(root: string, inputs: { a: number; b: number; c: number; d: number }): Promise<string[]> {
  const ran: string[] = [];
  const ka = stageKey('a', { x: inputs.a });
  const kb = stageKey('b', { x: inputs.b }, [ka]);
  const kc = stageKey('c', { x: inputs.c }, [kb]);
  const kd = stageKey('d', { x: inputs.d }, [ka]);
  for (const [name, key] of [
    ['a', ka],
    ['b', kb],
    ['c', kc],
    ['d', kd],
  ] as const) {
    const r = await runStage(join(root, name), key, async () => `${name}-result`);
    if (r.status !== 'cached') ran.push(name);
    expect(r.result).toBe(`${name}-result`);
  }
  return ran;
}

describe('study stage cache', () => {
  it('keys ignore object key order but not values or upstream keys', () => {
    expect(stableJson({ b: 1, a: [1, { d: 2, c: 3 }] })).toBe('{"a":[1,{"c":3,"d":2}],"b":1}');
    expect(stageKey('s', { a: 1, b: 2 })).toBe(stageKey('s', { b: 2, a: 1 }));
    expect(stageKey('s', { a: 1 })).not.toBe(stageKey('s', { a: 2 }));
    expect(stageKey('s', { a: 1 }, ['u1'])).not.toBe(stageKey('s', { a: 1 }, ['u2']));
    expect(stageKey('s', { a: 1 })).not.toBe(stageKey('t', { a: 1 }));
    expect(() => stableJson({ a: NaN })).toThrow(/no JSON form/);
  });

  it('a changed input reruns only the stages downstream of it', async () => {
    const root = mkdtempSync(join(tmpdir(), 'heed-stage-'));
    const base = { a: 1, b: 1, c: 1, d: 1 };
    expect(await runGraph(root, base)).toEqual(['a', 'b', 'c', 'd']);
    expect(await runGraph(root, base)).toEqual([]);
    expect(await runGraph(root, { ...base, b: 2 })).toEqual(['b', 'c']);
    expect(await runGraph(root, { ...base, b: 2, c: 5 })).toEqual(['c']);
    expect(await runGraph(root, { ...base, b: 2, c: 5, d: 3 })).toEqual(['d']);
    expect(await runGraph(root, { a: 9, b: 2, c: 5, d: 3 })).toEqual(['a', 'b', 'c', 'd']);
  });

  it('resumes an unfinished stage in place and clears a stale one', async () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'heed-stage-')), 's');
    const key = stageKey('s', { n: 1 });
    // a run that dies after writing part of its output
    await expect(
      runStage(dir, key, async (d) => {
        writeFileSync(join(d, 'partial.txt'), 'row 1\n');
        throw new Error('interrupted');
      }),
    ).rejects.toThrow('interrupted');
    expect(isCached(dir, key)).toBe(false);
    const resumed = await runStage(dir, key, async (d, resuming) => {
      expect(resuming).toBe(true);
      return `${readFileSync(join(d, 'partial.txt'), 'utf8')}row 2\n`;
    });
    expect(resumed).toEqual({ result: 'row 1\nrow 2\n', status: 'resumed', key });
    expect(isCached(dir, key)).toBe(true);
    // a different key: the old directory's files are gone before the stage runs
    const other = stageKey('s', { n: 2 });
    const fresh = await runStage(dir, other, async (d, resuming) => {
      expect(resuming).toBe(false);
      return existsSync(join(d, 'partial.txt'));
    });
    expect(fresh).toEqual({ result: false, status: 'ran', key: other });
    expect(isCached(dir, key)).toBe(false);
  });
});
