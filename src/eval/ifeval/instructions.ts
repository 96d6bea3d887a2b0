// The 25 verifiable instructions of IFEval (google-research instruction_following_eval), each a
// check on a response given the instruction's kwargs from input_data.jsonl. Behaviour follows the
// official instructions.py, including its quirks (keywords are regular expressions, `*` markers
// count as highlights, ...). Where the official code would draw a random argument for a missing
// or out-of-range kwarg, heed refuses the input instead: a random threshold makes no evaluation.
import { countCapitalWords } from './wordTokenize.ts';
import { detectLanguage, IFEVAL_LANGUAGES } from './language.ts';
import { countSentences } from './sentences.ts';
import { countWords, PY_B, PY_WS, pyIsLower, pyIsUpper, pySplitWs, pyLstrip, pyStrip } from './pytext.ts';

export type Kwargs = Record<string, unknown>;
export type Check = (response: string) => boolean;

type ArgKind = 'int' | 'string' | 'strings' | 'relation';

interface Spec {
  args: Record<string, ArgKind>;
  make(a: Args): Check;
}

/** Validated arguments of one instruction. */
class Args {
  constructor(
    private readonly kw: Kwargs,
    readonly where: string,
  ) {}
  int(name: string, min = 0): number {
    const v = this.kw[name];
    if (!Number.isInteger(v) || (v as number) < min)
      throw new Error(`${this.where}: "${name}" must be an integer ≥ ${min}, got ${JSON.stringify(v)}`);
    return v as number;
  }
  str(name: string): string {
    const v = this.kw[name];
    if (typeof v !== 'string' || v.trim() === '')
      throw new Error(`${this.where}: "${name}" must be a non-empty string, got ${JSON.stringify(v)}`);
    return v;
  }
  strs(name: string): string[] {
    const v = this.kw[name];
    if (!Array.isArray(v) || v.length === 0 || !v.every((s) => typeof s === 'string' && s !== '')) {
      throw new Error(`${this.where}: "${name}" must be a non-empty list of strings, got ${JSON.stringify(v)}`);
    }
    return v as string[];
  }
  relation(name: string): (actual: number, threshold: number) => boolean {
    const v = this.kw[name];
    if (v === 'less than') return (a, t) => a < t;
    if (v === 'at least') return (a, t) => a >= t;
    throw new Error(`${this.where}: "${name}" must be "less than" or "at least", got ${JSON.stringify(v)}`);
  }
  /** A kwarg the official code uses as a Python regular expression. */
  pattern(name: string, source: string, flags: string): RegExp {
    try {
      return new RegExp(source, flags);
    } catch (e) {
      throw new Error(`${this.where}: "${name}" is not a usable regular expression (${(e as Error).message})`);
    }
  }
}

const count = (re: RegExp, s: string) => [...s.matchAll(re)].length;

