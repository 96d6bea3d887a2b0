// The copy lab's heed side (docs/world.md, "Why no arm copies a required word"): packs a corpus
// into fixed windows with a world tokenizer, and writes three probes of whether a model copies a
// pool word it was just shown, for scripts/world_copy_sim.py (a PyTorch peer that trains the same
// Llama on the same windows) and for any HF model directory heed trained:
//   induction  "w1 … w8. w1 w2 w3 w4" → w5          (a repeated list continues)
//   drill      a drill task and its answer up to the first asked word → one of the asked words
//   recall     a recall round up to the first word said back → one of the words said
// A hit is a wanted word ranking first among the 110 pool words; chance is wanted / 110.
//   npx tsx scripts/world-copy-lab.ts pack CORPUS.jsonl OUT.i32 [TOKENIZER_JSON] [CONTEXT]
//   npx tsx scripts/world-copy-lab.ts probes OUT.json [TOKENIZER_JSON]
//   npx tsx scripts/world-copy-lab.ts copy-corpus OUT.jsonl [DOCS]   (lines "copy: a b c -> a b c")
import { writeFileSync } from 'node:fs';
import { Rng } from '../src/core/random.ts';
import { packDocuments, readCorpus } from '../src/data/pretrain.ts';
import { copyLineDocuments } from '../src/data/world/copyLines.ts';
import { drillTask } from '../src/data/world/drills.ts';
import { POOL } from '../src/data/world/lexicon.ts';
import { recallRound } from '../src/data/world/recall.ts';
import { buildWorld, pickDistinct } from '../src/data/world/world.ts';
import { readTokenizer } from '../src/load/pretrained.ts';

const [cmd, ...args] = process.argv.slice(2);
const usage =
  'usage: world-copy-lab.ts pack CORPUS OUT.i32 [TOKENIZER] [CONTEXT] | probes OUT.json [TOKENIZER] | copy-corpus OUT.jsonl [DOCS]';
const tokenizerAt = (p?: string) => readTokenizer(p ?? 'models/world-base/tokenizer.json');

if (cmd === 'pack' && args[0] && args[1]) {
  const context = Number(args[3] ?? 256);
  const packed = packDocuments(readCorpus([args[0]]).docs, tokenizerAt(args[2]), context);
  const flat = new Int32Array(packed.examples.length * (context + 1));
  packed.examples.forEach((e, i) => flat.set(e.ids, i * (context + 1)));
  writeFileSync(args[1], flat);
  console.log(`${args[1]}: ${packed.examples.length} windows of ${context + 1} tokens (int32)`);
} else if (cmd === 'probes' && args[0]) {
  const tok = tokenizerAt(args[1]);
  const enc = (s: string) => tok.encode(s, { bos: true });
  // a word's id in running text (after a space) is its id with the dummy prefix, not of " word"
  const first = (w: string) => tok.encode(w)[0]!;
  const pool = [...new Set(POOL.map(first))];
  if (pool.length !== POOL.length)
    throw new Error(`the tokenizer gives ${POOL.length} pool words only ${pool.length} distinct first tokens`);
  const at = (text: string, i: number, want: readonly string[]) => ({ prompt: enc(text.slice(0, i)), want: want.map(first) });
  const world = buildWorld(3);
  const rng = new Rng(4242);
  const recall = [];
  const drill = [];
  const induction = [];
  while (recall.length < 120) {
    const r = recallRound(world, rng);
    recall.push(at(r.text, r.text.lastIndexOf(` ${r.back[0]}`), r.said));
  }
  while (drill.length < 120) {
    const t = drillTask(world, rng);
    if (!t.words.length) continue;
    const text = `1. ${t.task}\n${t.answer}`;
    const nl = text.indexOf('\n');
    drill.push(at(text, Math.min(...t.words.map((w) => text.indexOf(` ${w}`, nl)).filter((j) => j >= 0)), t.words));
  }
  while (induction.length < 120) {
    const ws = pickDistinct(POOL, 8, rng);
    const text = `${ws.join(' ')}. ${ws.slice(0, 5).join(' ')}`;
    induction.push(at(text, text.lastIndexOf(` ${ws[4]}`), [ws[4]!]));
  }
  writeFileSync(args[0], JSON.stringify({ induction, drill, recall, pool }));
  console.log(`${args[0]}: 120 probes each of induction, drill, recall; ${pool.length} pool ids`);
} else if (cmd === 'copy-corpus' && args[0]) {
  const docs = copyLineDocuments(12345, Number(args[1] ?? 20000)).map((text) => JSON.stringify({ text }));
  writeFileSync(args[0], `${docs.join('\n')}\n`);
  console.log(`${args[0]}: ${docs.length} documents of six copy lines`);
} else {
  throw new Error(usage);
}
