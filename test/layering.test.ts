// The layer order of src/, checked over the import graph: a file may import its own layer, any
// lower layer, and the exceptions listed in ALSO; never a higher layer or a sibling of the same
// rank. Type-only and dynamic imports count too (a type is a dependency all the same).
//
//   core ← backend ← ops ← nn ← io/tokenizer ← load ← data/train/decode/eval/serve ← study ← cli
//
// util is importable by all and imports nothing of src; index.ts is the public barrel (imports
// anything, imported by nothing in src); only the CLI reaches out of src/ (into bench/). A new directory under src/ fails until it is ranked here.
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

/** Layer ranks: higher may import lower. Edit here when a layer is added. */
export const RANK: Record<string, number> = {
  util: 0,
  core: 1,
  backend: 2,
  ops: 3,
  nn: 4,
  io: 5,
  tokenizer: 5,
  load: 6,
  data: 7,
  train: 7,
  decode: 7,
  eval: 7,
  serve: 7,
  study: 8,
  cli: 9,
};

/** Imports between layers of the same rank (or against the order) that are allowed. */
export const ALSO: Record<string, string[]> = {
  // tokenizer files are read with io's file and JSON-field helpers (io never imports tokenizer)
  tokenizer: ['io'],
  eval: ['decode', 'data'],
  train: ['data'],
  serve: ['decode', 'data'],
};

/** Files placed in another layer than their directory's. The backend contract (interfaces
 *  only, plus the grid helper) sits with core: core's Tensor holds a Storage and launches a
 *  Kernel, and every backend implements it. */
export const FILE_LAYER: Record<string, string> = {
  'backend/backend.ts': 'core',
};

/** Layers that may reach outside src/, and where: the CLI runs the benchmarks in bench/. */
export const OUTSIDE: Record<string, string[]> = {
  cli: ['bench'],
};

const SRC = resolve(import.meta.dirname, '..', 'src');

function tsFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name);
    if (e.isDirectory()) return tsFiles(p);
    return e.name.endsWith('.ts') ? [p] : [];
  });
}

/** Relative specifiers of every static import/export-from and dynamic import() in the source. */
export function importSpecifiers(code: string): string[] {
  const noComments = code.replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');
  const out: string[] = [];
  const re =
    /(?:\bimport|\bexport)\b[^;'"`]*?\bfrom\s*['"]([^'"]+)['"]|\bimport\s*\(\s*['"]([^'"]+)['"]\s*\)|^\s*import\s+['"]([^'"]+)['"]/gm;
  for (const m of noComments.matchAll(re)) out.push((m[1] ?? m[2] ?? m[3])!);
  return out;
}

/** The layer of a path relative to src/ ('index' for the barrel). */
export function layerOf(rel: string): string {
  if (FILE_LAYER[rel]) return FILE_LAYER[rel];
  if (rel === 'index.ts') return 'index';
  const top = rel.split('/')[0]!;
  return rel.includes('/') ? top : `(file ${top} at the top of src)`;
}

/** Why `from` may not import `to`, or null when it may. */
export function violation(from: string, to: string): string | null {
  if (from === 'index') return null;
  if (to === 'index') return 'index.ts is the public barrel; import the module itself';
  for (const l of [from, to]) if (RANK[l] === undefined) return `layer "${l}" has no rank: add it to RANK in test/layering.test.ts`;
  if (from === to || RANK[to]! < RANK[from]! || ALSO[from]?.includes(to)) return null;
  return RANK[to] === RANK[from]
    ? `${from} and ${to} are siblings (add to ALSO if intended)`
    : `${from} (rank ${RANK[from]}) imports the higher layer ${to} (rank ${RANK[to]})`;
}

describe('layering of src/', () => {
  it('finds static, type-only, re-export and dynamic imports, not commented ones', () => {
    const code = [
      "import { a } from '../ops/x.ts';",
      "import type { B } from '../nn/y.ts';",
      "export { c } from './z.ts';",
      "export * from '../io/w.ts';",
      "const m = await import('../decode/v.ts');",
      "import '../util/side.ts';",
      "import {\n  d,\n  e,\n} from '../core/multi.ts';",
      "// import { no } from '../cli/commented.ts';",
      "/* import { no } from '../cli/block.ts'; */",
      "const s = 'from nowhere';",
    ].join('\n');
    expect(importSpecifiers(code).sort()).toEqual(
      ['../core/multi.ts', '../decode/v.ts', '../io/w.ts', '../nn/y.ts', '../ops/x.ts', '../util/side.ts', './z.ts'].sort(),
    );
  });

  it('the rule: down is allowed, up and siblings are refused unless listed', () => {
    expect(violation('ops', 'core')).toBeNull();
    expect(violation('ops', 'util')).toBeNull();
    expect(violation('cli', 'load')).toBeNull();
    expect(violation('eval', 'decode')).toBeNull();
    expect(violation('train', 'data')).toBeNull();
    expect(violation('backend', 'ops')).toMatch(/higher layer ops/);
    expect(violation('ops', 'nn')).toMatch(/higher layer nn/);
    expect(violation('util', 'core')).toMatch(/higher layer core/);
    expect(violation('io', 'tokenizer')).toMatch(/siblings/);
    expect(violation('tokenizer', 'io')).toBeNull();
    expect(violation('decode', 'eval')).toMatch(/siblings/);
    expect(violation('data', 'train')).toMatch(/siblings/);
    expect(violation('nn', 'index')).toMatch(/barrel/);
    expect(violation('index', 'cli')).toBeNull();
    expect(violation('adapters', 'core')).toMatch(/no rank/);
    expect(layerOf('backend/backend.ts')).toBe('core');
    expect(layerOf('backend/webgpu/webgpu.ts')).toBe('backend');
    expect(layerOf('index.ts')).toBe('index');
  });

  it('every import in src/ follows the order', () => {
    const files = tsFiles(SRC);
    expect(files.length).toBeGreaterThan(30);
    const bad: string[] = [];
    let edges = 0;
    for (const f of files) {
      const rel = relative(SRC, f).split('\\').join('/');
      for (const spec of importSpecifiers(readFileSync(f, 'utf8'))) {
        if (!spec.startsWith('.')) continue; // packages and node: built-ins
        const target = relative(SRC, resolve(dirname(f), spec))
          .split('\\')
          .join('/');
        if (target.startsWith('..')) {
          const top = target.split('/')[1]!;
          if (!OUTSIDE[layerOf(rel)]?.includes(top)) bad.push(`${rel} imports ${spec}, outside src/ (allowed only as OUTSIDE lists)`);
          continue;
        }
        edges++;
        const why = violation(layerOf(rel), layerOf(target));
        if (why) bad.push(`${rel} imports ${target}: ${why}`);
      }
    }
    expect(edges).toBeGreaterThan(100);
    expect(bad).toEqual([]);
  });
});
