// Hugging Face tokenizer.json: load the Llama-2 kind (BPE + byte fallback + Metaspace/Prepend)
// as SentencePieceBPE and the byte-level kind (GPT-2, Llama-3, SmolLM) as ByteLevelBPE, and
// write a SentencePieceBPE back out. Only the components those families use are interpreted;
// anything else throws rather than silently encoding differently.
import { namingErrors, parseJson, readTextFile } from '../io/files.ts';
import { checkTokenizerJSON } from './hfSchema.ts';
import type { CheckedTokenizerJSON } from './hfSchema.ts';
import { TokenType } from './tokenizer.ts';
import { METASPACE, SentencePieceBPE } from './sentencepiece.ts';
import type { DummyPrefix } from './sentencepiece.ts';
import { ByteLevelBPE } from './bytelevel.ts';
import type { ByteLevelAddedToken } from './bytelevel.ts';
import {
  GPT2_PATTERN,
  bytesToUnicode,
  compileHFRegex,
  digitsPreTokenizer,
  regexPreTokenizer,
  sequencePreTokenizer,
} from './pretokenize.ts';
import type { PreTokenizer } from './pretokenize.ts';
import { parseBytePiece } from './bytes.ts';

export interface HFPattern {
  String?: string;
  Regex?: string;
}

export interface HFNormalizer {
  type: string;
  normalizers?: HFNormalizer[];
  prepend?: string;
  pattern?: HFPattern;
  content?: string;
}

export interface HFPreTokenizer {
  type: string;
  pretokenizers?: HFPreTokenizer[];
  pattern?: HFPattern;
  behavior?: string;
  invert?: boolean;
  add_prefix_space?: boolean;
  use_regex?: boolean;
  individual_digits?: boolean;
  replacement?: string;
  prepend_scheme?: string;
  split?: boolean;
}

export interface HFAddedToken {
  id: number;
  content: string;
  single_word?: boolean;
  lstrip?: boolean;
  rstrip?: boolean;
  normalized?: boolean;
  special?: boolean;
}

export interface HFModel {
  type: string;
  vocab: Record<string, number>;
  merges?: Array<string | [string, string]>;
  unk_token?: string | null;
  byte_fallback?: boolean;
  fuse_unk?: boolean;
  ignore_merges?: boolean;
  dropout?: number | null;
  continuing_subword_prefix?: string | null;
  end_of_word_suffix?: string | null;
}

export interface HFTokenizerJSON {
  version?: string;
  truncation?: unknown;
  padding?: unknown;
  added_tokens?: HFAddedToken[];
  normalizer?: HFNormalizer | null;
  pre_tokenizer?: HFPreTokenizer | null;
  post_processor?: unknown;
  decoder?: unknown;
  model: HFModel;
}

export interface HFLoadOptions {
  /** Content of the BOS / EOS tokens (tokenizer_config.json's bos_token / eos_token). Guessed when absent. */
  bos?: string;
  eos?: string;
}

const BOS_GUESSES = ['<s>', '<|begin_of_text|>', '<|endoftext|>', '<|im_start|>'];
const EOS_GUESSES = ['</s>', '<|end_of_text|>', '<|endoftext|>', '<|im_end|>', '<|eot_id|>'];

export function readHFTokenizer(path: string, opts: HFLoadOptions = {}): SentencePieceBPE | ByteLevelBPE {
  return loadHFTokenizer(parseJson(readTextFile(path, 'tokenizer.json'), path, 'tokenizer.json'), opts, path);
}

/** A tokenizer.json (its text, or parsed) as a tokenizer; the kind follows the components: ByteLevel anywhere means byte-level BPE. */
export function loadHFTokenizer(json: unknown, opts: HFLoadOptions = {}, source = 'tokenizer.json'): SentencePieceBPE | ByteLevelBPE {
  const raw = typeof json === 'string' ? parseJson(json, source, 'tokenizer.json') : json;
  const j = checkTokenizerJSON(raw, source);
  return namingErrors(source, () => (j.componentTypes.includes('ByteLevel') ? buildByteLevel(j, opts) : buildSentencePiece(j, opts)));
}

