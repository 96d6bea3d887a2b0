// Each IFEval instruction on hand-made responses whose verdict follows from the official rules.
import { describe, expect, it } from 'vitest';
import {
  buildCheck,
  evaluateOne,
  INSTRUCTION_IDS,
  KNOWLEDGE_FREE_IDS,
  looseVariants,
  restrictTo,
  type IfevalInput,
} from '../../src/eval/ifeval/index.ts';

const check = (id: string, kwargs: Record<string, unknown> = {}) => buildCheck(id, kwargs, 'test');

describe('IFEval instruction checks', () => {
  it('registers exactly the 25 official ids', () => {
    expect(INSTRUCTION_IDS.length).toBe(25);
    expect(new Set(INSTRUCTION_IDS).size).toBe(25);
    for (const id of KNOWLEDGE_FREE_IDS) expect(INSTRUCTION_IDS).toContain(id);
  });

  it('keywords: existence is a case-insensitive search, frequency counts matches, forbidden words need word boundaries', () => {
    expect(check('keywords:existence', { keywords: ['Apple', 'pie'] })('I like apple PIES')).toBe(true);
    expect(check('keywords:existence', { keywords: ['apple', 'cake'] })('I like apple pies')).toBe(false);
    const freq = (relation: string, frequency: number) => check('keywords:frequency', { keyword: 'the', frequency, relation });
    expect(freq('at least', 3)('The cat, the dog, and theirs')).toBe(true); // "the" matches inside "theirs" too
    expect(freq('at least', 4)('The cat, the dog, and theirs')).toBe(false);
    expect(freq('less than', 3)('The cat, the dog')).toBe(true);
    const forbidden = check('keywords:forbidden_words', { forbidden_words: ['cat'] });
    expect(forbidden('concatenate')).toBe(true);
    expect(forbidden('a CAT.')).toBe(false);
    expect(forbidden('café_cat')).toBe(true); // `_` is a word character: no boundary before "cat"
    expect(check('keywords:forbidden_words', { forbidden_words: ['été'] })('un été chaud')).toBe(false);
    expect(check('keywords:forbidden_words', { forbidden_words: ['té'] })('un été chaud')).toBe(true); // Unicode \b
  });

  it('letter frequency counts the lowercased character', () => {
    const c = (let_relation: string, let_frequency: number) =>
      check('keywords:letter_frequency', { letter: 'a', let_frequency, let_relation });
    expect(c('at least', 3)('A banana')).toBe(true); // A, a, a, a -> 4
    expect(c('less than', 4)('A banana')).toBe(false);
    expect(c('less than', 5)('A banana')).toBe(true);
    expect(check('keywords:letter_frequency', { letter: '#', let_frequency: 2, let_relation: 'at least' })('#a #b')).toBe(true);
  });

  it('number of words counts \\w+ runs (Unicode letters and digits, underscore joins)', () => {
    const words = (relation: string, num_words: number) => check('length_constraints:number_words', { num_words, relation });
    expect(words('at least', 6)("Don't stop: naïve foo_bar 42!")).toBe(true); // Don, t, stop, naïve, foo_bar, 42
    expect(words('at least', 7)("Don't stop: naïve foo_bar 42!")).toBe(false);
    expect(words('less than', 7)("Don't stop: naïve foo_bar 42!")).toBe(true);
  });

  it('number of sentences', () => {
    const s = (relation: string, num_sentences: number) => check('length_constraints:number_sentences', { num_sentences, relation });
    expect(s('at least', 3)('One. Two! Three?')).toBe(true);
    expect(s('less than', 3)('One. Two! Three?')).toBe(false);
    expect(s('less than', 2)('Dr. Smith arrived at 3.5 p.m. today')).toBe(true);
  });

  it('paragraphs split on *** and an empty inner paragraph fails', () => {
    const p = (n: number) => check('length_constraints:number_paragraphs', { num_paragraphs: n });
    expect(p(2)('a\n***\nb')).toBe(true);
    expect(p(2)('***\na\n***\nb\n***')).toBe(true); // empty first/last pieces are not paragraphs
    expect(p(3)('a *** *** b')).toBe(false); // empty paragraph in the middle
    expect(p(1)('a ** b')).toBe(true);
  });

  it('nth paragraph first word: \\n\\n paragraphs, leading quotes dropped, punctuation ends the word', () => {
    const c = check('length_constraints:nth_paragraph_first_word', { num_paragraphs: 3, nth_paragraph: 2, first_word: 'Hello' });
    expect(c('x\n\n"Hello, world\n\nz')).toBe(true);
    expect(c("x\n\n'hello. there\n\nz")).toBe(true);
    expect(c('x\n\nHelloo\n\nz')).toBe(false);
    expect(c('x\n\nHello\n\nz\n\nw')).toBe(false); // 4 paragraphs
  });

  it('placeholders, postscript, bullets, highlights, sections, title', () => {
    expect(check('detectable_content:number_placeholders', { num_placeholders: 2 })('[name] at [address]')).toBe(true);
    expect(check('detectable_content:number_placeholders', { num_placeholders: 2 })('[name\n] at [address]')).toBe(false);
    expect(check('detectable_content:postscript', { postscript_marker: 'P.S.' })('Bye.\np.s. see you')).toBe(true);
    expect(check('detectable_content:postscript', { postscript_marker: 'P.P.S' })('Bye.\nP. P. S: again')).toBe(true);
    expect(check('detectable_content:postscript', { postscript_marker: 'P.S.' })('Bye. PS see you')).toBe(false);
    const bullets = (n: number) => check('detectable_format:number_bullet_lists', { num_bullets: n });
    expect(bullets(3)('* a\n* b\n- c\n**bold** line')).toBe(true);
    expect(bullets(2)('* a\n* b\n- c')).toBe(false);
    const hl = (n: number) => check('detectable_format:number_highlighted_sections', { num_highlights: n });
    expect(hl(2)('*one* and *two*')).toBe(true);
    expect(hl(3)('*one* and *two*')).toBe(false);
    // `**bold**`: the *…* pattern only finds the empty "**" pairs; the **…** pattern counts it once.
    expect(hl(1)('**bold**')).toBe(true);
    expect(hl(2)('**bold**')).toBe(false);
    expect(hl(2)('*a* **b**')).toBe(true);
    expect(hl(1)('** ** and *\n*')).toBe(false);
    const sec = (n: number) => check('detectable_format:multiple_sections', { section_spliter: 'Section', num_sections: n });
    expect(sec(2)('Section 1\nfoo\nSection 2\nbar')).toBe(true);
    expect(sec(3)('Section 1\nfoo\nSection 2\nbar')).toBe(false);
    expect(check('detectable_format:title')('<<My Poem>>\nroses')).toBe(true);
    expect(check('detectable_format:title')('<< >> and <<\n>>')).toBe(false);
  });

  it('constrained response, json, two responses, repeat prompt, end phrase, quotation, commas, case', () => {
    expect(check('detectable_format:constrained_response')('Well... My answer is maybe.')).toBe(true);
    expect(check('detectable_format:constrained_response')('My answer is Yes.')).toBe(false);
    const json = check('detectable_format:json_format');
    expect(json('```json\n{"a": [1, 2]}\n```')).toBe(true);
    expect(json('{"a": NaN}')).toBe(true); // Python's json.loads takes NaN
    expect(json('{"a": 1,}')).toBe(false);
    expect(json('Here: {"a": 1}')).toBe(false);
    const two = check('combination:two_responses');
    expect(two('first******second')).toBe(true);
    expect(two('same******same')).toBe(false);
    expect(two('a******b******c')).toBe(false);
    expect(two('******a******b******')).toBe(true);
    const rep = check('combination:repeat_prompt', { prompt_to_repeat: 'Say hi. ' });
    expect(rep('  say HI. Hi!')).toBe(true);
    expect(rep('Hi! Say hi.')).toBe(false);
    const end = check('startend:end_checker', { end_phrase: 'Any other questions?' });
    expect(end('Done. any other questions?"  ')).toBe(true);
    expect(end('Any other questions? Yes.')).toBe(false);
    expect(check('startend:quotation')(' "quoted" ')).toBe(true);
    expect(check('startend:quotation')('"')).toBe(false);
    expect(check('punctuation:no_comma')('no commas here')).toBe(true);
    expect(check('punctuation:no_comma')('one, two')).toBe(false);
    expect(check('change_case:english_lowercase')('this is all in lowercase and it is english: 42')).toBe(true);
    expect(check('change_case:english_lowercase')('this is Not all lowercase')).toBe(false);
    expect(check('change_case:english_capital')('THIS IS THE WAY IT WORKS, FOR ALL OF US')).toBe(true);
    expect(check('change_case:english_capital')('C’EST LA VIE ET LE MONDE EST À NOUS, POUR LES AMIS')).toBe(false); // upper, but French
    const caps = (capital_relation: string, capital_frequency: number) =>
      check('change_case:capital_word_frequency', { capital_frequency, capital_relation });
    expect(caps('at least', 4)("I DON'T like NASA's plan")).toBe(true); // I, DO, N'T, NASA
    expect(caps('less than', 4)("I DON'T like NASA's plan")).toBe(false);
    expect(caps('less than', 2)('STATE-OF-THE-ART tech')).toBe(true);
  });

  it('response language', () => {
    const lang = (l: string) => check('language:response_language', { language: l });
    expect(lang('de')('Das ist ein kleiner Text über die Stadt und den Fluss.')).toBe(true);
    expect(lang('de')('This is a small text about the city and the river.')).toBe(false);
    expect(lang('ru')('Это небольшой текст о городе и реке.')).toBe(true);
    expect(lang('bg')('Това е малък текст за града и реката, който ъгъл.')).toBe(true);
    expect(lang('ko')('이것은 작은 텍스트입니다.')).toBe(true);
    expect(lang('hi')('यह एक छोटा पाठ है और यह शहर के बारे में है।')).toBe(true);
    expect(lang('mr')('हा एक छोटा मजकूर आहे आणि तो शहराबद्दल आहे.')).toBe(true);
    expect(lang('fa')('این یک متن کوچک درباره شهر است که پیش از این گفتیم.')).toBe(true);
    expect(lang('ar')('هذا نص صغير عن المدينة والنهر في الليل.')).toBe(true);
    expect(lang('fr')('12345 !!!')).toBe(true); // no letters: langdetect raises and the checker counts it followed
  });

  it('refuses unknown ids, unknown kwargs and the missing or invalid kwargs the official code would randomise', () => {
    expect(() => check('keywords:nonsense')).toThrow(/test: unknown instruction id "keywords:nonsense"/);
    expect(() => check('punctuation:no_comma', { foo: 1 })).toThrow(/takes no argument "foo"/);
    expect(() => check('length_constraints:number_words', { num_words: 10 })).toThrow(/"relation" must be "less than" or "at least"/);
    expect(() => check('length_constraints:number_words', { num_words: -1, relation: 'at least' })).toThrow(
      /"num_words" must be an integer ≥ 0/,
    );
    expect(() => check('keywords:letter_frequency', { letter: 'ab', let_frequency: 1, let_relation: 'at least' })).toThrow(/one character/);
    expect(() => check('length_constraints:nth_paragraph_first_word', { num_paragraphs: 2, nth_paragraph: 3, first_word: 'a' })).toThrow(
      /beyond num_paragraphs/,
    );
    expect(() => check('language:response_language', { language: 'xx' })).toThrow(/not one IFEval knows/);
    expect(() => check('keywords:existence', { keywords: ['('] })).toThrow(/not a usable regular expression/);
    // Hugging Face's copy writes every kwarg with nulls: those count as absent.
    expect(check('punctuation:no_comma', { num_words: null, relation: null })('ok')).toBe(true);
  });
});

