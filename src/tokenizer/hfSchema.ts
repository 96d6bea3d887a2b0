// The one schema check for tokenizer.json, run before anything is built from it: field types, own
// keys only, ids that run 0..N-1 with one piece each, added tokens that agree with the vocabulary,
// and merges that name known tokens (HF's own loader refuses those too). Every message names the
// file and the field.
import { JsonFields, own, show } from '../io/jsonFields.ts';
import type { JsonObject } from '../io/jsonFields.ts';
import type { HFAddedToken, HFModel, HFNormalizer, HFPattern, HFPreTokenizer, HFTokenizerJSON } from './hf.ts';

/** Sequences of normalizers / pre-tokenizers nested deeper than this are refused (real files nest 1-2). */
const MAX_NESTING = 8;
/** Largest token id accepted: ids index arrays, and every real vocabulary is far below this. */
const MAX_ID = 2 ** 31 - 1;

function pattern(j: JsonFields, o: JsonObject, where: string): HFPattern | undefined {
  const p = j.optObject(o, 'pattern', where);
  if (!p) return undefined;
  const out: HFPattern = {};
  const s = j.optString(p, 'String', `${where}.pattern`);
  const r = j.optString(p, 'Regex', `${where}.pattern`);
  if (s !== undefined) out.String = s;
  if (r !== undefined) out.Regex = r;
  return out;
}

function normalizer(j: JsonFields, v: unknown, where: string, depth: number): HFNormalizer {
  if (depth > MAX_NESTING) j.fail(`${where}: normalizers nested more than ${MAX_NESTING} deep`);
  const o = j.object(v, where);
  const n: HFNormalizer = { type: j.string(j.need(o, 'type', where), `${where}.type`) };
  // a Sequence must list its parts (HF's loader refuses one without them)
  const subs = n.type === 'Sequence' ? j.array(j.need(o, 'normalizers', where), `${where}.normalizers`) : undefined;
  if (subs) n.normalizers = subs.map((s, i) => normalizer(j, s, `${where}.normalizers[${i}]`, depth + 1));
  const prepend = j.optString(o, 'prepend', where);
  if (prepend !== undefined) n.prepend = prepend;
  const content = j.optString(o, 'content', where);
  if (content !== undefined) n.content = content;
  const pat = pattern(j, o, where);
  if (pat) n.pattern = pat;
  return n;
}

function preTokenizer(j: JsonFields, v: unknown, where: string, depth: number): HFPreTokenizer {
  if (depth > MAX_NESTING) j.fail(`${where}: pre-tokenizers nested more than ${MAX_NESTING} deep`);
  const o = j.object(v, where);
  const p: HFPreTokenizer = { type: j.string(j.need(o, 'type', where), `${where}.type`) };
  const subs = p.type === 'Sequence' ? j.array(j.need(o, 'pretokenizers', where), `${where}.pretokenizers`) : undefined;
  if (subs) p.pretokenizers = subs.map((s, i) => preTokenizer(j, s, `${where}.pretokenizers[${i}]`, depth + 1));
  for (const k of ['behavior', 'replacement', 'prepend_scheme'] as const) {
    const s = j.optString(o, k, where);
    if (s !== undefined) p[k] = s;
  }
  for (const k of ['invert', 'add_prefix_space', 'use_regex', 'individual_digits', 'split'] as const) {
    const b = j.optBoolean(o, k, where);
    if (b !== undefined) p[k] = b;
  }
  const pat = pattern(j, o, where);
  if (pat) p.pattern = pat;
  return p;
}

/** The component types named anywhere in a decoder (bounded walk; the rest is not interpreted). */
function decoderTypes(j: JsonFields, v: unknown, where: string, depth: number, out: string[]): void {
  if (v === null || v === undefined) return;
  if (depth > MAX_NESTING) j.fail(`${where}: decoders nested more than ${MAX_NESTING} deep`);
  const o = j.object(v, where);
  const type = j.string(j.need(o, 'type', where), `${where}.type`);
  out.push(type);
  const subs = type === 'Sequence' ? j.array(j.need(o, 'decoders', where), `${where}.decoders`) : undefined;
  subs?.forEach((s, i) => decoderTypes(j, s, `${where}.decoders[${i}]`, depth + 1, out));
}