function findId(j: CheckedTokenizerJSON, wanted: string | undefined, guesses: string[]): number {
  const added = new Map((j.added_tokens ?? []).map((t) => [t.content, t.id]));
  const lookup = (c: string): number | undefined => added.get(c) ?? (Object.hasOwn(j.model.vocab, c) ? j.model.vocab[c] : undefined);
  if (wanted !== undefined) {
    const id = lookup(wanted);
    if (id === undefined) throw new Error(`token ${JSON.stringify(wanted)} is not in the vocabulary`);
    return id;
  }
  for (const g of guesses) {
    const id = lookup(g);
    if (id !== undefined) return id;
  }
  return -1;
}

function flattenNormalizers(n: HFNormalizer | null | undefined): HFNormalizer[] {
  if (!n) return [];
  return n.type === 'Sequence' ? (n.normalizers ?? []).flatMap(flattenNormalizers) : [n];
}

function buildNormalizer(n: HFNormalizer | null | undefined): ((s: string) => string) | undefined {
  const steps = flattenNormalizers(n).map((s): ((x: string) => string) => {
    switch (s.type) {
      case 'NFC':
      case 'NFD':
      case 'NFKC':
      case 'NFKD':
        return (x) => x.normalize(s.type as 'NFC');
      case 'Lowercase':
        return (x) => x.toLowerCase();
      case 'Prepend':
        return (x) => (s.prepend ?? '') + x;
      case 'Replace': {
        if (s.pattern?.String === undefined) throw new Error('Replace normalizer with a regex is not supported');
        const from = s.pattern.String;
        const to = s.content ?? '';
        return (x) => x.replaceAll(from, to);
      }
      default:
        throw new Error(`unsupported normalizer ${s.type}`);
    }
  });
  return steps.length ? (x) => steps.reduce((acc, f) => f(acc), x) : undefined;
}

// ---- SentencePiece-style (Llama-2 kind) ----

export function sentencePieceFromHF(json: HFTokenizerJSON, opts: HFLoadOptions = {}, source = 'tokenizer.json'): SentencePieceBPE {
  const j = checkTokenizerJSON(json, source);
  return namingErrors(source, () => buildSentencePiece(j, opts));
}

function buildSentencePiece(j: CheckedTokenizerJSON, opts: HFLoadOptions): SentencePieceBPE {
  const added = new Map((j.added_tokens ?? []).map((t) => [t.id, t]));
  const byId: string[] = [];
  for (const [p, id] of Object.entries(j.model.vocab)) byId[id] = p;
  for (const t of added.values()) byId[t.id] ??= t.content;
  const n = byId.length;
  const pieces: string[] = [];
  const types: number[] = [];
  const scores: number[] = [];
  for (let id = 0; id < n; id++) {
    const p = byId[id];
    if (p === undefined) throw new Error(`no token has id ${id}`);
    const a = added.get(id);
    let type: number = TokenType.normal;
    if (p === j.model.unk_token) type = TokenType.unknown;
    else if (a) type = a.special ? TokenType.control : TokenType.userDefined;
    else if (j.model.byte_fallback && parseBytePiece(p) >= 0) type = TokenType.byte;
    pieces.push(type === TokenType.normal ? p.replaceAll(METASPACE, ' ') : p);
    types.push(type);
    // tokenizer.json has no scores; vocabulary order is merge order, so -id keeps it for GGUF
    scores.push(type === TokenType.normal ? -id : 0);
  }

  const norms = flattenNormalizers(j.normalizer);
  for (const s of norms) {
    const ok =
      (s.type === 'Prepend' && s.prepend === METASPACE) || (s.type === 'Replace' && s.pattern?.String === ' ' && s.content === METASPACE);
    if (!ok) throw new Error(`unsupported normalizer for SentencePiece BPE: ${JSON.stringify(s)}`);
  }
  let dummyPrefix: DummyPrefix = norms.some((s) => s.type === 'Prepend') ? 'every' : 'none';
  let metaspaceInput = norms.some((s) => s.type === 'Replace');
  const pre = j.pre_tokenizer;
  if (pre) {
    if (pre.type !== 'Metaspace' || (pre.replacement ?? METASPACE) !== METASPACE) {
      throw new Error(`unsupported pre_tokenizer for SentencePiece BPE: ${pre.type}`);
    }
    metaspaceInput = true;
    const scheme = pre.prepend_scheme ?? (pre.add_prefix_space === false ? 'never' : 'always');
    dummyPrefix = scheme === 'first' ? 'first' : scheme === 'never' ? 'none' : 'every';
  }

  return new SentencePieceBPE({
    pieces,
    scores,
    types,
    bos: findId(j, opts.bos, BOS_GUESSES),
    eos: findId(j, opts.eos, EOS_GUESSES),
    unk: j.model.unk_token ? findId(j, j.model.unk_token, []) : -1,
    merges: j.model.merges.map(([a, b]) => [a.replaceAll(METASPACE, ' '), b.replaceAll(METASPACE, ' ')]),
    dummyPrefix,
    metaspaceInput,
    special: [...added.values()].map((t) => ({ id: t.id, content: t.content, lstrip: t.lstrip ?? false, rstrip: t.rstrip ?? false })),
  });
}

