// Corrupted HF directories written from stories260K (model.safetensors + config.json +
// tokenizer.json): every one either loads as the original model and tokenizer or is refused fast,
// naming the file; `heed convert` fails the same way and leaves nothing at its output path.
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Corpus } from './corpus.ts';
import { freshPath, judgeConvert, judgeLoad, makeCorpus, readBytes, setU64 } from './corpus.ts';

const c: Corpus = makeCorpus();
const FILES = ['config.json', 'model.safetensors', 'tokenizer.json'] as const;
type HFFile = (typeof FILES)[number];

const st = readBytes(join(c.hfDir, 'model.safetensors'));
const stHeaderLen = Number(new DataView(st.buffer, st.byteOffset).getBigUint64(0, true));
const stHeader = JSON.parse(new TextDecoder().decode(st.subarray(8, 8 + stHeaderLen))) as Record<string, unknown>;
const stData = st.subarray(8 + stHeaderLen);
const tensorNames = Object.keys(stHeader).filter((k) => k !== '__metadata__');
const config = JSON.parse(new TextDecoder().decode(readBytes(join(c.hfDir, 'config.json')))) as Record<string, unknown>;
const tokText = new TextDecoder().decode(readBytes(join(c.hfDir, 'tokenizer.json')));
const tokJson = JSON.parse(tokText) as { model: { vocab: Record<string, number>; merges: unknown[] }; added_tokens: unknown[] };
const pieces = Object.keys(tokJson.model.vocab);

/** JSON values of every kind, biased to the ones that break readers: wrong types, huge, negative, prototype keys. */
const weirdValue: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom(
    0,
    -1,
    1,
    2,
    1.5,
    2 ** 31 - 1,
    2 ** 31,
    2 ** 53,
    1e300,
    -1e300,
    10 ** 6,
    'x',
    '64',
    'toString',
    '__proto__',
    '',
    null,
    true,
    false,
    [],
    {},
    [1, 2],
    { type: 5 },
  ),
  fc.integer({ min: -1000, max: 100_000 }),
);
const dtypeValue = fc.oneof(
  fc.constantFrom('F16', 'BF16', 'I32', 'F64', 'I8', 'U8', 'toString', '__proto__', 'constructor', 'valueOf', 'hasOwnProperty', 'f32', ''),
  weirdValue,
);
/** Placeholder for a deeply nested component (as a crafted file could hold), spliced in as text. */
const DEEP = (key: string): string => `@deep:${key}`;
function deepText(key: string, depth = 100_000): string {
  return `${`{"type":"Sequence","${key}":[`.repeat(depth)}{"type":"Prepend","prepend":"x"}${']}'.repeat(depth)}`;
}

// ---- safetensors ----

type StMutation =
  | { kind: 'dtype'; t: number; v: unknown }
  | { kind: 'shape'; t: number; v: unknown }
  | { kind: 'shape dim'; t: number; k: number; v: unknown }
  | { kind: 'offsets'; t: number; v: unknown }
  | { kind: 'offset'; t: number; k: number; v: unknown }
  | { kind: 'drop'; t: number }
  | { kind: 'duplicate'; t: number; from: number; last: boolean }
  | { kind: 'entry'; t: number; v: unknown }
  | { kind: 'metadata'; v: unknown }
  | { kind: 'prototype key'; key: string; from: number }
  | { kind: 'truncate'; at: number }
  | { kind: 'header length'; v: bigint };

const tIdx = fc.integer({ min: 0, max: tensorNames.length - 1 });
const stMutation: fc.Arbitrary<StMutation> = fc.oneof(
  fc.record({ kind: fc.constant('dtype' as const), t: tIdx, v: dtypeValue }),
  fc.record({
    kind: fc.constant('shape' as const),
    t: tIdx,
    v: fc.oneof(weirdValue, fc.array(fc.oneof(weirdValue, fc.nat(600)), { maxLength: 3 })),
  }),
  fc.record({ kind: fc.constant('shape dim' as const), t: tIdx, k: fc.integer({ min: 0, max: 1 }), v: weirdValue }),
  fc.record({
    kind: fc.constant('offsets' as const),
    t: tIdx,
    v: fc.oneof(weirdValue, fc.tuple(fc.nat(stData.length + 10), fc.nat(stData.length + 10))),
  }),
  fc.record({ kind: fc.constant('offset' as const), t: tIdx, k: fc.integer({ min: 0, max: 1 }), v: weirdValue }),
  fc.record({ kind: fc.constant('drop' as const), t: tIdx }),
  fc.record({ kind: fc.constant('duplicate' as const), t: tIdx, from: tIdx, last: fc.boolean() }),
  fc.record({ kind: fc.constant('entry' as const), t: tIdx, v: weirdValue }),
  fc.record({ kind: fc.constant('metadata' as const), v: fc.oneof(weirdValue, fc.record({ format: weirdValue })) }),
  fc.record({
    kind: fc.constant('prototype key' as const),
    key: fc.constantFrom('toString', '__proto__', 'constructor', 'hasOwnProperty'),
    from: tIdx,
  }),
  fc.record({ kind: fc.constant('truncate' as const), at: fc.integer({ min: 0, max: st.length - 1 }) }),
  fc.record({
    kind: fc.constant('header length' as const),
    v: fc.oneof(
      fc.constantFrom(0n, 1n, 2n ** 63n, 2n ** 64n - 1n, BigInt(stHeaderLen - 1), BigInt(stHeaderLen + 8), BigInt(st.length)),
      fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }),
    ),
  }),
);

