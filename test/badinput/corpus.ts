// The valid stories260K files in every format heed reads, written into a temp dir, and the one
// judgement every corrupted input must pass: it loads and the model (and tokenizer) equal the
// original, or it fails fast, with an Error naming the file, in words rather than raw JS text.
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { afterAll, expect, vi } from 'vitest';
import { cpu } from '../../src/backend/cpu/cpu.ts';
import { fromArray, noGrad } from '../../src/core/tensor.ts';
import { run as convert } from '../../src/cli/convert.ts';
import { writeGGUF } from '../../src/io/gguf.ts';
import { saveHF } from '../../src/io/hfconfig.ts';
import { readLlama2c } from '../../src/io/llama2c.ts';
import { buildModel, loadPretrained } from '../../src/load/pretrained.ts';
import type { Checkpoint } from '../../src/load/pretrained.ts';
import { toHFTokenizerJSON } from '../../src/tokenizer/hf.ts';
import { loadLlama2cTokenizer } from '../../src/tokenizer/llama2c.ts';
import type { Tokenizer } from '../../src/tokenizer/tokenizer.ts';
import { dataPath } from '../../src/util/dataRoot.ts';

export const STORIES = 'llama2c-stories260K';

/** Text raw JS failures show; a message carrying any of these escaped validation. */
export const RAW_JS_TEXT = [
  'Cannot read properties',
  'is not a function',
  'Unexpected end of JSON',
  'Maximum call stack',
  'EISDIR',
  'ENOENT',
  'ENOSPC',
  'Map maximum size',
  'Invalid array length',
  'Invalid typed array length',
  'Array buffer allocation failed',
  'is not iterable',
  'Cannot convert',
  'out of memory',
];

/** A corrupted input must be judged within this (stories260K loads in ~20 ms; the margin is for a busy machine). */
export const MAX_MS = 5000;
/** ...and within this much growth of the process's peak RSS (the valid files total ~3 MB; the
 *  blow-ups this guards against cost gigabytes). Checked per input: the peak only rises, so a rise
 *  belongs to the input being judged. */
export const MAX_CASE_MB = 150;

export interface Corpus {
  dir: string;
  bin: string;
  tokBin: string;
  hfDir: string;
  gguf: string;
  /** Logits of the original model on PROMPT (position-major [T, V]). */
  logits: Float32Array;
  tokenizer: Tokenizer;
}

export const PROMPT = [1, 403, 261, 30, 7, 300];
const SAMPLE_TEXT = 'Once upon a time, a little girl named Lily saw a big dog. 123 日本 😀';

export function logitsOf(ckpt: Pick<Checkpoint, 'config' | 'weights'>): Float32Array {
  const model = buildModel(ckpt, cpu);
  const ids = fromArray(Int32Array.from(PROMPT), [1, PROMPT.length], { dtype: 'i32', backend: cpu });
  const out = noGrad(() => model.forward(ids));
  const data = Float32Array.from(out.dataSync());
  out.dispose();
  ids.dispose();
  model.dispose();
  return data;
}

