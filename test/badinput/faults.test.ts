// Faults that must not lose work: a torn last line in an append-only JSONL log (power loss) is cut
// off and reported, and --resume goes on; a kill in the middle of an atomic write leaves litter that
// the next write settles (only names our own writes make, of processes that are gone); a study's
// stage records hold paths relative to their directory, so a study moved elsewhere resumes.
import { spawn } from 'node:child_process';
import { appendFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { run as trainCli } from '../../src/cli/train.ts';
import { microConfigJson } from '../helpers/microModel.ts';
import { readAppendLog } from '../../src/io/appendLog.ts';
import { settleAtomicLeftovers, writeDirAtomic, writeTextAtomic } from '../../src/io/files.ts';
import { isCached, runStage, stageKey } from '../../src/study/stage.ts';
import { type LogRecord, readLog } from '../../src/train/progress.ts';
import { dataPath } from '../../src/util/dataRoot.ts';
import { expectGoodMessage } from './corpus.ts';

const root = mkdtempSync(join(tmpdir(), 'heed-faults-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
const fresh = (name: string): string => {
  const d = join(root, `${n++}-${name}`);
  mkdirSync(d, { recursive: true });
  return d;
};

const stepRec = (step: number): LogRecord => ({
  kind: 'step',
  step,
  totalSteps: 99,
  epoch: 0,
  loss: 2.5 - step / 100,
  lr: 1e-3,
  gradNorm: 0.5,
  tokens: 40,
  tokPerSec: 1000,
  elapsedSec: step,
  etaSec: 99 - step,
});
const evalRec = (step: number): LogRecord => ({ kind: 'eval', step, evalLoss: 2.25, evalTokens: 80 });

describe('torn last line of an append-only JSONL log', () => {
  it('property: any complete records + any torn tail: the records are read, the tail cut off and reported', () => {
    const torn = fc.oneof(
      fc
        .uint8Array({ minLength: 1, maxLength: 60 })
        .map((b) => b.filter((x) => x !== 0x0a))
        .filter((b) => b.length > 0),
      fc
        .constantFrom('{"kind":"step","st', '{"kind":"eval","step":3,"evalLoss":2.2,"evalTokens":80}', '\0\0\0\0', '{', '\u00e9')
        .map((s) => new TextEncoder().encode(s)),
    );
    fc.assert(
      fc.property(fc.array(fc.boolean(), { maxLength: 12 }), fc.option(torn, { nil: undefined }), (kinds, tail) => {
        const recs = kinds.map((isStep, i) => (isStep ? stepRec(i + 1) : evalRec(i + 1)));
        const path = join(fresh('log'), 'log.jsonl');
        const good = recs.map((r) => `${JSON.stringify(r)}\n`).join('');
        writeFileSync(path, good);
        if (tail) appendFileSync(path, tail);
        const notes: string[] = [];
        expect(readLog(path, Infinity, (m) => notes.push(m))).toEqual(recs);
        expect(readFileSync(path, 'utf8')).toBe(good);
        if (tail)
          expect(notes).toEqual([
            expect.stringMatching(
              new RegExp(`^${path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: removed a torn last line \\(${tail.length} bytes`),
            ),
          ]);
        else expect(notes).toEqual([]);
      }),
      { numRuns: 60 },
    );
  });

  it('a bad line before the last, or a record of the wrong shape, is refused naming file:line and field', () => {
    const path = join(fresh('log'), 'log.jsonl');
    const lines = [stepRec(1), stepRec(2)].map((r) => JSON.stringify(r));
    const cases: [string, RegExp][] = [
      [`${lines[0]}\n{"kind":"st\n${lines[1]}\n`, /log\.jsonl:2: the training log line is not valid JSON/],
      [`${lines[0]}\nnull\n`, /log\.jsonl:2: the value must be an object, got null/],
      [
        `${lines[0]}\n{"kind":"eval","step":2,"evalLoss":null,"evalTokens":3}\n`,
        /log\.jsonl:2: evalLoss must be a finite number, got null/,
      ],
      [`${lines[0]}\n{"kind":"toString","step":2}\n`, /log\.jsonl:2: kind must be one of "step", "eval", got "toString"/],
      [`{"kind":"step"}\n`, /log\.jsonl:1: step is missing/],
      [`${lines[0]}\n\u00ff\n`, /log\.jsonl:2:1: not valid UTF-8 text \(byte 0xff\)/],
    ];
    for (const [text, want] of cases) {
      writeFileSync(path, text === cases[5]![0] ? Buffer.from(`${lines[0]}\n\xff\n`, 'latin1') : text);
      let err: unknown;
      try {
        readLog(path);
      } catch (e) {
        err = e;
      }
      expect(expectGoodMessage(err, [path])).toMatch(want);
    }
  });

  it('a missing log has no records; a log that is a directory or a FIFO is refused in words', () => {
    const d = fresh('log');
    expect(readAppendLog(join(d, 'none.jsonl'), 'training log').records).toEqual([]);
    mkdirSync(join(d, 'dir.jsonl'));
    expect(() => readLog(join(d, 'dir.jsonl'))).toThrow(/dir\.jsonl: is a directory, not a file/);
  });

  it('heed train --resume after power loss tore the log: repaired, said so, and the run goes on', async () => {
    const d = fresh('train');
    const configPath = join(d, 'config.json');
    writeFileSync(configPath, microConfigJson(64));
    const chat = join(d, 'chat.jsonl');
    writeFileSync(
      chat,
      Array.from({ length: 8 }, (_, i) =>
        JSON.stringify({
          messages: [
            { role: 'user', content: `Count to ${i}` },
            { role: 'assistant', content: `One two ${i}` },
          ],
        }),
      ).join('\n'),
    );
    const args = [
      '--mode',
      'response',
      '--data',
      chat,
      '--out',
      join(d, 'out'),
      '--max-steps',
      '2',
      '--heldout',
      '2',
      '--config',
      configPath,
      '--tokenizer',
      dataPath('llama2c-stories260K', 'tok512.bin'),
      '--backend',
      'cpu',
      '--seq-len',
      '32',
      '--batch-size',
      '2',
    ];
    const err: string[] = [];
    const spy = vi.spyOn(process.stderr, 'write').mockImplementation((s) => (err.push(String(s)), true));
    try {
      expect(await trainCli(args)).toBe(0);
      const log = join(d, 'out', 'log.jsonl');
      const before = readFileSync(log, 'utf8');
      appendFileSync(log, '{"kind":"step","step":3,"totalSteps":2,"loss":1.2');
      expect(await trainCli([...args, '--resume'])).toBe(0);
      expect(readFileSync(log, 'utf8')).toBe(before);
      expect(err.join('')).toContain(`${log}: removed a torn last line`);
    } finally {
      spy.mockRestore();
    }
  });
});

const TMP_NAME = /^\.checkpoint\.(tmp|old)-\d+-/;

describe('temporaries of interrupted atomic writes', () => {
  it('property: only our own names of processes that are gone are settled; anything else stays', () => {
    const deadPid = 2 ** 22 + 17; // above Linux's pid_max default, so never a live process
    const livePid = process.ppid;
    const name = fc.oneof(
      fc
        .constantFrom(`.checkpoint.tmp-${deadPid}-abc-0`, `.checkpoint.tmp-${process.pid}-k2-5`, `.checkpoint.old-${deadPid}-abc-1`)
        .map((n) => ({ n, settled: true })),
      fc
        .constantFrom(
          `.checkpoint.tmp-${livePid}-abc-0`,
          '.checkpoint.tmp-x',
          'checkpoint.tmp-1-a-0',
          '.checkpointx.tmp-1-a-0',
          '.other.tmp-1-a-0',
          `.checkpoint.tmp-${deadPid}-ABC-0`,
          `.checkpoint.tmp-${deadPid}-abc-0.keep`,
          '.checkpoint.junk-1-a-0',
          'notes.txt',
        )
        .map((n) => ({ n, settled: false })),
    );
    fc.assert(
      fc.property(
        fc.uniqueArray(name, { selector: (x) => x.n, maxLength: 6 }),
        fc.boolean(),
        fc.boolean(),
        (entries, asDirs, hadCheckpoint) => {
          const d = fresh('settle');
          const ck = join(d, 'checkpoint');
          if (hadCheckpoint) {
            mkdirSync(ck);
            writeFileSync(join(ck, 'v'), 'current');
          }
          for (const { n } of entries) {
            if (asDirs) {
              mkdirSync(join(d, n));
              writeFileSync(join(d, n, 'v'), n);
            } else writeFileSync(join(d, n), n);
          }
          writeDirAtomic(ck, (tmp) => writeFileSync(join(tmp, 'v'), 'new'));
          const left = readdirSync(d).sort();
          const want = ['checkpoint', ...entries.filter((e) => !e.settled).map((e) => e.n)].sort();
          expect(left).toEqual(want);
          expect(readFileSync(join(ck, 'v'), 'utf8')).toBe('new');
        },
      ),
      { numRuns: 60 },
    );
  });

  it('a write killed between its two renames: the previous version is put back before anything reads it', () => {
    const d = fresh('old');
    const ck = join(d, 'checkpoint');
    mkdirSync(join(d, '.checkpoint.old-4194321-a-0'));
    writeFileSync(join(d, '.checkpoint.old-4194321-a-0', 'v'), 'previous');
    mkdirSync(join(d, '.checkpoint.tmp-4194321-a-1'));
    expect(settleAtomicLeftovers(ck)).toEqual([
      expect.stringContaining('restored the previous version'),
      expect.stringContaining('removed .checkpoint.tmp-4194321-a-1'),
    ]);
    expect(readFileSync(join(ck, 'v'), 'utf8')).toBe('previous');
    expect(readdirSync(d)).toEqual(['checkpoint']);
  });

  it('three kill -9 mid-write, then the next write: no litter, and the directory is a whole version', async () => {
    const d = fresh('kill');
    const ck = join(d, 'checkpoint');
    const script = join(d, 'writer.ts');
    // writes a 4-file directory atomically, over and over, until killed; with "hang", the second
    // write stops inside its temporary directory (so the kill surely lands mid-write)
    writeFileSync(
      script,
      [
        "import { writeFileSync } from 'node:fs';",
        "import { join } from 'node:path';",
        `import { writeDirAtomic } from ${JSON.stringify(resolve('src/io/files.ts'))};`,
        "const big = 'x'.repeat(1 << 20);",
        'const hang = process.argv[2] === "hang";',
        `for (let i = 0; ; i++) writeDirAtomic(${JSON.stringify(ck)}, (t) => {`,
        "  for (const f of ['a', 'b', 'c', 'd']) writeFileSync(join(t, f), String(i) + big);",
        "  if (i === (hang ? 1 : 0)) process.stdout.write('go\\n');",
        '  if (hang && i === 1) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0);',
        '});',
      ].join('\n'),
    );
    for (let k = 0; k < 3; k++) {
      const child = spawn(process.execPath, ['--import', 'tsx', script, k === 2 ? 'hang' : 'run'], {
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      await new Promise<void>((res) => child.stdout.once('data', () => res()));
      if (k < 2) await new Promise((r) => setTimeout(r, 20 + 37 * k));
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGKILL');
      await exited;
    }
    expect(readdirSync(d).filter((x) => TMP_NAME.test(x)).length).toBeGreaterThan(0); // the kills did leave litter
    writeTextAtomic(join(d, 'other.txt'), 'x'); // an unrelated write settles nothing of checkpoint's
    expect(readdirSync(d).filter((x) => TMP_NAME.test(x)).length).toBeGreaterThan(0);
    writeDirAtomic(ck, (t) => writeFileSync(join(t, 'a'), 'final'));
    expect(readdirSync(d).filter((x) => TMP_NAME.test(x))).toEqual([]);
    expect(readFileSync(join(ck, 'a'), 'utf8')).toBe('final');
  }, 60_000);
});

describe('a study directory moved elsewhere resumes from its stage records', () => {
  it('paths inside the stage directory come back under the new location; others stay as they were', async () => {
    const a = join(fresh('study'), 'study');
    const key = stageKey('base', { n: 1 });
    const stageDir = join(a, 'base');
    const result = {
      modelDir: join(stageDir, 'model'),
      nested: [{ p: join(stageDir, 'x', 'y.json') }],
      self: stageDir,
      given: '/elsewhere/model',
      label: 'a/b (given)',
      n: 3,
    };
    expect((await runStage(stageDir, key, async () => result)).status).toBe('ran');
    expect(readFileSync(join(stageDir, 'stage.json'), 'utf8')).not.toContain(root);
    const b = join(fresh('moved'), 'copy');
    renameSync(a, b);
    const moved = join(b, 'base');
    expect(isCached(moved, key)).toBe(true);
    const r = await runStage(moved, key, async () => {
      throw new Error('must not rerun');
    });
    expect(r.status).toBe('cached');
    expect(r.result).toEqual({
      modelDir: join(moved, 'model'),
      nested: [{ p: join(moved, 'x', 'y.json') }],
      self: join(moved, '.'),
      given: '/elsewhere/model',
      label: 'a/b (given)',
      n: 3,
    });
    expect(existsSync(join(a))).toBe(false);
  });

  it('a study --out that is a file is refused in words before a stage runs', async () => {
    const f = join(fresh('file'), 'study');
    writeFileSync(f, 'not a directory');
    await expect(runStage(join(f, 'base'), stageKey('base', {}), async () => 'ran')).rejects.toThrow(
      `study stage directory ${join(f, 'base')}: cannot be created: ${f} is a file, not a directory`,
    );
  });
});
