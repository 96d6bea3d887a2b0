// Python string semantics, the sentence counter and the word tokens behind the IFEval checks.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { countSentences, countCapitalWords, detectLanguage, wordTokens } from '../../src/eval/ifeval/index.ts';
import { countWords, pyIsLower, pyIsUpper, pyJsonDumps, pySplitWs, pyStrip } from '../../src/eval/ifeval/pytext.ts';

describe('Python string semantics', () => {
  it('isupper / islower need a cased character and none of the other case', () => {
    expect(pyIsUpper('ABC 123!')).toBe(true);
    expect(pyIsUpper('123')).toBe(false);
    expect(pyIsUpper('ÀÉÎ')).toBe(true);
    expect(pyIsUpper('AbC')).toBe(false);
    expect(pyIsUpper('ǅ')).toBe(false); // titlecase
    expect(pyIsLower('abc, 42')).toBe(true);
    expect(pyIsLower('ß')).toBe(true);
    expect(pyIsLower('ªa')).toBe(true); // ª is Other_Lowercase
    expect(pyIsLower('日本')).toBe(false);
  });

  it('strip uses Python whitespace (U+001C..U+001F and U+0085 yes, U+FEFF no)', () => {
    expect(pyStrip('\x1c\x85 a b\u3000\n')).toBe('a b');
    expect(pyStrip('\ufeffa')).toBe('\ufeffa');
    expect(pyStrip('xxaxx', 'x')).toBe('a');
    expect(pySplitWs('  a\tb\n\nc ')).toEqual(['a', 'b', 'c']);
  });

  it('counts \\w+ words as Python does on str', () => {
    expect(countWords('héllo wörld 12_3 日本語')).toBe(4);
    expect(countWords("it's")).toBe(2);
    expect(countWords('')).toBe(0);
  });

  it('json.dumps: Python separators and ensure_ascii escapes, and it reads back', () => {
    expect(pyJsonDumps({ a: [true, false], b: 'é"\n\u0001😀', c: 3 })).toBe(
      '{"a": [true, false], "b": "\\u00e9\\"\\n\\u0001\\ud83d\\ude00", "c": 3}',
    );
    // UTF-16 units at random: controls, non-ASCII, astral pairs and lone surrogates.
    const units = fc
      .array(fc.oneof(fc.integer({ min: 0, max: 0x7f }), fc.integer({ min: 0, max: 0xffff })), { maxLength: 40 })
      .map((a) => String.fromCharCode(...a));
    fc.assert(
      fc.property(units, (s) => {
        const out = pyJsonDumps(s);
        expect(/^[\x20-\x7e]*$/.test(out)).toBe(true);
        expect(JSON.parse(out)).toBe(s);
      }),
      { numRuns: 300 },
    );
  });
});

describe('sentence counting (punkt rules)', () => {
  it.each([
    ['', 0],
    ['   ', 0],
    ['no end mark at all', 1],
    ['One. Two. Three.', 3],
    ['Wait... What? No!', 3],
    ['Lines\nwithout\nstops', 1],
    ['He said "hi." Then left.', 2],
    ['Dr. Smith met Mr. Jones.', 1],
    ['It costs 3.50 dollars. Cheap.', 2],
    ['J. K. Rowling wrote it.', 1],
    ['We met in o. Let us go.', 2],
    ['1. Apples\n2. Pears', 3],
    ['Item 1. then more', 1],
    ['See e.g. the list. Done.', 2],
    ['**Bold.** Next', 2],
    ['end.Next', 1],
  ])('%j has %i sentences', (text, n) => {
    expect(countSentences(text)).toBe(n);
  });
});

describe('word tokens for capital words', () => {
  it('splits punctuation and contractions as the Treebank tokenizer does', () => {
    expect(wordTokens("I DON'T know, (REALLY)!")).toEqual(['I', 'DO', "N'T", 'know', ',', '(', 'REALLY', ')', '!']);
    expect(wordTokens('CANNOT GONNA U.S. AND/OR')).toEqual(['CAN', 'NOT', 'GON', 'NA', 'U.S.', 'AND/OR']);
    expect(wordTokens("IT'S 10:30,NOW")).toEqual(['IT', "'S", '10:30', ',', 'NOW']);
    expect(countCapitalWords("I'M OK -- REALLY, A-OK")).toBe(5); // I, 'M, OK, REALLY, A-OK
  });
});

describe('language detection', () => {
  it('answers by script, then by function words; nothing to go on gives undefined or "und"', () => {
    expect(detectLanguage('The quick brown fox jumps over the lazy dog.')).toBe('en');
    expect(detectLanguage('El perro come la comida en la casa.')).toBe('es');
    expect(detectLanguage('O cão come a comida em casa e não dorme.')).toBe('pt');
    expect(detectLanguage('Tôi đang học tiếng Việt ở trường đại học.')).toBe('vi');
    expect(detectLanguage('Мені подобається ця книга і її історія.')).toBe('uk');
    expect(detectLanguage('یہ ایک چھوٹا سا متن ہے جو اردو میں لکھا گیا ہے۔')).toBe('ur');
    expect(detectLanguage('これは日本語の文章です。')).toBe('ja');
    expect(detectLanguage('ಇದು ಕನ್ನಡ ಪಠ್ಯ')).toBe('kn');
    expect(detectLanguage('1234 !!! https://example.com')).toBeUndefined();
    expect(detectLanguage('YES')).toBe('und');
  });
});