const SPECS: Record<string, Spec> = {
  'keywords:existence': {
    args: { keywords: 'strings' },
    make: (a) => {
      const res = a.strs('keywords').map((k) => a.pattern('keywords', k, 'iu'));
      return (r) => res.every((re) => re.test(r));
    },
  },
  'keywords:frequency': {
    args: { keyword: 'string', frequency: 'int', relation: 'relation' },
    make: (a) => {
      const re = a.pattern('keyword', pyStrip(a.str('keyword')), 'giu');
      const n = a.int('frequency');
      const rel = a.relation('relation');
      return (r) => rel(count(re, r), n);
    },
  },
  'keywords:forbidden_words': {
    args: { forbidden_words: 'strings' },
    make: (a) => {
      const res = [...new Set(a.strs('forbidden_words'))].map((w) => a.pattern('forbidden_words', `${PY_B}${w}${PY_B}`, 'iu'));
      return (r) => !res.some((re) => re.test(r));
    },
  },
  'keywords:letter_frequency': {
    args: { letter: 'string', let_frequency: 'int', let_relation: 'relation' },
    make: (a) => {
      const letter = pyStrip(a.str('letter')).toLowerCase();
      if ([...letter].length !== 1) throw new Error(`${a.where}: "letter" must be one character, got ${JSON.stringify(letter)}`);
      const n = a.int('let_frequency');
      const rel = a.relation('let_relation');
      return (r) => {
        let c = 0;
        for (const ch of r.toLowerCase()) if (ch === letter) c++;
        return rel(c, n);
      };
    },
  },
  'language:response_language': {
    args: { language: 'string' },
    make: (a) => {
      const lang = a.str('language');
      if (!(lang in IFEVAL_LANGUAGES))
        throw new Error(`language "${lang}" is not one IFEval knows (${Object.keys(IFEVAL_LANGUAGES).join(', ')})`);
      return (r) => {
        const got = detectLanguage(r);
        return got === undefined || got === lang;
      };
    },
  },
  'length_constraints:number_sentences': {
    args: { num_sentences: 'int', relation: 'relation' },
    make: (a) => {
      const n = a.int('num_sentences');
      const rel = a.relation('relation');
      return (r) => rel(countSentences(r), n);
    },
  },
  'length_constraints:number_paragraphs': {
    args: { num_paragraphs: 'int' },
    make: (a) => {
      const n = a.int('num_paragraphs');
      const divider = new RegExp(`[${PY_WS}]?\\*\\*\\*[${PY_WS}]?`, 'u');
      return (r) => {
        const parts = r.split(divider);
        let found = parts.length;
        for (let i = 0; i < parts.length; i++) {
          if (pyStrip(parts[i]!) !== '') continue;
          if (i === 0 || i === parts.length - 1) found--;
          else return false;
        }
        return found === n;
      };
    },
  },
  'length_constraints:number_words': {
    args: { num_words: 'int', relation: 'relation' },
    make: (a) => {
      const n = a.int('num_words');
      const rel = a.relation('relation');
      return (r) => rel(countWords(r), n);
    },
  },
  'length_constraints:nth_paragraph_first_word': {
    args: { num_paragraphs: 'int', nth_paragraph: 'int', first_word: 'string' },
    make: (a) => {
      const num = a.int('num_paragraphs');
      const nth = a.int('nth_paragraph', 1);
      if (nth > num) throw new Error(`nth_paragraph ${nth} is beyond num_paragraphs ${num}`);
      const want = a.str('first_word').toLowerCase();
      return (r) => {
        const parts = r.split('\n\n');
        const found = parts.filter((p) => pyStrip(p) !== '').length;
        if (nth > found) return false;
        const para = pyStrip(parts[nth - 1]!);
        if (!para) return false;
        const word = pyLstrip(pyLstrip(pyStrip(pySplitWs(para)[0]!), "'"), '"');
        let first = '';
        for (const ch of word) {
          if ('.,?!\'"'.includes(ch)) break;
          first += ch.toLowerCase();
        }
        return found === num && first === want;
      };
    },
  },
  'detectable_content:number_placeholders': {
    args: { num_placeholders: 'int' },
    make: (a) => {
      const n = a.int('num_placeholders');
      return (r) => count(/\[[^\n]*?\]/gu, r) >= n;
    },
  },
  'detectable_content:postscript': {
    args: { postscript_marker: 'string' },
    make: (a) => {
      const marker = pyStrip(a.str('postscript_marker'));
      // The official patterns end in `.*$` under MULTILINE, which always matches: a search suffices.
      const ws = `[${PY_WS}]?`;
      const re =
        marker === 'P.P.S'
          ? new RegExp(`p\\.${ws}p\\.${ws}s`, 'u')
          : marker === 'P.S.'
            ? new RegExp(`p\\.${ws}s\\.`, 'u')
            : a.pattern('postscript_marker', marker.toLowerCase(), 'u');
      return (r) => re.test(r.toLowerCase());
    },
  },
  'detectable_format:number_bullet_lists': {
    args: { num_bullets: 'int' },
    make: (a) => {
      const n = a.int('num_bullets');
      const star = new RegExp(`(?<![^\\n])[${PY_WS}]*\\*[^*][^\\n]*`, 'gu');
      const dash = new RegExp(`(?<![^\\n])[${PY_WS}]*-[^\\n]*`, 'gu');
      return (r) => count(star, r) + count(dash, r) === n;
    },
  },
  'detectable_format:constrained_response': {
    args: {},
    make: () => (r) => {
      const v = pyStrip(r);
      return ['My answer is yes.', 'My answer is no.', 'My answer is maybe.'].some((o) => v.includes(o));
    },
  },
  'detectable_format:number_highlighted_sections': {
    args: { num_highlights: 'int' },
    make: (a) => {
      const n = a.int('num_highlights');
      return (r) => {
        let found = 0;
        for (const [m] of r.matchAll(/\*[^\n*]*\*/gu)) if (pyStrip(m.replace(/^\*+|\*+$/gu, '')) !== '') found++;
        for (const [m] of r.matchAll(/\*\*[^\n*]*\*\*/gu)) if (pyStrip(m.slice(2, -2)) !== '') found++;
        return found >= n;
      };
    },
  },
  'detectable_format:multiple_sections': {
    args: { section_spliter: 'string', num_sections: 'int' },
    make: (a) => {
      const spliter = pyStrip(a.str('section_spliter'));
      const n = a.int('num_sections');
      const re = a.pattern('section_spliter', `[${PY_WS}]?${spliter}[${PY_WS}]?\\p{Nd}+[${PY_WS}]?`, 'u');
      return (r) => r.split(re).length - 1 >= n;
    },
  },
  'detectable_format:json_format': {
    args: {},
    make: () => (r) => {
      let v = pyStrip(r);
      for (const p of ['```json', '```Json', '```JSON', '```']) if (v.startsWith(p)) v = v.slice(p.length);
      if (v.endsWith('```')) v = v.slice(0, -3);
      return parsesAsPythonJson(pyStrip(v));
    },
  },
  'detectable_format:title': {
    args: {},
    make: () => (r) => [...r.matchAll(/<<[^\n]+>>/gu)].some(([t]) => pyStrip(t.replace(/^<+/u, '').replace(/>+$/u, '')) !== ''),
  },
  'combination:two_responses': {
    args: {},
    make: () => (r) => {
      const parts = r.split('******');
      const valid: string[] = [];
      for (let i = 0; i < parts.length; i++) {
        if (pyStrip(parts[i]!) === '') {
          if (i !== 0 && i !== parts.length - 1) return false;
        } else valid.push(parts[i]!);
      }
      return valid.length === 2 && pyStrip(valid[0]!) !== pyStrip(valid[1]!);
    },
  },
  'combination:repeat_prompt': {
    args: { prompt_to_repeat: 'string' },
    make: (a) => {
      const p = pyStrip(a.str('prompt_to_repeat')).toLowerCase();
      return (r) => pyStrip(r).toLowerCase().startsWith(p);
    },
  },
  'startend:end_checker': {
    args: { end_phrase: 'string' },
    make: (a) => {
      const end = pyStrip(a.str('end_phrase')).toLowerCase();
      return (r) => pyStrip(pyStrip(r), '"').toLowerCase().endsWith(end);
    },
  },
  'change_case:capital_word_frequency': {
    args: { capital_frequency: 'int', capital_relation: 'relation' },
    make: (a) => {
      const n = a.int('capital_frequency');
      const rel = a.relation('capital_relation');
      return (r) => rel(countCapitalWords(r), n);
    },
  },
  'change_case:english_capital': {
    args: {},
    make: () => (r) => pyIsUpper(r) && (detectLanguage(r) ?? 'en') === 'en',
  },
  'change_case:english_lowercase': {
    args: {},
    make: () => (r) => pyIsLower(r) && (detectLanguage(r) ?? 'en') === 'en',
  },
  'punctuation:no_comma': {
    args: {},
    make: () => (r) => !r.includes(','),
  },
  'startend:quotation': {
    args: {},
    make: () => (r) => {
      const v = pyStrip(r);
      return v.length > 1 && v[0] === '"' && v[v.length - 1] === '"';
    },
  },
};

