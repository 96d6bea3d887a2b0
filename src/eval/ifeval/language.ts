// Language identification for `language:response_language` and the English half of
// `change_case:english_capital` / `english_lowercase`. The official checker calls the `langdetect`
// package (character n-gram profiles of 55 languages, randomised sampling); heed allows no such
// dependency, so this small detector decides by script first and then, inside a script shared by
// several languages, by function words and letters peculiar to one language. It covers the
// languages IFEval asks for (instructions_util.LANGUAGE_CODES) plus a few Latin-script neighbours.
// Its disagreements with langdetect on the reference data are counted and listed in
// test/eval/ifeval.reference.test.ts (very short texts, where langdetect itself is erratic).

/** ISO 639-1 codes IFEval may ask for, with their names (the official LANGUAGE_CODES). */
export const IFEVAL_LANGUAGES: Readonly<Record<string, string>> = {
  en: 'English',
  es: 'Spanish',
  pt: 'Portuguese',
  ar: 'Arabic',
  hi: 'Hindi',
  fr: 'French',
  ru: 'Russian',
  de: 'German',
  ja: 'Japanese',
  it: 'Italian',
  bn: 'Bengali',
  uk: 'Ukrainian',
  th: 'Thai',
  ur: 'Urdu',
  ta: 'Tamil',
  te: 'Telugu',
  bg: 'Bulgarian',
  ko: 'Korean',
  pl: 'Polish',
  he: 'Hebrew',
  fa: 'Persian',
  vi: 'Vietnamese',
  ne: 'Nepali',
  sw: 'Swahili',
  kn: 'Kannada',
  mr: 'Marathi',
  gu: 'Gujarati',
  pa: 'Punjabi',
  ml: 'Malayalam',
  fi: 'Finnish',
};

/** Scripts that name one language outright (langdetect's profiles have a single language for each). */
const SINGLE_SCRIPT: [RegExp, string][] = [
  [/\p{Script=Bengali}/u, 'bn'],
  [/\p{Script=Gurmukhi}/u, 'pa'],
  [/\p{Script=Gujarati}/u, 'gu'],
  [/\p{Script=Tamil}/u, 'ta'],
  [/\p{Script=Telugu}/u, 'te'],
  [/\p{Script=Kannada}/u, 'kn'],
  [/\p{Script=Malayalam}/u, 'ml'],
  [/\p{Script=Thai}/u, 'th'],
  [/\p{Script=Hangul}/u, 'ko'],
  [/\p{Script=Hebrew}/u, 'he'],
  [/\p{Script=Greek}/u, 'el'],
  [/[\p{Script=Hiragana}\p{Script=Katakana}]/u, 'ja'],
  [/\p{Script=Han}/u, 'zh-cn'],
];

const words = (s: string) => new Set(s.split(' '));

const LATIN_FUNCTION_WORDS: Record<string, Set<string>> = {
  en: words(
    'the and of to is in that it for you with are this was on be as have not but they what at by from or we can an will your my all there their which one has would if so about more when do i',
  ),
  es: words(
    'el la los las de que y en un una es por con para no se lo del al como más pero sus le ya o este sí porque esta entre cuando muy sin sobre también me hasta hay donde',
  ),
  pt: words(
    'o a os as de que e do da em um uma é para com não no na por mais dos das se ao como mas foi ele ela seu sua ou quando muito já também só pelo pela até isso são',
  ),
  fr: words(
    'le la les de des du et en un une est que qui dans pour pas sur au ce il elle ne se plus par avec sont mais ou nous vous aux son sa leur cette',
  ),
  de: words(
    'der die das und ist nicht ein eine zu den von mit sich des auf für im dem auch es an werden aus er hat dass sie nach wird bei einer um noch wie einem über einen so zum war haben nur oder aber sind ich',
  ),
  it: words('il la di che e è un una per non con sono del della le si da in lo gli al dei come più ma anche questo nel alla ha ci se mi'),
  nl: words('de het een en van is dat op te in zijn voor niet met die er aan ook als maar om bij door naar wordt dan nog'),
  pl: words('i w nie na się z do to że jest o jak co ale po tak jego za od przez dla są czy tylko już być może oraz jej'),
  sw: words(
    'na ya wa kwa ni katika za la cha kuwa wake yake hii hiyo lakini kama sana pia au huo kwamba wako kila nini bila mimi wewe yeye sisi ninyi wao',
  ),
  fi: words('ja on ei se että hän oli ovat mutta kun myös tai ole kuin niin jos joka mitä tämä sen sitä ne me te he olla hänen minä sinä'),
  id: words('dan yang di ini itu dengan untuk dari dalam tidak akan pada ke juga ada saya kami mereka atau bisa karena oleh'),
  tr: words('ve bir bu da de için ile çok ne gibi daha olarak ama ben sen o biz siz onlar değil var'),
  sv: words('och att det som en är av för på med den till har inte jag om ett men de vi ni'),
  ro: words('și în de la cu nu să pe un o este care din pentru mai sau ca dar fi'),
};