/** The header as JSON text; `extra` entries are appended verbatim (duplicate keys survive). */
function headerText(h: Record<string, unknown>, extra: [string, unknown][] = [], first: [string, unknown][] = []): string {
  const parts = [...first, ...Object.entries(h), ...extra].map(([k, v]) => `${JSON.stringify(k)}:${JSON.stringify(v)}`);
  return `{${parts.join(',')}}`;
}

function assemble(text: string): Uint8Array {
  const hb = new TextEncoder().encode(text);
  const out = new Uint8Array(8 + hb.length + stData.length);
  setU64(out, 0, BigInt(hb.length));
  out.set(hb, 8);
  out.set(stData, 8 + hb.length);
  return out;
}

function applySt(m: StMutation): Uint8Array {
  if (m.kind === 'truncate') return st.slice(0, m.at);
  if (m.kind === 'header length') {
    const b = st.slice();
    setU64(b, 0, m.v);
    return b;
  }
  const h = structuredClone(stHeader) as Record<string, Record<string, unknown>>;
  const name = 't' in m ? tensorNames[m.t]! : '';
  const entry = h[name];
  switch (m.kind) {
    case 'dtype':
      entry!.dtype = m.v;
      break;
    case 'shape':
      entry!.shape = m.v;
      break;
    case 'shape dim':
      (entry!.shape as unknown[])[m.k] = m.v;
      break;
    case 'offsets':
      entry!.data_offsets = m.v;
      break;
    case 'offset':
      (entry!.data_offsets as unknown[])[m.k] = m.v;
      break;
    case 'drop':
      delete h[name];
      break;
    case 'entry':
      h[name] = m.v as Record<string, unknown>;
      break;
    case 'metadata':
      h.__metadata__ = m.v as Record<string, unknown>;
      break;
    case 'duplicate': {
      const dup: [string, unknown][] = [[name, h[tensorNames[m.from]!]]];
      return assemble(m.last ? headerText(h, dup) : headerText(h, [], dup));
    }
    case 'prototype key':
      return assemble(headerText(h, [[m.key, h[tensorNames[m.from]!]]]));
  }
  return assemble(headerText(h));
}

// ---- config.json ----

// Keys the weights constrain. Free hyperparameters (max_position_embeddings, rope_theta,
// rms_norm_eps) are not fuzzed: another valid value is a different model nothing contradicts.
const CONFIG_KEYS = [
  'hidden_size',
  'intermediate_size',
  'num_hidden_layers',
  'num_attention_heads',
  'num_key_value_heads',
  'vocab_size',
  'tie_word_embeddings',
  'head_dim',
  'model_type',
];
type ConfigMutation =
  | { kind: 'field'; key: string; v: unknown }
  | { kind: 'drop'; key: string }
  | { kind: 'text'; at: number }
  | { kind: 'whole'; v: unknown };
