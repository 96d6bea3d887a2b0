// The training-free rules adapter of Hewitt et al. 2024 (section 6), as its code
// (open_instruct/combined_model.py) applies it. Three rules, each a logit processor added to
// log_softmax(base):
//   eos        EOS += multiplier · scale · (L − start)/(end − start) for start < L < end, where L is
//              the number of ids after the last match of the tail of tokenize("\n<|assistant|>\n")
//              (the response so far); 3 · 5 · L/250 by default, 0 from 250 on unless keepRamping.
//   diversity  −penalty once for every distinct id after the last match of the tail of
//              tokenize("\n<|user|>\n") (instruction, assistant tag and response alike).
//   uniform    fixed offsets on 15 tokens, given by their text and mapped to the loaded vocabulary.
// Without a chat prompt (tag not found, where the paper's code would fail) the window is the
// generated ids. The paper's fourth rule, `start`, is off in its reported runs and not built.
import { parseJson, readJsonFile } from '../io/json.ts';
import { bytesToUnicode } from '../tokenizer/pretokenize.ts';
import { CHAT_ASSISTANT, CHAT_USER, type Tokenizer } from '../tokenizer/tokenizer.ts';
import type { DecodeContext, LogitProcessor } from './processors.ts';

export const RULE_NAMES = ['eos', 'uniform', 'diversity'] as const;
export type RuleName = (typeof RULE_NAMES)[number];
/** Which rules run: the typed form every caller passes (parsed once, from a flag or a table). */
export type RuleSet = ReadonlySet<RuleName>;

export interface RuleWeights {
  eos: { scale: number; multiplier: number; start: number; end: number; keepRamping: boolean };
  diversity: { penalty: number };
  /** Token text (a leading space written as ' ') → additive offset. */
  uniform: Record<string, number>;
}

/** The paper's code's values. `What` is −5 there (−3 in the paper's table). */
export function paperRuleWeights(): RuleWeights {
  return {
    eos: { scale: 5, multiplier: 3, start: 0, end: 250, keepRamping: false },
    diversity: { penalty: 1.5 },
    uniform: {
      '<': -4,
      ' <': -4,
      '|': -4,
      ' I': -5,
      I: -5,
      ' We': -3,
      What: -5,
      ' should': -6,
      ' *': 1,
      ' -': 1,
      '   ': 1,
      ' #': 1,
      ' ##': 1,
      '\n': 1,
      '!': 1,
    },
  };
}

/** "eos,uniform,diversity" (any subset, any order) → the set; unknown or repeated names are refused. */
export function parseRules(spec: string): Set<RuleName> {
  const out = new Set<RuleName>();
  for (const raw of spec.split(',')) {
    const name = raw.trim();
    if (name === '') continue;
    if (name === 'start')
      throw new Error(
        'rules: "start" (the paper code\'s first-token rule) is off in the paper\'s reported runs and not implemented; choose from eos, uniform, diversity',
      );
    if (!(RULE_NAMES as readonly string[]).includes(name))
      throw new Error(`rules: unknown rule "${name}" (choose from ${RULE_NAMES.join(', ')})`);
    if (out.has(name as RuleName)) throw new Error(`rules: "${name}" is given twice`);
    out.add(name as RuleName);
  }
  return out;
}

