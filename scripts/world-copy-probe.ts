// Does a world base know WHICH pool word a request asks for? For every required word of the
// evaluation items, given the item's wrapper prompt and its reference story up to that word, the
// base scores each pool word of the same kind (object, adjective, verb) in that place; a hit is a
// requested word scoring best. Chance is the requested words' share of their kind. This separates
// "greedy never reaches the words sentence" from "the base cannot copy a listed word" (docs/world.md,
// attempt 4).
//   npx tsx scripts/world-copy-probe.ts MODEL_DIR [TOKENIZER_JSON]
import { backendOf } from '../src/backend/choose.ts';
import { ADJECTIVES, OBJECTS, VERBS } from '../src/data/world/lexicon.ts';
import { meanNll, type ScoredSequence } from '../src/eval/rank.ts';
import { openPretrained } from '../src/load/pretrained.ts';
import { PRESETS } from '../src/study/config.ts';
import { worldData } from '../src/study/worldData.ts';
import { itemWrapperPrompt } from '../src/study/worldStages.ts';

const [modelDir, tokPath] = process.argv.slice(2);
if (!modelDir) throw new Error('usage: world-copy-probe.ts MODEL_DIR [TOKENIZER_JSON]');
const data = worldData(PRESETS.default!.world!);
const { model, tokenizer } = openPretrained(modelDir, tokPath, await backendOf('fast'));
const kinds: readonly (readonly string[])[] = [OBJECTS, ADJECTIVES, VERBS];
let hits = 0;
let n = 0;
let chance = 0;
for (const [i, item] of data.sets.eval.entries()) {
  const words = item.request.kind === 'story' ? item.request.constraints.words : undefined;
  if (!words) continue;
  const prompt = itemWrapperPrompt(item, i);
  for (const w of words) {
    const at = new RegExp(`\\b${w}\\b`).exec(item.reference)?.index;
    if (at === undefined) throw new Error(`${item.id}: the reference story lacks its required word "${w}"`);
    const prefix = prompt + item.reference.slice(0, at).trimEnd();
    const kind = kinds.find((k) => k.includes(w))!;
    const head = tokenizer.encode(prefix, { bos: true });
    // score only the tokens after the longest shared prefix (BPE may merge across the boundary)
    const seqs: ScoredSequence[] = kind.map((c) => {
      const ids = tokenizer.encode(`${prefix} ${c}`, { bos: true });
      let s = 0;
      while (s < head.length && ids[s] === head[s]) s++;
      return { ids, start: Math.max(s, 1) };
    });
    const nll = await meanNll(model, seqs, { batchSize: 64 });
    if (words.includes(kind[nll.indexOf(Math.min(...nll))]!)) hits++;
    chance += words.filter((x) => kind.includes(x)).length / kind.length;
    n++;
  }
}
console.log(
  `a requested word scores best among the pool words of its kind: ${hits}/${n} = ${((100 * hits) / n).toFixed(1)}% (chance ${((100 * chance) / n).toFixed(1)}%)`,
);
process.exit(0);