/**
 * HF merges for a score-merged model: every split of a piece into two pieces, best score first,
 * which lets rank-based BPE make the same choices as score-based BPE.
 */
function mergesFromScores(tok: SentencePieceBPE): Array<[string, string]> {
  const normal = new Map<string, number>();
  tok.pieces.forEach((p, id) => {
    if (tok.types[id] === TokenType.normal && !normal.has(p)) normal.set(p, id);
  });
  const order = [...normal.values()].sort((a, b) => tok.scores[b]! - tok.scores[a]! || a - b);
  const out: Array<[string, string]> = [];
  for (const id of order) {
    const p = tok.pieces[id]!;
    let left = '';
    const cps = Array.from(p);
    for (let k = 1; k < cps.length; k++) {
      left += cps[k - 1]!;
      const right = p.slice(left.length);
      if (normal.has(left) && normal.has(right)) out.push([left, right]);
    }
  }
  return out;
}

/**
 * 'every' is HF's legacy Llama form (Prepend + Replace normalisers), which HF applies to every run
 * of text between added tokens, exactly like heed. Metaspace would skip the prefix for text that
 * already starts with a space, which could not round-trip.
 */
function hfNormalisation(prefix: DummyPrefix): Pick<HFTokenizerJSON, 'normalizer' | 'pre_tokenizer'> {
  const replace: HFNormalizer = { type: 'Replace', pattern: { String: ' ' }, content: METASPACE };
  if (prefix === 'every') {
    return { normalizer: { type: 'Sequence', normalizers: [{ type: 'Prepend', prepend: METASPACE }, replace] }, pre_tokenizer: null };
  }
  if (prefix === 'none') return { normalizer: replace, pre_tokenizer: null };
  return {
    normalizer: null,
    pre_tokenizer: { type: 'Metaspace', replacement: METASPACE, prepend_scheme: 'first', add_prefix_space: true, split: false },
  };
}

/** tokenizer.json for a SentencePieceBPE (the form HF uses for Llama-2-style tokenizers). */
export function toHFTokenizerJSON(tok: SentencePieceBPE): HFTokenizerJSON {
  const spell = (p: string): string => p.replaceAll(' ', METASPACE);
  const vocab: Record<string, number> = {};
  tok.pieces.forEach((p, id) => {
    const key = tok.types[id] === TokenType.normal ? spell(p) : p;
    if (!Object.hasOwn(vocab, key)) vocab[key] = id;
  });
  const merges = (tok.merges ?? mergesFromScores(tok)).map(([a, b]): [string, string] => [spell(a), spell(b)]);
  const specials = tok.specialTokens();
  const added_tokens: HFAddedToken[] = [...specials].map(([content, id]) => ({
    id,
    content,
    single_word: false,
    lstrip: false,
    rstrip: false,
    normalized: false,
    special: tok.types[id] !== TokenType.userDefined,
  }));
  added_tokens.sort((a, b) => a.id - b.id);
  const bos = tok.bos >= 0 ? tok.pieces[tok.bos]! : undefined;
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens,
    ...hfNormalisation(tok.dummyPrefix),
    post_processor: bos
      ? {
          type: 'TemplateProcessing',
          single: [{ SpecialToken: { id: bos, type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }],
          pair: [
            { SpecialToken: { id: bos, type_id: 0 } },
            { Sequence: { id: 'A', type_id: 0 } },
            { SpecialToken: { id: bos, type_id: 1 } },
            { Sequence: { id: 'B', type_id: 1 } },
          ],
          special_tokens: { [bos]: { id: bos, ids: [tok.bos], tokens: [bos] } },
        }
      : null,
    decoder: {
      type: 'Sequence',
      decoders: [
        { type: 'Replace', pattern: { String: METASPACE }, content: ' ' },
        { type: 'ByteFallback' },
        { type: 'Fuse' },
        ...(tok.dummyPrefix === 'none' ? [] : [{ type: 'Strip', content: ' ', start: 1, stop: 0 }]),
      ],
    },
    model: {
      type: 'BPE',
      dropout: null,
      unk_token: tok.unk >= 0 ? tok.pieces[tok.unk]! : null,
      continuing_subword_prefix: null,
      end_of_word_suffix: null,
      fuse_unk: true,
      byte_fallback: true,
      ignore_merges: false,
      vocab,
      merges,
    },
  };
}