describe('IFEval strict and loose', () => {
  const inp: IfevalInput = {
    key: 1,
    prompt: 'p',
    instruction_id_list: ['startend:quotation', 'punctuation:no_comma', 'detectable_format:title'],
    kwargs: [{}, {}, {}],
  };

  it('lists the 8 loose variants in the official order', () => {
    expect(looseVariants('Sure!\n*"a*b"*\nBye')).toEqual([
      'Sure!\n*"a*b"*\nBye',
      'Sure!\n"ab"\nBye',
      '*"a*b"*\nBye',
      'Sure!\n*"a*b"*',
      '*"a*b"*',
      '"ab"\nBye',
      'Sure!\n"ab"',
      '"ab"',
    ]);
  });

  it('strict takes the response as is; loose accepts a variant; an empty response follows nothing', () => {
    const r = 'Sure, here it is:\n*"quoted <<t>>"*\nEnjoy';
    const strict = evaluateOne(inp, r, 'strict');
    expect(strict.follow_instruction_list).toEqual([false, false, true]);
    expect(strict.follow_all_instructions).toBe(false);
    const loose = evaluateOne(inp, r, 'loose');
    expect(loose.follow_instruction_list).toEqual([true, true, true]);
    expect(loose.follow_all_instructions).toBe(true);
    expect(
      evaluateOne({ ...inp, instruction_id_list: ['punctuation:no_comma'], kwargs: [{}] }, '  \n', 'loose').follow_instruction_list,
    ).toEqual([false]);
  });

  it('restrictTo keeps only the subset ids and drops prompts left empty', () => {
    const other: IfevalInput = { key: 2, prompt: 'q', instruction_id_list: ['detectable_format:title'], kwargs: [{}] };
    const r = restrictTo([inp, other], KNOWLEDGE_FREE_IDS);
    expect(r.map((i) => i.key)).toEqual([1]);
    expect(r[0]!.instruction_id_list).toEqual(['startend:quotation', 'punctuation:no_comma']);
    expect(r[0]!.kwargs).toEqual([{}, {}]);
  });
});