/** Letters that occur in Vietnamese and almost nowhere else. */
const VIETNAMESE = /[ơưđăạảấầẩẫậắằẳẵặẹẻẽếềểễệỉịọỏốồổỗộớờởỡợụủứừửữựỳỵỷỹ]/giu;

const DEVANAGARI_WORDS: Record<string, Set<string>> = {
  hi: words('है हैं और के की का में से को पर यह था थी थे नहीं भी हो कि एक लिए तो कर ने इस वह जो गया रहा रही हम आप मैं उन्हें उसके'),
  mr: words('आहे आहेत आणि च्या ची चा चे ला मध्ये हे ही नाही तर करून केले या व होते त्या ते आपण मी तुम्ही आम्ही होता होती झाले'),
  ne: words('छ छन् र मा पनि गर्न भएको यो थियो हुन्छ लागि तथा गरेको ले हो हुन गर्छ त्यो उनी म तपाईं हामी'),
};

function arabicScript(text: string): string {
  if (/[\u0679\u0688\u0691\u06ba\u06be\u06d2]/u.test(text)) return 'ur';
  const persian = (text.match(/[\u067e\u0686\u0698\u06af\u06a9\u06cc]/gu) ?? []).length;
  const arabic = (text.match(/[\u0643\u064a\u0629\u0649]/gu) ?? []).length;
  return persian > arabic ? 'fa' : 'ar';
}

function cyrillic(text: string): string {
  const t = text.toLowerCase();
  if (/[іїєґ]/u.test(t)) return 'uk';
  const ruOnly = (t.match(/[ыэё]/gu) ?? []).length;
  const hard = (t.match(/ъ/gu) ?? []).length;
  return ruOnly === 0 && hard > 0 ? 'bg' : 'ru';
}

function bestByWords(tokens: string[], table: Record<string, Set<string>>, fallback: string): string {
  let best = fallback;
  let bestScore = 0;
  for (const [lang, set] of Object.entries(table)) {
    let score = 0;
    for (const t of tokens) if (set.has(t)) score++;
    if (score > bestScore) [best, bestScore] = [lang, score];
  }
  return best;
}

function latin(text: string): string {
  const tokens = text.toLowerCase().match(/\p{L}+/gu) ?? [];
  const vi = (text.match(VIETNAMESE) ?? []).length;
  if (vi >= 3 && vi * 20 >= tokens.length) return 'vi';
  const best = bestByWords(tokens, LATIN_FUNCTION_WORDS, UNDETERMINED);
  return best === UNDETERMINED && featureLetters(text) >= MIN_EVIDENCE ? 'en' : best;
}

/** Latin-script text without a single function word of any listed language and with little
 *  evidence (a name, a title, one word): langdetect's answer there is close to a coin flip, so no
 *  language is claimed. Longer such text (a terse poem) is taken as English. */
export const UNDETERMINED = 'und';
const MIN_EVIDENCE = 40;

/** Letters langdetect draws n-grams from: it skips every upper-case letter that follows another
 *  (inside all-caps words), so all-caps text offers little more than its initials. */
function featureLetters(text: string): number {
  let n = 0;
  let prevUpper = false;
  for (const ch of text) {
    const upper = /\p{Lu}/u.test(ch);
    if (/\p{L}/u.test(ch) && !(upper && prevUpper)) n++;
    prevUpper = upper;
  }
  return n;
}

/**
 * The language of `text` as an ISO 639-1 code (`zh-cn` for Chinese, as langdetect names it), or
 * undefined when the text has no letters (langdetect's "no features" error, which the checker
 * counts as followed).
 */
export function detectLanguage(text: string): string | undefined {
  const clean = text.replace(/https?:\/\/\S+|\S+@\S+\.\S+/gu, ' ');
  const counts = new Map<string, number>();
  for (const ch of clean) {
    if (!/\p{L}|\p{M}/u.test(ch)) continue;
    let script = 'Latin';
    if (/\p{Script=Cyrillic}/u.test(ch)) script = 'Cyrillic';
    else if (/\p{Script=Arabic}/u.test(ch)) script = 'Arabic';
    else if (/\p{Script=Devanagari}/u.test(ch)) script = 'Devanagari';
    else {
      const single = SINGLE_SCRIPT.find(([re]) => re.test(ch));
      if (single) script = single[1];
      else if (!/\p{Script=Latin}/u.test(ch)) continue;
    }
    counts.set(script, (counts.get(script) ?? 0) + 1);
  }
  if (counts.size === 0) return undefined;
  // Kana mixed with kanji is Japanese even when the kanji outnumber the kana.
  if ((counts.get('ja') ?? 0) > 0 && (counts.get('zh-cn') ?? 0) > 0) counts.set('ja', counts.get('ja')! + counts.get('zh-cn')!);
  const [script] = [...counts.entries()].sort((a, b) => b[1] - a[1])[0]!;
  switch (script) {
    case 'Latin':
      return latin(clean);
    case 'Cyrillic':
      return cyrillic(clean);
    case 'Arabic':
      return arabicScript(clean);
    case 'Devanagari':
      return bestByWords(clean.match(/[\p{L}\p{M}]+/gu) ?? [], DEVANAGARI_WORDS, 'hi');
    default:
      return script;
  }
}