/** Python's json.loads also takes NaN, Infinity and -Infinity as numbers. */
function parsesAsPythonJson(s: string): boolean {
  try {
    JSON.parse(s);
    return true;
  } catch {
    if (!/NaN|Infinity/u.test(s)) return false;
    // Replace the bare constants (outside strings) by 0 and try again.
    const swapped = s.replace(/("(?:[^"\\]|\\.)*")|-?Infinity|NaN/gu, (_m, str: string | undefined) => str ?? '0');
    try {
      JSON.parse(swapped);
      return true;
    } catch {
      return false;
    }
  }
}

/** Every instruction id the official registry defines (25). */
export const INSTRUCTION_IDS: readonly string[] = Object.keys(SPECS);

/** Instructions a model can follow without world knowledge: pure form (case, length, lists, start/end, quoting, commas). */
export const KNOWLEDGE_FREE_IDS: readonly string[] = [
  'change_case:english_lowercase',
  'change_case:english_capital',
  'change_case:capital_word_frequency',
  'length_constraints:number_words',
  'length_constraints:number_sentences',
  'length_constraints:number_paragraphs',
  'detectable_format:number_bullet_lists',
  'combination:repeat_prompt',
  'startend:end_checker',
  'startend:quotation',
  'punctuation:no_comma',
];

/**
 * The check for one instruction of one prompt. `kwargs` is the entry of input_data.jsonl for it;
 * null values (as in the Hugging Face copy of the data) count as absent. Unknown ids, unknown
 * kwargs and missing or invalid ones are errors naming `where`.
 */
export function buildCheck(id: string, kwargs: Kwargs, where: string): Check {
  const spec = Object.hasOwn(SPECS, id) ? SPECS[id] : undefined;
  if (!spec) throw new Error(`${where}: unknown instruction id "${id}" (known: ${INSTRUCTION_IDS.join(', ')})`);
  const kw: Kwargs = {};
  for (const [k, v] of Object.entries(kwargs)) {
    if (v === null || v === undefined) continue;
    if (!(k in spec.args))
      throw new Error(`${where}: instruction "${id}" takes no argument "${k}" (it takes: ${Object.keys(spec.args).join(', ') || 'none'})`);
    kw[k] = v;
  }
  return spec.make(new Args(kw, `${where} (${id})`));
}
