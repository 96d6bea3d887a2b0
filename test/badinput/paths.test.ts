// Every kind of path given to every file or directory argument of the upper layers: each reader
// either works as documented or refuses in words naming the path (never EISDIR/ENOENT/ENOTDIR, and
// a FIFO is refused without being opened, so nothing hangs); outputs refuse a file or directory in
// the way and leave nothing half-written.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { readFormat } from '../../src/data/formats/index.ts';
import { readMessagesJsonl } from '../../src/data/messages.ts';
import { readCorpus } from '../../src/data/pretrain.ts';
import { readSeedTasks } from '../../src/data/selfInstruct.ts';
import { resolveTemplate } from '../../src/data/templates.ts';
import { readRuleWeights } from '../../src/decode/rules.ts';
import { writeCompare } from '../../src/eval/compare.ts';
import { readInputs, readResponses } from '../../src/eval/ifeval/index.ts';
import { readInstructions, readOutputs } from '../../src/eval/outputs.ts';
import { writeJsonAtomic } from '../../src/io/json.ts';
import { readAlpaca } from '../../src/eval/rank.ts';
import { collectRun } from '../../src/eval/report/collect.ts';
import { writeReport } from '../../src/eval/report/html.ts';
import { inputDir, inputFile, outputDir, outputFile, readInputText } from '../../src/io/open.ts';
import { readGGUF } from '../../src/io/gguf.ts';
import { readLlama2c } from '../../src/io/llama2c.ts';
import { readSafetensors } from '../../src/io/safetensors.ts';
import { readHFTokenizer } from '../../src/tokenizer/hf.ts';
import { readLog } from '../../src/train/progress.ts';
import { RAW_JS_TEXT, expectGoodMessage } from './corpus.ts';

