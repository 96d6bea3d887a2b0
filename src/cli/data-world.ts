// heed data world: the story world's pretraining corpus, tuning sets and held-out evaluation set,
// written as files any stack can read (JSONL `text` documents and JSONL `messages` rows).
import { readdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { CORPUS_KINDS, type CorpusDoc, type CorpusKind, DEFAULT_MIX, type Mix, buildCorpus, resolveMix } from '../data/world/corpus.ts';
import { lexiconSizes } from '../data/world/lexicon.ts';
import { DEFAULT_SIZES, EVAL_GROUPS, type TuningRow, buildSets, quizNames } from '../data/world/sets.ts';
import { STORY_ORDERS, buildWorld, isStoryOrder } from '../data/world/world.ts';
import { designChance } from '../eval/world/chance.ts';
import { pathExists, writeDirAtomic } from '../io/files.ts';
import { outputDir } from '../io/open.ts';
import { jsonlText } from '../io/json.ts';
import { readTokenizer } from '../load/pretrained.ts';
import { projectRoot } from '../util/dataRoot.ts';
import { numberFlag } from './flags.ts';

const DEFAULT_TOKENS = 5_000_000;

export const help = `Usage: heed data world --out DIR [--seed N] [--tokens N] [--mix K=S,...] [options]

Writes the story world (docs/world.md) for seed N: a pretraining corpus without any chat tag, the
tuning sets of the arms and the held-out evaluation set, as files transformers / open-instruct
users can read too. DIR is written atomically (built beside it, then renamed into place); an
existing DIR is replaced only if it holds an earlier \`heed data world\` output (a manifest.json).

  --out DIR            the directory to write (required)
  --seed N             world, corpus and sets seed (default 0); the same seed gives the same bytes
  --stories ORDER      how stories order their sentences: shuffled (default) or planned (one plan,
                       fillers from the start of one list: no filler loop; docs/world.md, attempt 9)
  --tokens N           corpus size in tokens of --tokenizer (default ${DEFAULT_TOKENS.toLocaleString('en-US')})
  --mix K=S,...        token shares of the corpus kinds, summing to 1 (default ${CORPUS_KINDS.map((k) => `${k}=${DEFAULT_MIX[k]}`).join(',')})
  --tokenizer PATH     the tokenizer that counts tokens (default models/heed-base/tokenizer.json)
  --instruction N      instruction-tuning rows (default ${DEFAULT_SIZES.instruction}; response tuning has the same stories)
  --single N           rows of each single-task set (default ${DEFAULT_SIZES.singleFact})
  --eval-per-group N   evaluation items per story group, half as many per fact group (default ${DEFAULT_SIZES.evalPerGroup})

Files:
  corpus.jsonl             {"text", "kind", "wrapper"?}: bare stories, request→story pairs in natural
                           wrappers (parent, homework, letter, prompt, teacher, request), titled
                           stories, stories with summaries, worksheets, facts, Q:/A: quizzes,
                           drills (a request's words or first word, then a sentence with them)
                           and recall games (pool words said, then said back); these two at
                           share 0 unless --mix asks
                           (\`heed train --mode pretrain --data corpus.jsonl\` reads it)
  corpus-heldout.jsonl     1% as many tokens more, drawn apart: for a held-out pretraining loss
  instruction.jsonl        {"id", "messages": [user request, assistant story], "request"}
  response.jsonl           the same stories with an empty user turn
  single-fact.jsonl        fact questions and answers only
  single-about.jsonl       one request type only ("about": hero, place, ending)
  eval.jsonl               {"id", "group", "messages": [user], "request", "reference"}: groups
                           ${EVAL_GROUPS.join(', ')}
  world.json               the characters (species, home, food) and the held-out design
  manifest.json            seed, counts, token shares, tokenizer, lexicon sizes, chance rates`;

/** "story=0.2,pair=0.4,..." over the defaults; the result must still sum to 1. */
export function parseMix(v: string | undefined): Mix {
  if (v === undefined) return resolveMix();
  const mix: Partial<Mix> = {};
  for (const part of v.split(',')) {
    const m = /^\s*([a-z]+)\s*=\s*([0-9.eE+-]+)\s*$/.exec(part);
    if (!m) throw new Error(`--mix: "${part}" is not KIND=SHARE (kinds: ${CORPUS_KINDS.join(', ')})`);
    mix[m[1] as CorpusKind] = Number(m[2]);
  }
  try {
    return resolveMix(mix);
  } catch (e) {
    throw new Error(`--mix: ${(e as Error).message}`);
  }
}

const tuningLine = (r: TuningRow) => ({ id: r.id, messages: r.messages, request: r.request });

function checkOut(out: string): void {
  outputDir(out, '--out', { create: false }); // a file in the way, or a file where a parent belongs, is named
  if (!pathExists(out)) return;
  if (readdirSync(out).length > 0 && !pathExists(join(out, 'manifest.json')))
    throw new Error(
      `--out ${out}: a non-empty directory that is not an earlier \`heed data world\` output (no manifest.json); choose another --out`,
    );
}

export async function run(argv: string[]): Promise<number> {
  const { values: v } = parseArgs({
    args: argv,
    strict: true,
    options: {
      out: { type: 'string' },
      seed: { type: 'string' },
      stories: { type: 'string' },
      tokens: { type: 'string' },
      mix: { type: 'string' },
      tokenizer: { type: 'string' },
      instruction: { type: 'string' },
      single: { type: 'string' },
      'eval-per-group': { type: 'string' },
    },
  });
  if (!v.out) throw new Error('--out DIR is required');
  const out = resolve(v.out);
  checkOut(out);
  const seed = numberFlag(v.seed, 'seed', { int: true, min: 0, def: 0 });
  if (seed >= 2 ** 30) throw new Error(`--seed must be below 2^30, got ${seed}`);
  const tokens = numberFlag(v.tokens, 'tokens', { int: true, min: 1, def: DEFAULT_TOKENS });
  const mix = parseMix(v.mix);
  const single = numberFlag(v.single, 'single', { int: true, min: 1, def: DEFAULT_SIZES.singleFact });
  const sizes = {
    instruction: numberFlag(v.instruction, 'instruction', { int: true, min: 1, def: DEFAULT_SIZES.instruction }),
    singleFact: single,
    singleStory: single,
    evalPerGroup: numberFlag(v['eval-per-group'], 'eval-per-group', { int: true, min: 1, def: DEFAULT_SIZES.evalPerGroup }),
  };
  const tokPath = v.tokenizer ?? join(projectRoot, 'models', 'heed-base', 'tokenizer.json');
  const tok = readTokenizer(tokPath);

  const t0 = Date.now();
  const stories = v.stories ?? 'shuffled';
  if (!isStoryOrder(stories)) throw new Error(`--stories must be one of ${STORY_ORDERS.join(', ')}, got ${JSON.stringify(stories)}`);
  const world = buildWorld(seed, stories);
  const sets = buildSets(world, seed, sizes);
  const corpus = buildCorpus(world, {
    tokens,
    mix,
    seed,
    countTokens: (t) => tok.encode(t).length,
    excludeSpecs: sets.evalSpecs,
    excludeRequests: sets.evalRequests,
    quizNames: quizNames(sets.heldOut),
  });
  // a held-out slice for the pretraining loss: the same distribution, its own draws
  const heldout = buildCorpus(world, {
    tokens: Math.max(1000, Math.round(tokens / 100)),
    mix,
    seed: seed + 0x40000000, // never another --seed's corpus (seeds are below 2^30)
    countTokens: (t) => tok.encode(t).length,
    excludeSpecs: sets.evalSpecs,
    excludeRequests: sets.evalRequests,
    quizNames: quizNames(sets.heldOut),
  });
  const total = CORPUS_KINDS.reduce((s, k) => s + corpus.tokens[k], 0);
  const h = sets.heldOut;
  const manifest = {
    generator: 'heed data world',
    seed,
    ...(stories !== 'shuffled' ? { stories } : {}), // absent: shuffled, as every manifest before the option
    tokenizer: v.tokenizer ?? 'models/heed-base/tokenizer.json',
    corpus: {
      documents: corpus.docs.length,
      tokens: total,
      mix,
      heldout: { documents: heldout.docs.length, tokens: CORPUS_KINDS.reduce((s, k) => s + heldout.tokens[k], 0) },
      byKind: Object.fromEntries(
        CORPUS_KINDS.map((k) => [
          k,
          { documents: corpus.docsByKind[k], tokens: corpus.tokens[k], share: Number((corpus.tokens[k] / total).toFixed(4)) },
        ]),
      ),
    },
    sets: {
      instruction: sets.instruction.length,
      response: sets.response.length,
      'single-fact': sets.singleFact.length,
      [`single-${sets.singleStoryType}`]: sets.singleStory.length,
      eval: Object.fromEntries(EVAL_GROUPS.map((g) => [g, sets.eval.filter((e) => e.group === g).length])),
    },
    heldOut: { names: [...h.names], places: [...h.places], words: [...h.words], types: h.types, factNames: [...h.factNames] },
    lexicon: lexiconSizes(),
    chance: designChance(),
  };
  writeDirAtomic(out, (dir) => {
    const docLine = (d: CorpusDoc) => ({ text: d.text, kind: d.kind, ...(d.wrapper ? { wrapper: d.wrapper } : {}) });
    writeFileSync(join(dir, 'corpus.jsonl'), jsonlText(corpus.docs.map(docLine)));
    writeFileSync(join(dir, 'corpus-heldout.jsonl'), jsonlText(heldout.docs.map(docLine)));
    writeFileSync(join(dir, 'instruction.jsonl'), jsonlText(sets.instruction.map(tuningLine)));
    writeFileSync(join(dir, 'response.jsonl'), jsonlText(sets.response.map(tuningLine)));
    writeFileSync(join(dir, 'single-fact.jsonl'), jsonlText(sets.singleFact.map(tuningLine)));
    writeFileSync(join(dir, `single-${sets.singleStoryType}.jsonl`), jsonlText(sets.singleStory.map(tuningLine)));
    writeFileSync(
      join(dir, 'eval.jsonl'),
      jsonlText(
        sets.eval.map((e) => ({
          id: e.id,
          group: e.group,
          messages: [{ role: 'user', content: e.request.text }],
          request: e.request,
          reference: e.reference,
        })),
      ),
    );
    writeFileSync(
      join(dir, 'world.json'),
      `${JSON.stringify({ seed, characters: world.characters, heldOut: manifest.heldOut }, null, 2)}\n`,
    );
    writeFileSync(join(dir, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  });
  const shares = CORPUS_KINDS.map((k) => `${k} ${((100 * corpus.tokens[k]) / total).toFixed(1)}%`).join(', ');
  process.stderr.write(
    `wrote ${out}: corpus ${corpus.docs.length} documents, ${total} tokens (${shares}); ${sets.instruction.length} instruction/response rows, ${sets.singleFact.length}+${sets.singleStory.length} single-task rows, ${sets.eval.length} eval items (seed ${seed}, ${((Date.now() - t0) / 1000).toFixed(1)} s)\n`,
  );
  return 0;
}