/** Paper weights with `overrides` applied; every field is checked and unknown fields are refused. */
export function ruleWeights(overrides: unknown = {}, where = 'rule weights'): RuleWeights {
  const w = paperRuleWeights();
  const obj = (v: unknown, path: string): Record<string, unknown> => {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new Error(`${where}: ${path} must be an object`);
    return v as Record<string, unknown>;
  };
  const num = (v: unknown, path: string): number => {
    if (typeof v !== 'number' || !Number.isFinite(v))
      throw new Error(`${where}: ${path} must be a finite number, got ${JSON.stringify(v)}`);
    return v;
  };
  const top = obj(overrides, 'the top level');
  for (const [k, v] of Object.entries(top)) {
    if (k === 'eos') {
      for (const [f, x] of Object.entries(obj(v, 'eos'))) {
        if (f === 'keepRamping') {
          if (typeof x !== 'boolean') throw new Error(`${where}: eos.keepRamping must be true or false`);
          w.eos.keepRamping = x;
        } else if (f === 'scale' || f === 'multiplier' || f === 'start' || f === 'end') w.eos[f] = num(x, `eos.${f}`);
        else throw new Error(`${where}: unknown field eos.${f} (scale, multiplier, start, end, keepRamping)`);
      }
      if (!(w.eos.end > w.eos.start)) throw new Error(`${where}: eos.end (${w.eos.end}) must exceed eos.start (${w.eos.start})`);
    } else if (k === 'diversity') {
      for (const [f, x] of Object.entries(obj(v, 'diversity'))) {
        if (f !== 'penalty') throw new Error(`${where}: unknown field diversity.${f} (penalty)`);
        w.diversity.penalty = num(x, 'diversity.penalty');
      }
    } else if (k === 'uniform') {
      for (const [text, x] of Object.entries(obj(v, 'uniform'))) {
        if (text === '') throw new Error(`${where}: uniform has an empty token text`);
        // defined, not assigned: a token text such as "__proto__" is a key like any other
        Object.defineProperty(w.uniform, text, {
          value: num(x, `uniform[${JSON.stringify(text)}]`),
          enumerable: true,
          writable: true,
          configurable: true,
        });
      }
    } else throw new Error(`${where}: unknown field "${k}" (eos, diversity, uniform)`);
  }
  return w;
}

/**
 * Weight overrides (see ruleWeights) from `--rules-weights`: inline JSON (text starting with "{",
 * as `heed generate --help` shows) or the path of a JSON file; errors name the file or the flag.
 */
export function readRuleWeights(spec: string): RuleWeights {
  if (spec.trimStart().startsWith('{')) {
    const where = 'rule weights (inline JSON)';
    return ruleWeights(parseJson(spec, where, 'value'), where);
  }
  return ruleWeights(readJsonFile(spec, 'rule weights file'), `rule weights ${spec}`);
}

/**
 * The vocabulary id spelling `text`, trying SentencePiece (`▁` for a space), llama2.c files
 * (plain spaces), byte-level BPE (`Ġ`, `Ċ`, …) and finally a byte-fallback piece (`<0x0A>`).
 */
export function tokenIdForText(tok: Tokenizer, text: string): number | undefined {
  const bytes = new TextEncoder().encode(text);
  const table = bytesToUnicode();
  const candidates = [text.replaceAll(' ', '\u2581'), text, Array.from(bytes, (b) => table[b]!).join('')];
  if (bytes.length === 1) candidates.push(`<0x${bytes[0]!.toString(16).toUpperCase().padStart(2, '0')}>`);
  for (const c of candidates) {
    const id = tok.pieceToId(c);
    if (id !== undefined) return id;
  }
  return undefined;
}

/** Index just after the last occurrence of `tag` in `ids`, or -1. */
export function afterLastMatch(ids: readonly number[], tag: readonly number[]): number {
  outer: for (let i = ids.length - tag.length; i >= 0; i--) {
    for (let j = 0; j < tag.length; j++) if (ids[i + j] !== tag[j]) continue outer;
    return i + tag.length;
  }
  return -1;
}

/** The paper's tag: the last 5 ids of tokenize(text) (without BOS). */
export function tagIds(tok: Tokenizer, text: string): number[] {
  return tok.encode(text).slice(-5);
}

/** ids from the window's start (after the last tag match; the generated ids when there is none). */
function windowStart(ctx: DecodeContext, tag: readonly number[]): { ids: number[]; start: number } {
  const ids = [...ctx.promptIds, ...ctx.generatedIds];
  const at = afterLastMatch(ids, tag);
  return { ids, start: at >= 0 ? at : ctx.promptIds.length };
}