function addedToken(j: JsonFields, v: unknown, where: string): HFAddedToken {
  const o = j.object(v, where);
  const t: HFAddedToken = {
    id: j.int(j.need(o, 'id', where), `${where}.id`, 0, MAX_ID),
    content: j.string(j.need(o, 'content', where), `${where}.content`),
  };
  if (t.content === '') j.fail(`${where}.content is empty`);
  for (const k of ['single_word', 'lstrip', 'rstrip', 'normalized', 'special'] as const) {
    const b = j.optBoolean(o, k, where);
    if (b !== undefined) t[k] = b;
  }
  return t;
}

function mergePair(j: JsonFields, m: unknown, where: string): [string, string] {
  if (typeof m === 'string') {
    const i = m.indexOf(' ', 1); // older format "a b"; pieces never hold a plain space here
    if (i < 0 || i === m.length - 1) j.fail(`${where} is ${show(m)}, not "left right"`);
    return [m.slice(0, i), m.slice(i + 1)];
  }
  if (!Array.isArray(m) || m.length !== 2 || typeof m[0] !== 'string' || typeof m[1] !== 'string')
    j.fail(`${where} is ${show(m)}, neither "left right" nor ["left", "right"]`);
  return [(m as string[])[0]!, (m as string[])[1]!];
}

/** Which components the tokenizer uses, for picking the tokenizer kind. */
export interface CheckedTokenizerJSON extends HFTokenizerJSON {
  model: HFModel & { merges: Array<[string, string]> };
  /** Component types named by pre_tokenizer and decoder. */
  componentTypes: string[];
}

