import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { processLogits } from '../../src/decode/processors.ts';
import {
  DiversityRule,
  EosRule,
  UniformRule,
  afterLastMatch,
  paperRuleWeights,
  parseRules,
  readRuleWeights,
  ruleWeights,
  rulesAdapter,
  tagIds,
  tokenIdForText,
} from '../../src/decode/rules.ts';
import { loadLlama2cTokenizer } from '../../src/tokenizer/llama2c.ts';
import { chatText } from '../../src/tokenizer/tokenizer.ts';
import { dataPath } from '../../src/util/dataRoot.ts';
import { HAND_PIECES, handTokenizer } from './handVocab.ts';

const tok = handTokenizer();
const V = HAND_PIECES.length;
const zeros = () => new Float64Array(V);
// <s> <|user|>\n hello world\n<|assistant|>\n  (ids read off HAND_PIECES)
const prompt = [1, ...tok.encode(chatText('hello world'))];

describe('rules adapter on a hand-made vocabulary', () => {
  it('the prompt and the tags tokenize as expected (the basis of the hand-computed values)', () => {
    expect(prompt).toEqual([1, 4, 5, 6, 5, 8, 3, 25, 22, 3, 4, 5, 7, 5, 8, 3]);
    expect(tagIds(tok, '\n<|user|>\n')).toEqual([5, 6, 5, 8, 3]);
    expect(tagIds(tok, '\n<|assistant|>\n')).toEqual([5, 7, 5, 8, 3]);
    expect(afterLastMatch(prompt, [5, 6, 5, 8, 3])).toBe(7);
    expect(afterLastMatch(prompt, [5, 7, 5, 8, 3])).toBe(16);
    expect(afterLastMatch(prompt, [9, 9])).toBe(-1);
  });

  it('uniform: the 15 offsets land on their ids, whatever the position', () => {
    const u = new UniformRule(tok, paperRuleWeights().uniform);
    expect(u.missing).toEqual([]);
    const s = zeros();
    u.apply(s);
    const want = zeros();
    const set: [number, number][] = [
      [4, -4],
      [20, -4],
      [5, -4],
      [9, -5],
      [10, -5],
      [11, -3],
      [12, -5],
      [13, -6],
      [14, 1],
      [15, 1],
      [16, 1],
      [17, 1],
      [18, 1],
      [3, 1],
      [19, 1],
    ];
    for (const [id, v] of set) want[id] = v;
    expect(Array.from(s)).toEqual(Array.from(want));
    // a vocabulary without " should" and "!" reports them and leaves the rest
    const small = handTokenizer(HAND_PIECES.map((p) => (p === ' should' || p === '!' ? `unused${p}` : p)));
    const u2 = new UniformRule(small, paperRuleWeights().uniform);
    expect(u2.missing).toEqual([' should', '!']);
    expect(u2.offsets.size).toBe(13);
  });

  it('diversity: −1.5 once per distinct id after the last <|user|> tag (instruction included), not per occurrence', () => {
    const d = new DiversityRule(tok, 1.5);
    const s = zeros();
    d.apply(s, { promptIds: prompt, generatedIds: [23, 23, 24, 23] });
    // window: hello(25) ' world'(22) \n(3) < | assistant | > \n, then a a b a
    const want = zeros();
    for (const id of [25, 22, 3, 4, 5, 7, 8, 23, 24]) want[id] = -1.5;
    expect(Array.from(s)).toEqual(Array.from(want));
    // a second user turn moves the window: only what follows it counts
    const s2 = zeros();
    d.apply(s2, { promptIds: [...prompt, 23, ...tok.encode('\n<|user|>\n'), 24], generatedIds: [] });
    const want2 = zeros();
    want2[24] = -1.5;
    expect(Array.from(s2)).toEqual(Array.from(want2));
    // no tag at all: the window is the generated ids
    const s3 = zeros();
    d.apply(s3, { promptIds: [1, 25, 22], generatedIds: [24] });
    expect(s3[24]).toBe(-1.5);
    expect(s3[25]).toBe(0);
  });

  it('eos: +3·5·L/250 for 0 < L < 250 with L the response length so far; 0 from 250 unless keepRamping', () => {
    const e = new EosRule(tok, paperRuleWeights().eos);
    const at = (L: number, rule = e) => {
      const s = zeros();
      rule.apply(s, { promptIds: prompt, generatedIds: new Array<number>(L).fill(23) });
      expect(Array.from(s).filter((v, i) => i !== 2 && v !== 0)).toEqual([]);
      return s[2]!;
    };
    expect(at(0)).toBe(0);
    expect(at(1)).toBeCloseTo(0.06, 12);
    expect(at(125)).toBeCloseTo(7.5, 12);
    expect(at(249)).toBeCloseTo(14.94, 12);
    expect(at(250)).toBe(0);
    expect(at(600)).toBe(0);
    const ramp = new EosRule(tok, ruleWeights({ eos: { keepRamping: true } }).eos);
    expect(at(300, ramp)).toBeCloseTo(18, 12);
  });

  it('the pipeline is log_softmax(base) + Σ rules, and any subset of rules can run', () => {
    const logits = Float32Array.from({ length: V }, (_, i) => Math.sin(i) * 3);
    const ctx = { promptIds: prompt, generatedIds: [23, 24] };
    const all = rulesAdapter(tok, parseRules('eos,uniform,diversity'));
    expect(all.processors.map((p) => p.name)).toEqual(['uniform', 'diversity', 'eos']);
    const got = processLogits(logits, 0, V, all.processors, ctx);
    let max = -Infinity;
    for (const l of logits) max = Math.max(max, l);
    const lse = max + Math.log(Array.from(logits).reduce((a, l) => a + Math.exp(l - max), 0));
    const rules = zeros();
    for (const p of all.processors) p.apply(rules, ctx);
    for (let i = 0; i < V; i++) expect(got[i]).toBeCloseTo(logits[i]! - lse + rules[i]!, 10);
    expect(rules[2]).toBeCloseTo(0.12, 12);
    expect(rules[23]).toBe(-1.5 + 0);
    expect(rules[4]).toBe(-4 - 1.5);
    const onlyEos = rulesAdapter(tok, parseRules('eos'));
    expect(onlyEos.processors.map((p) => p.name)).toEqual(['eos']);
    expect(rulesAdapter(tok, parseRules('')).processors).toEqual([]);
  });

  it('rule names and weight files are checked', () => {
    expect([...parseRules('diversity, eos')]).toEqual(['diversity', 'eos']);
    expect(() => parseRules('eos,length')).toThrow(/unknown rule "length"/);
    expect(() => parseRules('start')).toThrow(/not implemented/);
    const w = ruleWeights({ uniform: { What: -3, ' hello': 2 }, diversity: { penalty: 1 }, eos: { end: 100 } });
    expect(w.uniform.What).toBe(-3);
    expect(w.uniform[' hello']).toBe(2);
    expect(w.diversity.penalty).toBe(1);
    expect(w.eos).toEqual({ scale: 5, multiplier: 3, start: 0, end: 100, keepRamping: false });
    expect(() => ruleWeights({ eos: { scale: '5' } })).toThrow(/eos.scale must be a finite number/);
    expect(() => ruleWeights({ eos: { end: 0 } })).toThrow(/eos.end \(0\) must exceed eos.start/);
    expect(() => ruleWeights({ typo: 1 })).toThrow(/unknown field "typo"/);
    expect(() => ruleWeights([])).toThrow(/must be an object/);
    const dir = mkdtempSync(join(tmpdir(), 'heed-rules-'));
    writeFileSync(join(dir, 'ok.json'), '{"uniform": {"What": -3}}');
    writeFileSync(join(dir, 'bad.json'), '{"uniform": ');
    expect(readRuleWeights(join(dir, 'ok.json')).uniform.What).toBe(-3);
    expect(() => readRuleWeights(join(dir, 'bad.json'))).toThrow(/bad\.json: the rule weights file is not valid JSON/);
  });
});

describe('rules adapter on the Llama-2 32k vocabulary', () => {
  const llama = loadLlama2cTokenizer(dataPath('llama2c-tokenizer-32k', 'tokenizer.bin'));
  it("maps the 15 uniform texts to exactly the paper code's ids", () => {
    const texts = Object.keys(paperRuleWeights().uniform);
    expect(texts.map((t) => tokenIdForText(llama, t))).toEqual([
      29966, 529, 29989, 306, 29902, 1334, 5618, 881, 334, 448, 1678, 396, 444, 13, 29991,
    ]);
    expect(new UniformRule(llama, paperRuleWeights().uniform).missing).toEqual([]);
  });
  it('finds the tags the way the paper does (last 5 ids) inside a rendered chat prompt', () => {
    const p = llama.encode(chatText('Hi'), { bos: true });
    expect(tagIds(llama, '\n<|user|>\n')).toEqual([29989, 1792, 29989, 29958, 13]);
    expect(afterLastMatch(p, tagIds(llama, '\n<|user|>\n'))).toBe(7);
    expect(afterLastMatch(p, tagIds(llama, '\n<|assistant|>\n'))).toBe(p.length);
  });
});