const cfgText = JSON.stringify(config, null, 2);
const configMutation: fc.Arbitrary<ConfigMutation> = fc.oneof(
  fc.record({ kind: fc.constant('field' as const), key: fc.constantFrom(...CONFIG_KEYS), v: weirdValue }),
  fc.record({ kind: fc.constant('drop' as const), key: fc.constantFrom(...CONFIG_KEYS) }),
  fc.record({ kind: fc.constant('text' as const), at: fc.integer({ min: 0, max: cfgText.length - 1 }) }),
  fc.record({ kind: fc.constant('whole' as const), v: weirdValue }),
);
function applyConfig(m: ConfigMutation): string {
  if (m.kind === 'text') return cfgText.slice(0, m.at);
  if (m.kind === 'whole') return JSON.stringify(m.v);
  const j = structuredClone(config);
  if (m.kind === 'drop') delete j[m.key];
  else j[m.key] = m.v;
  return JSON.stringify(j);
}

// ---- tokenizer.json ----

type TokMutation =
  | { kind: 'model'; v: unknown }
  | { kind: 'model.type'; v: unknown }
  | { kind: 'vocab id'; p: number; v: unknown }
  | { kind: 'vocab id of another'; p: number; q: number }
  | { kind: 'drop piece'; p: number }
  | { kind: 'extra piece'; id: number }
  | { kind: 'merge'; i: number; v: unknown }
  | { kind: 'merges'; v: unknown }
  | { kind: 'added token'; i: number; field: 'id' | 'content'; v: unknown }
  | { kind: 'added_tokens'; v: unknown }
  | { kind: 'component'; key: 'normalizer' | 'pre_tokenizer' | 'decoder'; v: unknown }
  | { kind: 'text'; at: number };

const pIdx = fc.integer({ min: 0, max: pieces.length - 1 });
const tokMutation: fc.Arbitrary<TokMutation> = fc.oneof(
  fc.record({ kind: fc.constant('model' as const), v: weirdValue }),
  fc.record({
    kind: fc.constant('model.type' as const),
    v: fc.oneof(fc.constantFrom('Unigram', 'WordPiece', 'WordLevel', 'bpe'), weirdValue),
  }),
  fc.record({ kind: fc.constant('vocab id' as const), p: pIdx, v: weirdValue }),
  fc.record({ kind: fc.constant('vocab id of another' as const), p: pIdx, q: pIdx }),
  fc.record({ kind: fc.constant('drop piece' as const), p: pIdx }),
  fc.record({ kind: fc.constant('extra piece' as const), id: fc.constantFrom(pieces.length, pieces.length + 1, 2 ** 31 - 1, 10 ** 6) }),
  fc.record({
    kind: fc.constant('merge' as const),
    i: fc.nat(Math.max(0, tokJson.model.merges.length - 1)),
    v: fc.oneof(weirdValue, fc.constantFrom('ab', 'zzq x', ' a', 'a ', ['a'], ['a', 'b', 'c'], [1, 2], ['zzq', 'x'])),
  }),
  fc.record({ kind: fc.constant('merges' as const), v: weirdValue }),
  fc.record({
    kind: fc.constant('added token' as const),
    i: fc.nat(Math.max(0, tokJson.added_tokens.length - 1)),
    field: fc.constantFrom('id' as const, 'content' as const),
    v: weirdValue,
  }),
  fc.record({ kind: fc.constant('added_tokens' as const), v: weirdValue }),
  fc.record({
    kind: fc.constant('component' as const),
    key: fc.constantFrom('normalizer' as const, 'pre_tokenizer' as const, 'decoder' as const),
    // null is HF's "no such component": a valid, different tokenizer, not a corrupt one
    v: fc.oneof(
      weirdValue.filter((v) => v !== null),
      fc.constantFrom({ type: 'ByteLevel' }, { type: 'Unigram' }, DEEP('normalizers'), DEEP('pretokenizers'), DEEP('decoders')),
    ),
  }),
  fc.record({ kind: fc.constant('text' as const), at: fc.integer({ min: 0, max: tokText.length - 1 }) }),
);

