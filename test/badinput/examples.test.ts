// One or more examples for each class of issue 15, through the CLI where a user would meet them:
// (1) wrong data accepted, (2) blow-ups before validation, (3) raw JS errors, (4) unnamed files,
// (5) failed converts leaving output behind.
import fs, { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { main } from '../../src/cli/main.ts';
import { encodeGGUF, llamaMetadata, parseGGUF, writeGGUF } from '../../src/io/gguf.ts';
import { concatChunks } from '../../src/io/binary.ts';
import { saveHF } from '../../src/io/hfconfig.ts';
import { readLlama2c } from '../../src/io/llama2c.ts';
import { FINAL_NORM } from '../../src/io/weights.ts';
import { loadPretrained, readCheckpoint, readTokenizer } from '../../src/load/pretrained.ts';
import { loadHFTokenizer } from '../../src/tokenizer/hf.ts';
import { loadLlama2cTokenizer } from '../../src/tokenizer/llama2c.ts';
import type { Corpus } from './corpus.ts';
import { expectGoodMessage, freshPath, makeCorpus, maxRssMB, readBytes, setF32, setI32, setU64 } from './corpus.ts';

const c: Corpus = makeCorpus();
const bin = readBytes(c.bin);
const ck = readLlama2c(c.bin);
const tokJson = JSON.parse(readFileSync(join(c.hfDir, 'tokenizer.json'), 'utf8')) as {
  model: { vocab: Record<string, number>; merges: unknown[]; type: string };
};

/** Runs `heed ...args` in-process; returns the exit code and what it printed to stderr. */
async function heed(...args: string[]): Promise<{ code: number; err: string }> {
  let err = '';
  const e = vi.spyOn(console, 'error').mockImplementation((...xs: unknown[]) => void (err += `${xs.join(' ')}\n`));
  const l = vi.spyOn(console, 'log').mockImplementation(() => {});
  try {
    const code = await main(args);
    return { code, err };
  } finally {
    e.mockRestore();
    l.mockRestore();
  }
}

function write(name: string, bytes: Uint8Array | string): string {
  const p = freshPath(c, name);
  writeFileSync(p, bytes);
  return p;
}

/** A copy of the corpus's HF directory with some files replaced. */
function hfVariant(replace: Record<string, Uint8Array | string | null>): string {
  const dir = freshPath(c, 'hf');
  mkdirSync(dir);
  for (const f of readdirSync(c.hfDir)) if (!(f in replace)) writeFileSync(join(dir, f), readFileSync(join(c.hfDir, f)));
  for (const [f, v] of Object.entries(replace)) {
    if (v === null) mkdirSync(join(dir, f));
    else writeFileSync(join(dir, f), v);
  }
  return dir;
}

/** Where `needle` (some weight's bytes) sits in a file: to plant a NaN in any format. */
function offsetOf(hay: Uint8Array, needle: Uint8Array): number {
  const at = Buffer.from(hay).indexOf(Buffer.from(needle));
  if (at < 0 || Buffer.from(hay).indexOf(Buffer.from(needle), at + 1) >= 0) throw new Error('needle not unique');
  return at;
}
const normBytes = new Uint8Array(ck.weights.get(FINAL_NORM)!.data.slice(0, 8).buffer);

/** A tokenizer.bin holding only the first n tokens of tok512.bin. */
function smallTokenizer(n: number): string {
  const v = new DataView(readBytes(c.tokBin).buffer);
  let o = 4;
  for (let i = 0; i < n; i++) o += 8 + v.getInt32(o + 4, true);
  return write('tok-small.bin', readBytes(c.tokBin).slice(0, o));
}

function leftovers(out: string): string[] {
  const base = out.slice(out.lastIndexOf('/') + 1);
  return readdirSync(join(out, '..')).filter((f) => f === base || f.startsWith(`.${base}.`));
}

describe('1. wrong data is refused, not loaded', () => {
  it('a llama2.c header with heads, kv heads and seq_len traded at the same byte count', () => {
    const b = bin.slice();
    setI32(b, 12, 4);
    setI32(b, 16, 2);
    setI32(b, 24, 256);
    const p = write('traded.bin', b);
    expect(() => readCheckpoint(p)).toThrow(`${p}: the stored RoPE table (freq_cis) does not match the header`);
  });

  it('a llama2.c shared-weights flag (the sign of vocab_size) that disagrees with the file', () => {
    const b = bin.slice();
    setI32(b, 20, -512);
    const p = write('untied.bin', b);
    expect(() => readCheckpoint(p)).toThrow(
      `${p}: size mismatch: header (dim=64, hidden_dim=172, n_layers=5, n_heads=8, n_kv_heads=4, seq_len=512, vocab_size=-512) implies 1187612 bytes, file has 1056540; the file's size fits a classifier shared with the embedding (positive vocab_size), so the shared-weights flag is wrong`,
    );
  });

  it.each(['hf', 'gguf', 'llama2c'])(
    'convert --to %s with a tokenizer smaller than the vocabulary: refused, nothing written',
    async (to) => {
      const tok = smallTokenizer(500);
      const out = freshPath(c, `small-${to}`);
      const r = await heed('convert', '--model', c.bin, '--tokenizer', tok, '--to', to, '--out', out);
      expect(r.code).toBe(1);
      expect(r.err).toContain(`${tok}: the tokenizer has 500 tokens but the model ${c.bin} has a vocabulary of 512`);
      expect(leftovers(out)).toEqual([]);
    },
  );

  it('generate with that tokenizer names both files', async () => {
    const tok = smallTokenizer(500);
    const r = await heed('generate', '--model', c.bin, '--tokenizer', tok, '--backend', 'cpu', '--max-tokens', '1');
    expect(r.code).toBe(1);
    expect(r.err).toContain(`${tok}: the tokenizer has 500 tokens but the model ${c.bin} has a vocabulary of 512`);
  });

  it('a GGUF whose token list disagrees with llama.vocab_size', () => {
    const g = parseGGUF(readBytes(c.gguf));
    const md = llamaMetadata(ck.config, loadLlama2cTokenizer(c.tokBin).vocabulary());
    md.set('llama.vocab_size', { type: 'uint32', value: 600 });
    const p = write('vocab.gguf', concatChunks(encodeGGUF(md, g.tensors)));
    expect(() => readCheckpoint(p)).toThrow(`${p}: tokenizer.ggml.tokens holds 512 tokens but llama.vocab_size is 600`);
  });

  it('tokenizer.json with two pieces sharing an id, or a merge naming an unknown token', () => {
    const dup = structuredClone(tokJson);
    const [a, b] = Object.keys(dup.model.vocab).slice(300, 302) as [string, string];
    dup.model.vocab[b] = dup.model.vocab[a]!;
    const p1 = write('dup.json', JSON.stringify(dup));
    expect(() => readTokenizer(p1)).toThrow(new RegExp(`^${p1}: model\\.vocab gives id ${dup.model.vocab[a]} to two pieces`));
    const bad = structuredClone(tokJson);
    bad.model.merges[3] = ['\u2581zzq', 'x'];
    const p2 = write('merge.json', JSON.stringify(bad));
    expect(() => readTokenizer(p2)).toThrow(`${p2}: model.merges[3] (["▁zzq","x"]) names "▁zzq", which is not in model.vocab`);
    // merges emptied: the multi-character pieces could never be produced (found by the hfdir property)
    const p3 = write('nomerges.json', JSON.stringify({ ...tokJson, model: { ...tokJson.model, merges: [] } }));
    expect(() => readTokenizer(p3)).toThrow(
      new RegExp(`^${p3}: model\\.merges is empty, yet model\\.vocab has \\d+ multi-character pieces`),
    );
  });

  it('an HF directory whose tokenizer.json has one token more than the model', () => {
    const extra = structuredClone(tokJson);
    extra.model.vocab['\u2581zzqx'] = 512;
    const dir = hfVariant({ 'tokenizer.json': JSON.stringify(extra) });
    expect(() => loadPretrained(dir)).toThrow(
      `${join(dir, 'tokenizer.json')}: the tokenizer has 513 tokens but the model ${dir} has a vocabulary of 512`,
    );
  });

  it('NaN or infinite weights, in every format, naming the tensor', () => {
    const b = bin.slice();
    setF32(b, offsetOf(b, normBytes) + 4, NaN);
    const p1 = write('nan.bin', b);
    expect(() => readCheckpoint(p1)).toThrow(`${p1}: tensor model.norm.weight holds NaN at flat index 1`);

    const gg = readBytes(c.gguf);
    setF32(gg, offsetOf(gg, normBytes), Infinity);
    const p2 = write('inf.gguf', gg);
    expect(() => readCheckpoint(p2)).toThrow(`${p2}: tensor model.norm.weight holds Infinity at flat index 0`);

    const st = readBytes(join(c.hfDir, 'model.safetensors'));
    setF32(st, offsetOf(st, normBytes) + 8, -Infinity);
    const dir = hfVariant({ 'model.safetensors': st });
    expect(() => readCheckpoint(dir)).toThrow(`${dir}: tensor model.norm.weight holds -Infinity at flat index 2`);
  });

  it('a safetensors dtype changed from F32 to I32 (same byte count) in a checkpoint', () => {
    const st = readBytes(join(c.hfDir, 'model.safetensors'));
    const text = new TextDecoder().decode(st);
    const at = text.indexOf('"dtype":"F32"');
    st.set(new TextEncoder().encode('"dtype":"I32"'), at);
    const dir = hfVariant({ 'model.safetensors': st });
    expect(() => readCheckpoint(dir)).toThrow(
      `${join(dir, 'model.safetensors')}: tensor model.embed_tokens.weight is I32; checkpoint weights must be F32, F16 or BF16`,
    );
  });

  it('writers refuse NaN weights too', () => {
    const w = new Map(ck.weights);
    const norm = w.get(FINAL_NORM)!;
    w.set(FINAL_NORM, { shape: norm.shape, data: Float32Array.from(norm.data, (x, i) => (i === 5 ? NaN : x)) });
    const out = freshPath(c, 'nan-hf');
    expect(() => saveHF(out, ck.config, w)).toThrow('tensor model.norm.weight holds NaN at flat index 5');
  });
});

describe('2. absurd sizes are refused before anything is allocated', () => {
  const fast = (load: () => unknown, message: string): void => {
    const rss0 = maxRssMB();
    const t0 = performance.now();
    expect(load).toThrow(message);
    expect(performance.now() - t0).toBeLessThan(1000);
    expect(maxRssMB() - rss0).toBeLessThan(100);
  };

  it.each([2 ** 31 - 1, 10 ** 6])('%i layers in a llama2.c header, a GGUF and a config.json', (layers) => {
    const b = bin.slice();
    setI32(b, 8, layers);
    const p1 = write('layers.bin', b);
    fast(() => readCheckpoint(p1), `${p1}: size mismatch: header (dim=64, hidden_dim=172, n_layers=${layers}`);

    const g = parseGGUF(readBytes(c.gguf));
    const md = llamaMetadata(ck.config, loadLlama2cTokenizer(c.tokBin).vocabulary());
    md.set('llama.block_count', { type: 'uint32', value: layers });
    const p2 = write('layers.gguf', concatChunks(encodeGGUF(md, g.tensors)));
    fast(
      () => readCheckpoint(p2),
      `${p2}: weights do not match the config: it implies ${9 * layers + 2} tensors (${layers} layers), the checkpoint holds 47`,
    );

    const cfg = JSON.parse(readFileSync(join(c.hfDir, 'config.json'), 'utf8')) as Record<string, unknown>;
    cfg.num_hidden_layers = layers;
    const dir = hfVariant({ 'config.json': JSON.stringify(cfg) });
    fast(() => readCheckpoint(dir), `${dir}: weights do not match the config: it implies ${9 * layers + 2} tensors`);
  });

  it('GGUF tensor and metadata counts of 2^40, and a safetensors shape of 2^31 x 2^31', () => {
    for (const at of [8, 16]) {
      const g = readBytes(c.gguf);
      setU64(g, at, 2n ** 40n);
      const p = write('count.gguf', g);
      fast(() => readCheckpoint(p), `${p}: truncated or corrupt: ${at === 8 ? 'tensor' : 'metadata'} count 1099511627776 cannot fit`);
    }
    const header = new TextEncoder().encode(JSON.stringify({ x: { dtype: 'F32', shape: [2 ** 31, 2 ** 31], data_offsets: [0, 4] } }));
    const st = new Uint8Array(8 + header.length + 4);
    setU64(st, 0, BigInt(header.length));
    st.set(header, 8);
    const dir = hfVariant({ 'model.safetensors': st });
    fast(() => readCheckpoint(dir), `${join(dir, 'model.safetensors')}: tensor x: shape [2147483648,2147483648] is impossibly large`);
  });
});

describe('3. malformed input gets a message, never raw JS error text', () => {
  it.each([
    [
      'not JSON',
      '{"model": {"type": "BPE", "vocab": {"a": 0',
      'the tokenizer.json is not valid JSON: the text ends before the JSON value is complete',
    ],
    ['no model', '{"added_tokens": []}', 'the top level.model is missing'],
    [
      'numeric merges',
      JSON.stringify({ ...tokJson, model: { ...tokJson.model, merges: [1, 2] } }),
      'model.merges[0] is 1, neither "left right" nor ["left", "right"]',
    ],
    ['model not an object', JSON.stringify({ model: 5 }), 'model must be an object, got 5'],
  ])('tokenizer.json: %s', async (_name, text, message) => {
    const p = write('tokenizer.json', text);
    expect(() => readTokenizer(p)).toThrow(`${p}: ${message}`);
    const r = await heed('generate', '--model', c.bin, '--tokenizer', p, '--backend', 'cpu');
    expect(r.code).toBe(1);
    expectGoodMessage(new Error(r.err), [p]);
  });

  it('a directory where a file belongs: --model, --tokenizer, config.json, tokenizer.json, model.safetensors', async () => {
    const empty = freshPath(c, 'empty-dir');
    mkdirSync(empty);
    const cases: [string[], string][] = [
      [['--model', empty, '--tokenizer', c.tokBin], `${join(empty, 'config.json')}: cannot read the model config: does not exist`],
      [['--model', c.bin, '--tokenizer', empty], `${empty}: is a directory, expected a tokenizer file`],
      [['--model', hfVariant({ 'config.json': null })], 'config.json: is a directory, expected the model config (a file)'],
      [['--model', hfVariant({ 'tokenizer.json': null })], 'tokenizer.json: is a directory, expected the tokenizer.json (a file)'],
      [['--model', hfVariant({ 'model.safetensors': null })], 'model.safetensors: is a directory, expected the safetensors file (a file)'],
    ];
    for (const [args, message] of cases) {
      const r = await heed('generate', ...args, '--backend', 'cpu', '--max-tokens', '1');
      expect(r.code).toBe(1);
      expect(r.err).toContain(message);
      expectGoodMessage(new Error(r.err), [message.split(':')[0]!]);
    }
  });

  it('GGUF metadata nested 100,000 arrays deep', () => {
    const key = new TextEncoder().encode('x');
    const depth = 100_000;
    const kv = new Uint8Array(8 + key.length + 4 + 12 * depth + 16);
    const v = new DataView(kv.buffer);
    v.setBigUint64(0, 1n, true);
    kv.set(key, 8);
    v.setUint32(9, 9, true);
    for (let d = 0; d < depth; d++) {
      v.setUint32(13 + 12 * d, 9, true);
      v.setBigUint64(17 + 12 * d, 1n, true);
    }
    const g = readBytes(c.gguf);
    const out = new Uint8Array(g.length + kv.length);
    out.set(g.subarray(0, 24));
    out.set(kv, 24);
    out.set(g.subarray(24), 24 + kv.length);
    new DataView(out.buffer).setBigUint64(16, new DataView(g.buffer).getBigUint64(16, true) + 1n, true);
    const p = write('nested.gguf', out);
    expect(() => readCheckpoint(p)).toThrow(`${p}: metadata x${'[0]'.repeat(8)}: arrays nested more than 8 deep`);
  });

  it('a sharded checkpoint whose index is not JSON, lacks weight_map, or names a shard outside the directory', () => {
    const st = readBytes(join(c.hfDir, 'model.safetensors'));
    const index = (text: string): string => {
      const dir = hfVariant({ 'model-00001-of-00001.safetensors': st, 'model.safetensors.index.json': text });
      rmSync(join(dir, 'model.safetensors'));
      return join(dir, 'model.safetensors.index.json');
    };
    const p1 = index('{"weight_map": {');
    expect(() => readCheckpoint(join(p1, '..'))).toThrow(
      `${p1}: the shard index is not valid JSON: the text ends before the JSON value is complete`,
    );
    const p2 = index('{"metadata": {}}');
    expect(() => readCheckpoint(join(p2, '..'))).toThrow(`${p2}: the shard index.weight_map is missing`);
    const p3 = index('{"weight_map": {"model.norm.weight": "../model.safetensors"}}');
    expect(() => readCheckpoint(join(p3, '..'))).toThrow(
      `${p3}: tensor model.norm.weight maps to invalid shard "../model.safetensors" (must be a file name in the same directory)`,
    );
    const p4 = index('{"weight_map": {"toString": 5}}');
    expect(() => readCheckpoint(join(p4, '..'))).toThrow(`${p4}: weight_map.toString must be a string, got 5`);
  });

  it.each(['toString', '__proto__', 'constructor', 'hasOwnProperty'])('a safetensors dtype named %s', (dtype) => {
    const header = new TextEncoder().encode(`{"x":{"dtype":${JSON.stringify(dtype)},"shape":[1],"data_offsets":[0,4]}}`);
    const st = new Uint8Array(8 + header.length + 4);
    setU64(st, 0, BigInt(header.length));
    st.set(header, 8);
    const dir = hfVariant({ 'model.safetensors': st });
    expect(() => readCheckpoint(dir)).toThrow(`${join(dir, 'model.safetensors')}: tensor x: unsupported dtype "${dtype}"`);
  });
});

describe('4. every message names its file', () => {
  it('a tokenizer.json whose model is Unigram, and a malformed merge', () => {
    const p = write('uni.json', JSON.stringify({ ...tokJson, model: { ...tokJson.model, type: 'Unigram' } }));
    expect(() => readTokenizer(p)).toThrow(`${p}: model.type is "Unigram"; heed reads only BPE tokenizers`);
    const q = write('merge.json', JSON.stringify({ ...tokJson, model: { ...tokJson.model, merges: ['ab'] } }));
    expect(() => readTokenizer(q)).toThrow(`${q}: model.merges[0] is "ab", not "left right"`);
    expect(() => loadHFTokenizer('{}', {}, 'inline.json')).toThrow('inline.json: the top level.model is missing');
  });

  it('the GGUF writer names the output it refused to write', () => {
    const small = loadLlama2cTokenizer(smallTokenizer(500)).vocabulary();
    const out = freshPath(c, 'small.gguf');
    expect(() => writeGGUF(out, ck.config, ck.weights, small)).toThrow(
      `${out}: GGUF writer: vocabulary does not fit the model: 500 tokens but vocabSize is 512`,
    );
    expect(existsSync(out)).toBe(false);
    const v = loadLlama2cTokenizer(c.tokBin).vocabulary();
    expect(() => writeGGUF(out, ck.config, ck.weights, { ...v, bos: 300 })).toThrow(
      `${out}: GGUF writer: vocabulary does not fit the model: bos id 300 (${JSON.stringify(v.tokens[300])}) has token type 1, not control (3) or user-defined (4)`,
    );
    expect(existsSync(out)).toBe(false);
  });

  it('a GGUF whose BOS id was changed to an ordinary token', () => {
    const g = parseGGUF(readBytes(c.gguf));
    const md = llamaMetadata(ck.config, loadLlama2cTokenizer(c.tokBin).vocabulary());
    md.set('tokenizer.ggml.bos_token_id', { type: 'uint32', value: 300 });
    const p = write('bos.gguf', concatChunks(encodeGGUF(md, g.tensors)));
    expect(() => readCheckpoint(p)).toThrow(
      new RegExp(`^${p}: metadata tokenizer\\.ggml\\.bos_token_id = 300 names ".*" of token type 1, not a control token`),
    );
  });

  it('tokenizer.bin errors name the file', () => {
    // tok512.bin's first 7 tokens end at byte 100; token 7 is a 6-byte piece
    const cut = (n: number): string => write('trunc.bin', readBytes(c.tokBin).slice(0, n));
    const p1 = cut(100);
    expect(() => loadPretrained(c.bin, p1)).toThrow(`${p1}: the tokenizer has 7 tokens but the model ${c.bin} has a vocabulary of 512`);
    const p2 = cut(101);
    expect(() => loadPretrained(c.bin, p2)).toThrow(`${p2}: truncated: token 7 at byte 100 needs an 8-byte score and length, only 1 left`);
    const p3 = cut(110);
    expect(() => loadPretrained(c.bin, p3)).toThrow(`${p3}: token 7: piece length 6 at byte 104 runs past the end of the file (110 bytes)`);
  });
});

describe('5. a failed convert leaves nothing at its output path', () => {
  afterEach(() => {
    vi.restoreAllMocks();
    syncBuiltinESMExports();
  });

  /** Makes writes fail with ENOSPC once `budget` bytes have been written (a full disk). */
  function fillDiskAfter(budget: number): void {
    const real = fs.writeSync;
    let written = 0;
    vi.spyOn(fs, 'writeSync').mockImplementation(((fd: number, buf: Uint8Array, off?: number, len?: number) => {
      const n = len ?? buf.length;
      if (written + n > budget)
        throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC', errno: -28, syscall: 'write' });
      written += n;
      return (real as (fd: number, b: Uint8Array, o?: number, l?: number) => number)(fd, buf, off, len);
    }) as typeof fs.writeSync);
    syncBuiltinESMExports();
  }

  // the HF output is model.safetensors, config.json, then tokenizer.json: fail in the first and the last
  const hfFirstTwo = ['model.safetensors', 'config.json'].reduce((n, f) => n + readFileSync(join(c.hfDir, f)).length, 0);
  it.each([
    ['hf', 1000],
    ['hf', hfFirstTwo + 100],
    ['gguf', 50_000],
    ['llama2c', 10],
  ])('--to %s on a disk that fills after %i bytes', async (to, budget) => {
    const out = freshPath(c, `full-${to}`);
    fillDiskAfter(budget);
    const r = await heed('convert', '--model', c.bin, '--tokenizer', c.tokBin, '--to', to, '--out', out);
    expect(r.code).toBe(1);
    expect(r.err).toContain(`${out}`);
    expect(r.err).toContain('cannot write: no space left on the device');
    expectGoodMessage(new Error(r.err), [out]);
    expect(leftovers(out)).toEqual([]);
  });

  it('--to hf --force over an existing directory: a failure keeps the old one intact', async () => {
    const out = freshPath(c, 'existing-hf');
    mkdirSync(out);
    writeFileSync(join(out, 'keep.txt'), 'old');
    fillDiskAfter(5000);
    const r = await heed('convert', '--model', c.bin, '--tokenizer', c.tokBin, '--to', 'hf', '--out', out, '--force');
    expect(r.code).toBe(1);
    expect(readdirSync(out)).toEqual(['keep.txt']);
    expect(leftovers(out)).toEqual([out.slice(out.lastIndexOf('/') + 1)]);
    vi.restoreAllMocks();
    syncBuiltinESMExports();
    expect((await heed('convert', '--model', c.bin, '--tokenizer', c.tokBin, '--to', 'hf', '--out', out, '--force')).code).toBe(0);
    expect(readdirSync(out).sort()).toEqual([
      'config.json',
      'generation_config.json',
      'model.safetensors',
      'tokenizer.json',
      'tokenizer_config.json',
    ]);
    expect(loadPretrained(out).tokenizer?.vocabSize).toBe(512);
  });

  it('--to gguf --force onto a directory is refused and leaves no x.tmp', async () => {
    const out = freshPath(c, 'a-dir.gguf');
    mkdirSync(out);
    const r = await heed('convert', '--model', c.bin, '--tokenizer', c.tokBin, '--to', 'gguf', '--out', out, '--force');
    expect(r.code).toBe(1);
    expect(r.err).toContain(`${out}: is a directory; --out for gguf names a file`);
    expect(readdirSync(out)).toEqual([]);
    expect(leftovers(out)).toEqual([out.slice(out.lastIndexOf('/') + 1)]);
  });

  it('an output whose parent is missing or is a file', async () => {
    const parentFile = write('plain-file', 'x');
    for (const out of [join(freshPath(c, 'missing'), 'out.gguf'), join(parentFile, 'out.gguf')]) {
      const r = await heed('convert', '--model', c.bin, '--tokenizer', c.tokBin, '--to', 'gguf', '--out', out);
      expect(r.code).toBe(1);
      expectGoodMessage(new Error(r.err), [out]);
    }
  });
});
