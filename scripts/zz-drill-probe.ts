// temporary pilot probe (not committed): does a model copy a drill task's words into its answer?
import { backendOf } from '../src/backend/choose.ts';
import { Rng } from '../src/core/random.ts';
import { drillTask } from '../src/data/world/drills.ts';
import { ADJECTIVES, OBJECTS, VERBS } from '../src/data/world/lexicon.ts';
import { buildWorld } from '../src/data/world/world.ts';
import { meanNll, type ScoredSequence } from '../src/eval/rank.ts';
import { openPretrained } from '../src/load/pretrained.ts';
const [modelDir, tokPath] = process.argv.slice(2);
const { model, tokenizer } = openPretrained(modelDir!, tokPath, await backendOf('fast'));
const world = buildWorld(0);
const rng = new Rng(99);
const kinds = [OBJECTS, ADJECTIVES, VERBS] as readonly (readonly string[])[];
let hits = 0, n = 0, chance = 0;
while (n < 80) {
  const t = drillTask(world, rng);
  if (!t.words.length) continue;
  for (const w of t.words) {
    const at = new RegExp(`\\b${w}\\b`).exec(t.answer)!.index;
    const prefix = `Sentence practice\nTask 1: ${t.task}\nAnswer: ${t.answer.slice(0, at).trimEnd()}`;
    const kind = kinds.find((k) => k.includes(w))!;
    const head = tokenizer.encode(prefix, { bos: true });
    const seqs: ScoredSequence[] = kind.map((c) => {
      const ids = tokenizer.encode(`${prefix} ${c}`, { bos: true });
      let s = 0;
      while (s < head.length && ids[s] === head[s]) s++;
      return { ids, start: Math.max(s, 1) };
    });
    const nll = await meanNll(model, seqs, { batchSize: 64 });
    if (t.words.includes(kind[nll.indexOf(Math.min(...nll))]!)) hits++;
    chance += t.words.filter((x) => kind.includes(x)).length / kind.length;
    n++;
  }
}
console.log(`drill copy: ${hits}/${n} = ${((100 * hits) / n).toFixed(1)}% (chance ${((100 * chance) / n).toFixed(1)}%)`);
process.exit(0);