/** Validates a parsed tokenizer.json and returns it with merges as pairs; throws naming `source`. */
export function checkTokenizerJSON(raw: unknown, source: string): CheckedTokenizerJSON {
  const j = new JsonFields(source);
  const root = j.object(raw, 'the top level');
  const m = j.object(j.need(root, 'model', 'the top level'), 'model');
  const type = j.string(j.need(m, 'type', 'model'), 'model.type');
  if (type !== 'BPE') j.fail(`model.type is ${JSON.stringify(type)}; heed reads only BPE tokenizers`);

  const vocabObj = j.object(j.need(m, 'vocab', 'model'), 'model.vocab');
  const vocab: Record<string, number> = Object.create(null) as Record<string, number>;
  const pieceById = new Map<number, string>();
  for (const [piece, v] of Object.entries(vocabObj)) {
    const id = j.int(v, `model.vocab[${show(piece)}]`, 0, MAX_ID);
    const other = pieceById.get(id);
    if (other !== undefined) j.fail(`model.vocab gives id ${id} to two pieces, ${show(other)} and ${show(piece)}`);
    pieceById.set(id, piece);
    vocab[piece] = id;
  }

  // null is not "absent" here: tokenizers writes [] for none and refuses null (its list is not optional),
  // and a null list would silently drop the special tokens' types.
  if (own(root, 'added_tokens') === null) j.fail('added_tokens is null; expected a list (possibly empty)');
  const addedRaw = j.optArray(root, 'added_tokens', 'the top level') ?? [];
  const added = addedRaw.map((t, i) => addedToken(j, t, `added_tokens[${i}]`));
  const addedById = new Map<number, string>();
  const addedByContent = new Map<string, number>();
  for (const [i, t] of added.entries()) {
    const where = `added_tokens[${i}] (${show(t.content)}, id ${t.id})`;
    const sameId = addedById.get(t.id);
    if (sameId !== undefined && sameId !== t.content) j.fail(`${where}: id ${t.id} is already ${show(sameId)}`);
    const sameContent = addedByContent.get(t.content);
    if (sameContent !== undefined && sameContent !== t.id) j.fail(`${where}: ${show(t.content)} already has id ${sameContent}`);
    const inVocab = own(vocabObj, t.content);
    if (inVocab !== undefined && inVocab !== t.id) j.fail(`${where}: model.vocab gives ${show(t.content)} id ${show(inVocab)}`);
    const vocabPiece = pieceById.get(t.id);
    if (vocabPiece !== undefined && vocabPiece !== t.content)
      j.fail(`${where}: model.vocab already gives id ${t.id} to ${show(vocabPiece)}`);
    addedById.set(t.id, t.content);
    addedByContent.set(t.content, t.id);
  }
  // Ids index the embedding matrix: they must run 0..N-1 with no gaps.
  const ids = new Set([...pieceById.keys(), ...addedById.keys()]);
  for (let id = 0; id < ids.size; id++)
    if (!ids.has(id)) j.fail(`no token has id ${id}, yet ${ids.size} tokens are defined (ids must run 0..${ids.size - 1} without gaps)`);

  // HF's BPE loader requires both vocab and merges (an empty list is a tokenizer without merges)
  const mergesRaw = j.array(j.need(m, 'merges', 'model'), 'model.merges');
  const merges = mergesRaw.map((x, i): [string, string] => {
    const pair = mergePair(j, x, `model.merges[${i}]`);
    for (const p of [pair[0], pair[1], pair[0] + pair[1]])
      if (!Object.hasOwn(vocab, p)) j.fail(`model.merges[${i}] (${show(pair)}) names ${show(p)}, which is not in model.vocab`);
    return pair;
  });
  // Without merges (and without ignore_merges' whole-word lookup) BPE never emits a piece longer
  // than one character: a vocabulary full of them means the merges were lost, not that there are none.
  if (merges.length === 0 && own(m, 'ignore_merges') !== true) {
    const BYTE_PIECE = /^<0x[0-9A-Fa-f]{2}>$/;
    const unreachable = Object.keys(vocab).filter((p) => [...p].length > 1 && !addedByContent.has(p) && !BYTE_PIECE.test(p));
    if (unreachable.length)
      j.fail(
        `model.merges is empty, yet model.vocab has ${unreachable.length} multi-character pieces (e.g. ${show(unreachable[0])}) that only merges can produce`,
      );
  }

  const unk = j.optString(m, 'unk_token', 'model');
  if (unk !== undefined && !Object.hasOwn(vocab, unk) && !addedByContent.has(unk))
    j.fail(`model.unk_token ${show(unk)} is not in model.vocab`);
  for (const k of ['continuing_subword_prefix', 'end_of_word_suffix'] as const) {
    const s = j.optString(m, k, 'model');
    if (s) j.fail(`model.${k} ${show(s)} is not supported`);
  }
  const dropout = j.opt(m, 'dropout');
  if (dropout !== undefined && dropout !== 0) j.fail(`model.dropout ${show(dropout)} is not supported (only null or 0)`);

  const model: CheckedTokenizerJSON['model'] = { type, vocab, merges };
  if (unk !== undefined) model.unk_token = unk;
  for (const k of ['byte_fallback', 'fuse_unk', 'ignore_merges'] as const) {
    const b = j.optBoolean(m, k, 'model');
    if (b !== undefined) model[k] = b;
  }

  const out: CheckedTokenizerJSON = { model, added_tokens: added, componentTypes: [] };
  const norm = j.opt(root, 'normalizer');
  if (norm !== undefined) out.normalizer = normalizer(j, norm, 'normalizer', 1);
  const pre = j.opt(root, 'pre_tokenizer');
  if (pre !== undefined) out.pre_tokenizer = preTokenizer(j, pre, 'pre_tokenizer', 1);
  const walkPre = (p: HFPreTokenizer | undefined): void => {
    if (!p) return;
    out.componentTypes.push(p.type);
    p.pretokenizers?.forEach(walkPre);
  };
  walkPre(out.pre_tokenizer ?? undefined);
  decoderTypes(j, j.opt(root, 'decoder'), 'decoder', 1, out.componentTypes);
  return out;
}