/** Builds the valid corpus: the shared llama2.c files, and GGUF + HF directory written from them. */
export function makeCorpus(): Corpus {
  const dir = mkdtempSync(join(tmpdir(), 'heed-badinput-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const bin = dataPath(STORIES, 'stories260K.bin');
  const tokBin = dataPath(STORIES, 'tok512.bin');
  const ck = readLlama2c(bin);
  const tok = loadLlama2cTokenizer(tokBin);
  const gguf = join(dir, 'stories260K.gguf');
  writeGGUF(gguf, ck.config, ck.weights, tok.vocabulary());
  const hfDir = join(dir, 'hf');
  saveHF(hfDir, ck.config, ck.weights);
  writeFileSync(join(hfDir, 'tokenizer.json'), JSON.stringify(toHFTokenizerJSON(tok)));
  return { dir, bin, tokBin, hfDir, gguf, logits: logitsOf(ck), tokenizer: tok };
}

let counter = 0;
/** A fresh path in the corpus dir for one corrupted variant. */
export function freshPath(c: Corpus, name: string): string {
  return join(c.dir, `case${counter++}-${name}`);
}

export function maxRssMB(): number {
  return process.resourceUsage().maxRSS / 1024;
}

export type Outcome = 'loaded' | 'refused';

/** The error message, asserting it is an Error that names one of `names` and carries no raw JS text. */
export function expectGoodMessage(e: unknown, names: readonly string[]): string {
  expect(e).toBeInstanceOf(Error);
  const msg = (e as Error).message;
  if (!names.some((n) => msg.includes(n))) throw new Error(`message does not name ${names.join(' or ')}: ${msg}`);
  for (const raw of RAW_JS_TEXT) if (msg.includes(raw)) throw new Error(`message carries raw JS text "${raw}": ${msg}`);
  return msg;
}

function sameTokenizer(a: Tokenizer, b: Tokenizer): boolean {
  if (a.vocabSize !== b.vocabSize || a.bos !== b.bos || a.eos !== b.eos) return false;
  const ids = a.encode(SAMPLE_TEXT, { bos: true });
  if (ids.join() !== b.encode(SAMPLE_TEXT, { bos: true }).join()) return false;
  for (let id = 0; id < a.vocabSize; id++) if (a.idToPiece(id) !== b.idToPiece(id)) return false;
  return true;
}

/**
 * Loads model + tokenizer as `heed generate` does and judges the outcome: loaded and equal to the
 * original (logits within 1e-4, same tokenizer), or refused naming one of `names`; either way
 * within MAX_MS.
 */
export function judgeLoad(c: Corpus, model: string, tokenizer: string | undefined, names: readonly string[]): Outcome {
  const t0 = performance.now();
  const rss0 = maxRssMB();
  let loaded: ReturnType<typeof loadPretrained> | undefined;
  let err: unknown;
  try {
    loaded = loadPretrained(model, tokenizer);
  } catch (e) {
    err = e;
  }
  const ms = performance.now() - t0;
  if (ms > MAX_MS) throw new Error(`took ${ms.toFixed(0)} ms (limit ${MAX_MS})`);
  // the peak RSS only rises, so a rise here belongs to this input
  const grew = maxRssMB() - rss0;
  if (grew > MAX_CASE_MB) throw new Error(`peak memory rose by ${grew.toFixed(0)} MB while loading (limit ${MAX_CASE_MB})`);
  if (!loaded) {
    expectGoodMessage(err, names);
    return 'refused';
  }
  const logits = logitsOf(loaded.ckpt);
  let worst = 0;
  for (let i = 0; i < logits.length; i++) worst = Math.max(worst, Math.abs(logits[i]! - c.logits[i]!));
  if (!(worst <= 1e-4) || logits.length !== c.logits.length) throw new Error(`loaded a different model: logits differ by ${worst}`);
  if (loaded.tokenizer && !sameTokenizer(loaded.tokenizer, c.tokenizer)) throw new Error('loaded a different tokenizer');
  return 'loaded';
}

/** Entries next to `out` that a convert may have left behind (temporaries are hidden siblings). */
function leftovers(out: string): string[] {
  const base = basename(out);
  return readdirSync(dirname(out)).filter((f) => f === base || f.startsWith(`.${base}.`));
}

/**
 * `heed convert` on the same input: it succeeds exactly when the load did, and a failed convert
 * leaves nothing at (or beside) its output path.
 */
export async function judgeConvert(
  model: string,
  tokenizer: string | undefined,
  to: 'hf' | 'gguf' | 'llama2c',
  outcome: Outcome,
  names: readonly string[],
): Promise<void> {
  const out = `${model.replace(/\/$/, '')}.converted-${to}`;
  const log = vi.spyOn(console, 'log').mockImplementation(() => {});
  const warn = vi.spyOn(console, 'error').mockImplementation(() => {});
  let err: unknown;
  const t0 = performance.now();
  try {
    await convert(['--model', model, ...(tokenizer ? ['--tokenizer', tokenizer] : []), '--to', to, '--out', out]);
  } catch (e) {
    err = e;
  } finally {
    log.mockRestore();
    warn.mockRestore();
  }
  const ms = performance.now() - t0;
  if (ms > MAX_MS) throw new Error(`convert took ${ms.toFixed(0)} ms (limit ${MAX_MS})`);
  if (outcome === 'refused') {
    if (err === undefined) throw new Error('convert succeeded on an input the loader refused');
    expectGoodMessage(err, names);
    expect(leftovers(out)).toEqual([]);
  } else {
    if (err !== undefined) throw err;
    expect(existsSync(out)).toBe(true);
    expect(leftovers(out)).toEqual([basename(out)]);
    rmSync(out, { recursive: true, force: true });
  }
}

/** Little-endian helpers for corrupting bytes in place. */
export function setU32(b: Uint8Array, at: number, v: number): void {
  new DataView(b.buffer, b.byteOffset, b.byteLength).setUint32(at, v >>> 0, true);
}
export function setI32(b: Uint8Array, at: number, v: number): void {
  new DataView(b.buffer, b.byteOffset, b.byteLength).setInt32(at, v | 0, true);
}
export function setU64(b: Uint8Array, at: number, v: bigint): void {
  new DataView(b.buffer, b.byteOffset, b.byteLength).setBigUint64(at, BigInt.asUintN(64, v), true);
}
export function setF32(b: Uint8Array, at: number, v: number): void {
  new DataView(b.buffer, b.byteOffset, b.byteLength).setFloat32(at, v, true);
}

export function readBytes(path: string): Uint8Array {
  return new Uint8Array(readFileSync(path));
}