const root = mkdtempSync(join(tmpdir(), 'heed-paths-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const RAW = [...RAW_JS_TEXT, 'ENOTDIR', 'EEXIST', 'EACCES', 'ENXIO'];
const MAX_MS = 5000;

// One of each kind of path, every name ending in each extension a reader may want.
const aFile = join(root, 'plain.txt');
writeFileSync(aFile, 'x');
const KINDS = ['missing', 'directory', 'fifo', 'under a file', 'empty file', 'dangling symlink', 'character device', 'empty'] as const;
type Kind = (typeof KINDS)[number];
let n = 0;
function make(kind: Kind, ext: string): string {
  const p = join(root, `k${n++}${ext}`);
  switch (kind) {
    case 'missing':
      return p;
    case 'directory':
      mkdirSync(p);
      return p;
    case 'fifo':
      execFileSync('mkfifo', [p]);
      return p;
    case 'under a file':
      return join(aFile, `x${ext}`);
    case 'empty file':
      writeFileSync(p, '');
      return p;
    case 'dangling symlink':
      symlinkSync(join(root, 'nowhere'), p);
      return p;
    case 'character device':
      return '/dev/null';
    case 'empty':
      return '';
  }
}

/** What each kind must be refused with (the empty file: each reader's own words for "nothing in it"). */
const WORDS: Record<Kind, RegExp> = {
  missing: /does not exist/,
  directory: /is a directory, not a file/,
  fifo: /is a FIFO \(named pipe\), not a file \(refused without reading it/,
  'under a file': /plain\.txt is a file, not a directory/,
  'empty file': /empty|holds no|no seed tasks|not valid JSON|ends before|must be|expected/,
  'dangling symlink': /does not exist/,
  'character device': /is a character device, not a file/,
  empty: /the path is empty/,
};

const READERS: Record<string, { ext: string; read: (p: string) => unknown }> = {
  'data (messages)': { ext: '.jsonl', read: readMessagesJsonl },
  'data (alpaca)': { ext: '.json', read: (p) => readFormat('alpaca', p) },
  'pretrain corpus': { ext: '.jsonl.gz', read: (p) => readCorpus([p]) },
  'pretrain text': { ext: '.txt', read: (p) => readCorpus([p]) },
  template: { ext: '.jinja', read: resolveTemplate },
  'model outputs': { ext: '.json', read: readOutputs },
  instructions: { ext: '.jsonl', read: readInstructions },
  'IFEval responses': { ext: '.jsonl', read: readResponses },
  'IFEval inputs': { ext: '.jsonl', read: readInputs },
  'Alpaca (rank)': { ext: '.json', read: readAlpaca },
  'rule weights': { ext: '.json', read: readRuleWeights },
  'seed tasks': { ext: '.jsonl', read: readSeedTasks },
  'training log': { ext: '.jsonl', read: readLog },
  'text input': { ext: '.txt', read: (p) => readInputText(p, '--in') },
};

function judgeRefusal(fn: () => unknown, kind: Kind, path: string): void {
  const t0 = performance.now();
  let err: unknown;
  try {
    fn();
  } catch (e) {
    err = e;
  }
  expect(performance.now() - t0).toBeLessThan(MAX_MS);
  if (err === undefined) throw new Error(`a ${kind} path was accepted`);
  const msg = expectGoodMessage(err, [path === '' ? 'path is empty' : path]);
  for (const raw of RAW) expect(msg).not.toContain(raw);
  expect(msg).toMatch(WORDS[kind]);
}

describe('every input reader x every kind of bad path', () => {
  it('property: refused in words naming the path, fast (a FIFO is never opened)', () => {
    fc.assert(
      fc.property(fc.constantFrom(...Object.keys(READERS)), fc.constantFrom(...KINDS), (name, kind) => {
        const r = READERS[name]!;
        const path = make(kind, r.ext);
        // a missing training log is an empty history (a fresh run), not an error
        if (name === 'training log' && (kind === 'missing' || kind === 'empty file')) {
          expect(readLog(path)).toEqual([]);
          return;
        }
        if (name === 'text input' && kind === 'empty file') {
          expect(readInputText(path, '--in')).toBe('');
          return;
        }
        judgeRefusal(() => r.read(path), kind, path);
      }),
      { numRuns: 150 },
    );
  });

  it('directory arguments: a file, a FIFO, a missing path or one under a file is refused', () => {
    for (const kind of ['missing', 'fifo', 'under a file', 'character device'] as const) {
      const p = make(kind, '');
      for (const read of [(x: string) => collectRun(x), (x: string) => inputDir(x, '--model-outputs')]) {
        let err: unknown;
        try {
          read(p);
        } catch (e) {
          err = e;
        }
        const msg = expectGoodMessage(err, [p]);
        if (kind !== 'missing' && kind !== 'under a file') expect(msg).toMatch(/not a directory/);
      }
    }
    expect(() => inputDir(aFile, '--out')).toThrow(`--out ${aFile}: is a file, not a directory`);
    expect(inputFile(aFile, '--in')).toBe(aFile);
  });
});

describe('the real CLI given a FIFO with no writer exits with a message instead of hanging', () => {
  it('heed data inspect FIFO, heed data convert --in FIFO, heed data convert --out existing dir', () => {
    const heed = (...args: string[]) =>
      spawnSync(process.execPath, [join(import.meta.dirname, '..', '..', 'bin', 'heed.js'), ...args], {
        encoding: 'utf8',
        timeout: 30_000,
      });
    const fifo = make('fifo', '.jsonl');
    const inspect = heed('data', 'inspect', fifo);
    expect(inspect.signal).toBeNull(); // not killed by the timeout
    expect(inspect.status).toBe(1);
    expect(inspect.stderr).toContain(`FILE ${fifo}: is a FIFO (named pipe), not a file`);
    const convert = heed('data', 'convert', '--from', 'alpaca', '--in', fifo, '--out', join(root, 'o.jsonl'));
    expect(convert.status).toBe(1);
    expect(convert.stderr).toContain(`--in ${fifo}: is a FIFO (named pipe), not a file`);
    const good = join(root, 'good.json');
    writeFileSync(good, JSON.stringify([{ instruction: 'a', input: '', output: 'b' }]));
    const toDir = heed('data', 'convert', '--from', 'alpaca', '--in', good, '--out', make('directory', ''));
    expect(toDir.status).toBe(1);
    expect(toDir.stderr).toMatch(/--out .*: is a directory, not a file/);
  }, 90_000);
});

describe('checkpoint and tokenizer files (the lower readers share the rule)', () => {
  it('a FIFO, a device or a directory given as a model or tokenizer is refused without being read', () => {
    for (const kind of ['fifo', 'character device', 'directory'] as const) {
      for (const [ext, read] of [
        ['.bin', readLlama2c],
        ['.gguf', readGGUF],
        ['.safetensors', readSafetensors],
        ['.json', readHFTokenizer],
      ] as const) {
        const p = make(kind, ext);
        let err: unknown;
        try {
          read(p);
        } catch (e) {
          err = e;
        }
        expect(expectGoodMessage(err, [p])).toMatch(kind === 'directory' ? /is a directory/ : /is a (FIFO|device)/);
      }
    }
  });
});

describe('output arguments', () => {
  it('an output directory that exists as a file, or lies under a file, is refused; nothing is written', () => {
    const ann = [{ dataset: 'd', instruction: 'i', output_1: 'a', output_2: 'b', generator_1: 'r', generator_2: 'm', preference: 2 }];
    const summary = {
      model: 'm',
      reference: 'r',
      judge: 'longest',
      win_rate: 50,
      standard_error: 1,
      length_controlled_winrate: 50,
      discrete_win_rate: 50,
      n_total: 1,
      avg_length: 1,
      position_consistency: null,
    };
    for (const [target, want] of [
      [aFile, /exists and is a file, not a directory/],
      [join(aFile, 'sub'), /plain\.txt is a file, not a directory/],
    ] as const) {
      const before = readdirSync(root).sort();
      expect(() => writeCompare(target, ann as never, summary as never)).toThrow(want);
      expect(() => writeReport([], target)).toThrow(want);
      expect(() => outputDir(target, '--out')).toThrow(`--out ${target}:`);
      expect(readdirSync(root).sort()).toEqual(before);
    }
  });

  it('an output file that is a directory, a FIFO or under a file is refused; a missing directory is created', () => {
    const dir = make('directory', '');
    expect(() => outputFile(dir, '--out')).toThrow(`--out ${dir}: is a directory, not a file`);
    const fifo = make('fifo', '.json');
    expect(() => writeJsonAtomic(fifo, [])).toThrow(/is a FIFO \(named pipe\), not a file/);
    expect(() => writeJsonAtomic(join(aFile, 'o.json'), [])).toThrow(/plain\.txt is a file, not a directory/);
    const deep = join(root, 'new', 'deeper', 'o.json');
    writeJsonAtomic(deep, [1]);
    expect(readInputText(deep, 'x')).toBe('[\n  1\n]\n');
  });
});