// ---- byte-level (GPT-2 / Llama-3 kind) ----

function buildPreTokenizer(p: HFPreTokenizer | null | undefined): PreTokenizer {
  if (!p) return (text) => [text];
  switch (p.type) {
    case 'Sequence':
      return sequencePreTokenizer((p.pretokenizers ?? []).map(buildPreTokenizer));
    case 'Split': {
      if (p.invert) throw new Error('inverted Split pre-tokenizer is not supported');
      if ((p.behavior ?? 'Isolated') !== 'Isolated') throw new Error(`Split behavior ${p.behavior} is not supported`);
      if (p.pattern?.Regex !== undefined) return regexPreTokenizer(compileHFRegex(p.pattern.Regex));
      const lit = p.pattern?.String;
      if (lit === undefined) throw new Error('Split pre-tokenizer without a pattern');
      return regexPreTokenizer(new RegExp(lit.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&'), 'gu'));
    }
    case 'ByteLevel': {
      // the byte -> character spelling itself is done by ByteLevelBPE
      const split = (p.use_regex ?? true) ? regexPreTokenizer(GPT2_PATTERN) : (t: string) => [t];
      const prefix = p.add_prefix_space ?? false;
      return (text) => split(prefix && !text.startsWith(' ') ? ` ${text}` : text);
    }
    case 'Digits':
      return digitsPreTokenizer(p.individual_digits ?? false);
    default:
      throw new Error(`unsupported pre_tokenizer ${p.type}`);
  }
}

export function byteLevelFromHF(json: HFTokenizerJSON, opts: HFLoadOptions = {}, source = 'tokenizer.json'): ByteLevelBPE {
  const j = checkTokenizerJSON(json, source);
  return namingErrors(source, () => buildByteLevel(j, opts));
}

function buildByteLevel(j: CheckedTokenizerJSON, opts: HFLoadOptions): ByteLevelBPE {
  const added: ByteLevelAddedToken[] = (j.added_tokens ?? []).map((t) => ({
    id: t.id,
    content: t.content,
    lstrip: t.lstrip ?? false,
    rstrip: t.rstrip ?? false,
    special: t.special ?? false,
  }));
  // Byte-level BPE spells every byte as one of 256 characters; a vocabulary without them all
  // cannot encode arbitrary text (and is not the byte-level kind the components claim).
  const byteChars = [...bytesToUnicode()];
  const missing = byteChars.findIndex((ch) => !Object.hasOwn(j.model.vocab, ch));
  if (missing >= 0)
    throw new Error(
      `the components say byte-level BPE, but model.vocab lacks ${JSON.stringify(byteChars[missing])}, the character for byte 0x${missing.toString(16).padStart(2, '0')}`,
    );
  const normalize = buildNormalizer(j.normalizer);
  return new ByteLevelBPE({
    vocab: new Map(Object.entries(j.model.vocab)),
    merges: j.model.merges,
    added,
    preTokenize: buildPreTokenizer(j.pre_tokenizer),
    ...(normalize ? { normalize } : {}),
    ignoreMerges: j.model.ignore_merges ?? false,
    bos: findId(j, opts.bos, BOS_GUESSES),
    eos: findId(j, opts.eos, EOS_GUESSES),
  });
}
