// File helpers: messages in words naming the path, and atomic writes of files and directories
// that leave the old state (or nothing) behind on any error.
import fs, { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { parseJson, readFileBytes, readJsonFile, readTextFile, writeDirAtomic, writeFileAtomic } from '../../src/io/files.ts';
import { JsonFields, own } from '../../src/io/jsonFields.ts';
import { tempDir } from './fixtures.ts';

const dir = tempDir();
const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
const entries = (d: string): string[] => readdirSync(d).sort();

describe('reading', () => {
  it('a directory, a missing file, bad UTF-8 and bad JSON are named and described', () => {
    const sub = join(dir, 'sub');
    mkdirSync(sub);
    expect(() => readFileBytes(sub, 'model')).toThrow(`${sub}: is a directory, expected the model (a file)`);
    expect(() => readFileBytes(join(dir, 'nope'), 'model')).toThrow(`${join(dir, 'nope')}: cannot read the model: does not exist`);
    const bad = join(dir, 'bad.txt');
    writeFileSync(bad, Uint8Array.of(0x61, 0xff));
    expect(() => readTextFile(bad, 'config')).toThrow(`${bad}:1:2: not valid UTF-8 text (byte 0xff)`);
    const trunc = join(dir, 'trunc.json');
    writeFileSync(trunc, '{"a": [1, 2');
    expect(() => readJsonFile(trunc, 'config')).toThrow(
      `${trunc}: the config is not valid JSON: the text ends before the JSON value is complete (truncated?)`,
    );
    expect(() => parseJson('{"a" 1}', 'x.json')).toThrow(/^x\.json: the file is not valid JSON: .*position 5/);
    expect(() => parseJson('', 'e.json')).toThrow('e.json: the file is not valid JSON: the text ends before the JSON value is complete');
  });

  it('JSON fields: own properties only, typed and ranged, with the source and the field path', () => {
    const j = new JsonFields('f.json');
    const o = JSON.parse('{"n": 3, "s": "x", "__proto__": 5}') as Record<string, unknown>;
    expect(own(o, 'toString')).toBeUndefined();
    expect(own(o, '__proto__')).toBe(5);
    expect(j.int(own(o, 'n'), 'n', 0, 3)).toBe(3);
    expect(() => j.int(own(o, 'n'), 'n', 0, 2)).toThrow('f.json: n must be an integer in [0, 2], got 3');
    expect(() => j.int(1.5, 'x')).toThrow('f.json: x must be an integer in [0, 9007199254740991], got 1.5');
    expect(() => j.need(o, 'toString', 'root')).toThrow('f.json: root.toString is missing');
    expect(() => j.string(own(o, 'n'), 'n')).toThrow('f.json: n must be a string, got 3');
    expect(() => j.object([], 'top')).toThrow('f.json: top must be an object, got []');
  });
});

describe('atomic writes', () => {
  afterEach(() => {
    vi.restoreAllMocks();
    syncBuiltinESMExports();
  });

  /** Writes fail with ENOSPC after `budget` bytes (a full disk). */
  function diskFullAfter(budget: number): void {
    const real = fs.writeSync as (fd: number, b: Uint8Array, o?: number, l?: number) => number;
    let used = 0;
    vi.spyOn(fs, 'writeSync').mockImplementation(((fd: number, b: Uint8Array, o?: number, l?: number) => {
      const n = l ?? b.length;
      if (used + n > budget) throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC', syscall: 'write' });
      used += n;
      return real(fd, b, o, l);
    }) as typeof fs.writeSync);
    syncBuiltinESMExports();
  }

  it('a file is replaced whole, or not at all; no temporary is left', () => {
    const d = join(dir, 'f');
    mkdirSync(d);
    const p = join(d, 'out.bin');
    writeFileAtomic(p, [enc('hello '), enc('world')]);
    expect(readFileSync(p, 'utf8')).toBe('hello world');
    diskFullAfter(3);
    expect(() => writeFileAtomic(p, [enc('new contents')])).toThrow(`${p}: cannot write: no space left on the device`);
    expect(readFileSync(p, 'utf8')).toBe('hello world');
    expect(entries(d)).toEqual(['out.bin']);
  });

  it('refuses to replace a directory with a file, and names a missing parent', () => {
    const d = join(dir, 'g');
    mkdirSync(join(d, 'x.gguf'), { recursive: true });
    expect(() => writeFileAtomic(join(d, 'x.gguf'), [enc('x')])).toThrow(
      `${join(d, 'x.gguf')}: is a directory; refusing to replace it with a file`,
    );
    expect(entries(d)).toEqual(['x.gguf']);
    const orphan = join(d, 'missing', 'y.bin');
    expect(() => writeFileAtomic(orphan, [enc('x')])).toThrow(`${orphan}: cannot write: does not exist`);
  });

  it('a directory appears complete or not at all; an old one survives a failure and is replaced on success', () => {
    const d = join(dir, 'h');
    mkdirSync(d);
    const out = join(d, 'ckpt');
    const fill = (tmp: string): string[] => {
      writeFileAtomic(join(tmp, 'a.json'), [enc('{"a":1}')]);
      writeFileAtomic(join(tmp, 'b.bin'), [new Uint8Array(100)]);
      return ['a.json', 'b.bin'];
    };
    diskFullAfter(50);
    expect(() => writeDirAtomic(out, fill)).toThrow(`${out}/b.bin: cannot write: no space left on the device`);
    expect(entries(d)).toEqual([]);
    vi.restoreAllMocks();
    syncBuiltinESMExports();

    mkdirSync(out);
    writeFileSync(join(out, 'old.txt'), 'old');
    expect(() =>
      writeDirAtomic(out, (tmp) => {
        fill(tmp);
        throw new Error(`bad input found while writing ${tmp}`);
      }),
    ).toThrow(`bad input found while writing ${out}`);
    expect(entries(out)).toEqual(['old.txt']);
    expect(entries(d)).toEqual(['ckpt']);

    expect(writeDirAtomic(out, fill)).toEqual(['a.json', 'b.bin']);
    expect(entries(out)).toEqual(['a.json', 'b.bin']);
    expect(entries(d)).toEqual(['ckpt']);
  });
});