export class EosRule implements LogitProcessor {
  readonly name = 'eos';
  private readonly tag: number[];
  constructor(
    tok: Tokenizer,
    private readonly w: RuleWeights['eos'],
    private readonly eosId = tok.eos,
  ) {
    this.tag = tagIds(tok, `\n${CHAT_ASSISTANT}\n`);
  }
  /** The boost for a response of L ids so far. */
  boost(L: number): number {
    const { scale, multiplier, start, end, keepRamping } = this.w;
    if (!(L > start && (L < end || keepRamping))) return 0;
    return multiplier * Math.max(0, (scale * (L - start)) / (end - start));
  }
  apply(scores: Float64Array, ctx: DecodeContext): void {
    const { ids, start } = windowStart(ctx, this.tag);
    scores[this.eosId] = scores[this.eosId]! + this.boost(ids.length - start);
  }
}

export class DiversityRule implements LogitProcessor {
  readonly name = 'diversity';
  private readonly tag: number[];
  constructor(
    tok: Tokenizer,
    private readonly penalty: number,
  ) {
    this.tag = tagIds(tok, `\n${CHAT_USER}\n`);
  }
  apply(scores: Float64Array, ctx: DecodeContext): void {
    const { ids, start } = windowStart(ctx, this.tag);
    const seen = new Set<number>();
    for (let i = start; i < ids.length; i++) seen.add(ids[i]!);
    for (const id of seen) scores[id] = scores[id]! - this.penalty;
  }
}

/** The paper's code assigns each offset into a zero vector; with distinct ids that is the same as
 *  adding. Two texts that map to one id here (possible in another vocabulary) add up. */
export class UniformRule implements LogitProcessor {
  readonly name = 'uniform';
  /** id → offset, for the texts the vocabulary has. */
  readonly offsets = new Map<number, number>();
  /** Texts the vocabulary has no single token for. */
  readonly missing: string[] = [];
  constructor(tok: Tokenizer, table: Record<string, number>) {
    for (const [text, offset] of Object.entries(table)) {
      const id = tokenIdForText(tok, text);
      if (id === undefined) this.missing.push(text);
      else this.offsets.set(id, (this.offsets.get(id) ?? 0) + offset);
    }
  }
  apply(scores: Float64Array): void {
    for (const [id, off] of this.offsets) scores[id] = scores[id]! + off;
  }
}

export interface RulesAdapter {
  rules: ReadonlySet<RuleName>;
  weights: RuleWeights;
  processors: LogitProcessor[];
  /** Uniform-rule texts the loaded vocabulary lacks (empty when the rule is off). */
  missing: string[];
}

export interface RulesAdapterOptions {
  /** The id the eos rule boosts: the token that ends this model's responses (default tok.eos;
   *  llama2.c's story models end a text with BOS instead). */
  eosId?: number;
}

/** The enabled rules as processors, in the paper's order (uniform, diversity, eos). */
export function rulesAdapter(
  tok: Tokenizer,
  rules: RuleSet,
  weights: RuleWeights = paperRuleWeights(),
  opts: RulesAdapterOptions = {},
): RulesAdapter {
  const eosId = opts.eosId ?? tok.eos;
  if (!(Number.isInteger(eosId) && eosId >= 0 && eosId < tok.vocabSize))
    throw new Error(`rules: eos id ${eosId} is outside the vocabulary (size ${tok.vocabSize})`);
  const processors: LogitProcessor[] = [];
  let missing: string[] = [];
  if (rules.has('uniform')) {
    const u = new UniformRule(tok, weights.uniform);
    missing = u.missing;
    processors.push(u);
  }
  if (rules.has('diversity')) processors.push(new DiversityRule(tok, weights.diversity.penalty));
  if (rules.has('eos')) processors.push(new EosRule(tok, weights.eos, eosId));
  return { rules, weights, processors, missing };
}
