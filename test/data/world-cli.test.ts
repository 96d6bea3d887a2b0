// `heed data world` as the real CLI runs it: the files, byte-identical reruns, another seed, and
// refusals (bad mix, an --out that is not an earlier output).
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseMessagesJsonl } from '../../src/data/messages.ts';
import { readCorpus } from '../../src/data/pretrain.ts';
import { CHAT_TAGS } from '../../src/data/world/corpus.ts';
import { projectRoot } from '../../src/util/dataRoot.ts';
import { helpFor } from '../../src/cli/data.ts';
import { run } from '../../src/cli/data-world.ts';

const heed = (...args: string[]) =>
  spawnSync(process.execPath, [join(projectRoot, 'bin', 'heed.js'), ...args], { cwd: projectRoot, encoding: 'utf8' });
const small = ['--tokens', '20000', '--instruction', '60', '--single', '30', '--eval-per-group', '10'];
const files = (dir: string) =>
  Object.fromEntries(
    readdirSync(dir)
      .sort()
      .map((f) => [f, readFileSync(join(dir, f), 'utf8')]),
  );

describe('heed data world', () => {
  const root = mkdtempSync(join(tmpdir(), 'heed-world-'));
  const a = join(root, 'a');
  const first = heed('data', 'world', '--out', a, ...small);

  it('writes the corpus, the sets and a manifest, readable by heed train', () => {
    expect(first.stderr).toMatch(/wrote .*: corpus \d+ documents, \d+ tokens/);
    expect(first.status).toBe(0);
    expect(readdirSync(a).sort()).toEqual([
      'corpus-heldout.jsonl',
      'corpus.jsonl',
      'eval.jsonl',
      'instruction.jsonl',
      'manifest.json',
      'response.jsonl',
      'single-about.jsonl',
      'single-fact.jsonl',
      'world.json',
    ]);
    expect(readdirSync(root)).toEqual(['a']); // no temporary left beside it
    const corpus = readCorpus([join(a, 'corpus.jsonl')]);
    expect(corpus.skipped.count).toBe(0);
    expect(corpus.docs.length).toBeGreaterThan(100);
    for (const tag of CHAT_TAGS) expect(readFileSync(join(a, 'corpus.jsonl'), 'utf8').includes(tag)).toBe(false);
    for (const f of ['instruction', 'response', 'single-fact', 'single-about']) {
      const d = parseMessagesJsonl(readFileSync(join(a, `${f}.jsonl`), 'utf8'), f);
      expect(d.skipped.count, f).toBe(0);
      expect(d.rows.length, f).toBe(f === 'instruction' || f === 'response' ? 60 : 30);
    }
    const m = JSON.parse(readFileSync(join(a, 'manifest.json'), 'utf8'));
    expect(m.seed).toBe(0);
    expect(m.corpus.tokens).toBeGreaterThanOrEqual(20000);
    expect(m.sets.eval['held-out-type']).toBe(10);
    expect(m.heldOut.types).toEqual(['closing', 'length', 'species']);
    const evalRows = readFileSync(join(a, 'eval.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(evalRows).toHaveLength(40);
    expect(evalRows[0].messages).toEqual([{ role: 'user', content: evalRows[0].request.text }]);
  });

  it('same seed: byte-identical files; another seed: other files', () => {
    const b = join(root, 'b');
    expect(heed('data', 'world', '--out', b, ...small).status).toBe(0);
    expect(files(b)).toEqual(files(a));
    const c = join(root, 'c');
    expect(heed('data', 'world', '--out', c, '--seed', '1', ...small).status).toBe(0);
    expect(files(c)['corpus.jsonl']).not.toBe(files(a)['corpus.jsonl']);
    expect(files(c)['instruction.jsonl']).not.toBe(files(a)['instruction.jsonl']);
    // the planned story order: the same requests, other stories, said in the manifest
    const d = join(root, 'd');
    expect(heed('data', 'world', '--out', d, '--stories', 'planned', ...small).status).toBe(0);
    expect(JSON.parse(files(d)['manifest.json']!).stories).toBe('planned');
    expect(JSON.parse(files(a)['manifest.json']!).stories).toBeUndefined(); // shuffled: the manifest as before the option
    const requests = (dir: string) =>
      files(dir)
        ['eval.jsonl']!.split('\n')
        .map((l) => l && JSON.parse(l).request.text);
    expect(requests(d)).toEqual(requests(a));
    expect(files(d)['instruction.jsonl']).not.toBe(files(a)['instruction.jsonl']);
  });

  it('refuses a bad mix, a bad number, and an --out that is not an earlier output', async () => {
    await expect(run(['--out', join(root, 'x'), '--mix', 'story=0.9'])).rejects.toThrow('--mix: corpus mix: the shares must sum to 1');
    await expect(run(['--out', join(root, 'x'), '--mix', 'poems=1'])).rejects.toThrow('unknown kind "poems"');
    await expect(run(['--out', join(root, 'x'), '--tokens', '0'])).rejects.toThrow('--tokens must be a whole number >= 1, got "0"');
    await expect(run(['--out', join(root, 'x'), '--stories', 'sorted'])).rejects.toThrow(
      '--stories must be one of shuffled, planned, got "sorted"',
    );
    await expect(run([])).rejects.toThrow('--out DIR is required');
    const busy = join(root, 'busy');
    mkdirSync(busy);
    writeFileSync(join(busy, 'notes.txt'), 'mine');
    await expect(run(['--out', busy, ...small])).rejects.toThrow('not an earlier `heed data world` output');
    expect(readdirSync(busy)).toEqual(['notes.txt']);
    expect(helpFor(['world'])).toContain('Usage: heed data world --out DIR');
    expect(helpFor([])).toContain('world      the story world');
  });
});