function applyTok(m: TokMutation): string {
  if (m.kind === 'text') return tokText.slice(0, m.at);
  const j = structuredClone(tokJson) as Record<string, unknown> & typeof tokJson;
  const vocab = j.model.vocab as Record<string, unknown>;
  switch (m.kind) {
    case 'model':
      j.model = m.v as typeof j.model;
      break;
    case 'model.type':
      (j.model as unknown as Record<string, unknown>).type = m.v;
      break;
    case 'vocab id':
      vocab[pieces[m.p]!] = m.v;
      break;
    case 'vocab id of another':
      vocab[pieces[m.p]!] = vocab[pieces[m.q]!];
      break;
    case 'drop piece':
      delete vocab[pieces[m.p]!];
      break;
    case 'extra piece':
      vocab['\u2581zzqx'] = m.id;
      break;
    case 'merge':
      j.model.merges[m.i] = m.v;
      break;
    case 'merges':
      j.model.merges = m.v as unknown[];
      break;
    case 'added token':
      (j.added_tokens[m.i] as Record<string, unknown>)[m.field] = m.v;
      break;
    case 'added_tokens':
      j.added_tokens = m.v as unknown[];
      break;
    case 'component':
      j[m.key] = m.v;
      break;
  }
  const text = JSON.stringify(j);
  if (m.kind === 'component' && typeof m.v === 'string' && m.v.startsWith('@deep:'))
    return text.replace(JSON.stringify(m.v), deepText(m.v.slice(6)));
  return text;
}

/** A copy of the valid HF directory with one file replaced. */
function variant(file: HFFile, bytes: Uint8Array | string): { dir: string; path: string } {
  const dir = freshPath(c, 'hf');
  mkdirSync(dir);
  for (const f of FILES) if (f !== file) copyFileSync(join(c.hfDir, f), join(dir, f));
  const path = join(dir, file);
  writeFileSync(path, bytes);
  return { dir, path };
}

const convertTo = fc.constantFrom('hf' as const, 'gguf' as const, 'llama2c' as const);

/** How often each file's corruptions were refused: most must be (guards against a vacuous property). */
const refusals = new Map<HFFile, number>();

async function judge(file: HFFile, bytes: Uint8Array | string, to: 'hf' | 'gguf' | 'llama2c'): Promise<void> {
  const { dir, path } = variant(file, bytes);
  // loadHF compares config.json with all shards' tensors at once, naming the directory for that
  const names = file === 'tokenizer.json' ? [path] : [path, `${dir}: weights do not match the config`];
  const outcome = judgeLoad(c, dir, undefined, names);
  if (outcome === 'refused') refusals.set(file, (refusals.get(file) ?? 0) + 1);
  await judgeConvert(dir, undefined, to, outcome, names);
}

describe('corrupted HF directories: load as the original or refused, naming the file', () => {
  it('model.safetensors: dtypes (prototype keys too), shapes, offsets, dropped/duplicated keys, header length, truncation', async () => {
    await fc.assert(
      fc.asyncProperty(stMutation, convertTo, async (m, to) => judge('model.safetensors', applySt(m), to)),
      { numRuns: 60 },
    );
    expect(refusals.get('model.safetensors')).toBeGreaterThan(30);
  });

  it('config.json: structural fields changed, dropped or of the wrong type; not JSON', async () => {
    await fc.assert(
      fc.asyncProperty(configMutation, convertTo, async (m, to) => judge('config.json', applyConfig(m), to)),
      { numRuns: 40 },
    );
    expect(refusals.get('config.json')).toBeGreaterThan(20);
  });

  it('tokenizer.json: no model, wrong types, shared/missing/extra ids, bad merges, deep nesting, truncation', async () => {
    await fc.assert(
      fc.asyncProperty(tokMutation, convertTo, async (m, to) => judge('tokenizer.json', applyTok(m), to)),
      { numRuns: 60 },
    );
    expect(refusals.get('tokenizer.json')).toBeGreaterThan(30);
  });
});
