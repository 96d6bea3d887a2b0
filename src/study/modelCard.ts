// A model card for a base model heed pretrained: what it saw (data, tokens, steps), how good it
// got (held-out loss and perplexity), the licenses of its data (read from pretrain-mix's
// SOURCE.md, never restated by hand) and the command that reproduces it.
import type { StoryOrder } from '../data/world/world.ts';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeTextFileAtomic as writeFileAtomic } from '../io/json.ts';
import { resolveMix } from '../data/world/corpus.ts';
import type { LlamaConfig } from '../nn/config.ts';
import type { PretrainRecipe } from './config.ts';

export interface SourceLicense {
  source: string;
  license: string;
}

/** The rows of SOURCE.md's "Sources" table (| source | origin | license | ...). */
export function parseSourceLicenses(markdown: string, where: string): SourceLicense[] {
  const lines = markdown.split('\n');
  const head = lines.findIndex((l) => /^\|\s*source\s*\|\s*origin\s*\|\s*license/i.test(l));
  if (head < 0) throw new Error(`${where}: no "| source | origin | license |" table`);
  const out: SourceLicense[] = [];
  for (const l of lines.slice(head + 2)) {
    if (!l.startsWith('|')) break;
    const cells = l
      .split('|')
      .slice(1, -1)
      .map((c) => c.trim());
    if (cells[0]?.startsWith('**')) continue; // the total row
    if (cells.length < 3 || !cells[0]) throw new Error(`${where}: malformed row in the sources table: ${l}`);
    out.push({ source: cells[0], license: cells[2]! });
  }
  if (out.length === 0) throw new Error(`${where}: the sources table has no rows`);
  return out;
}

export interface ModelCardInfo {
  name: string;
  config: LlamaConfig;
  parameters: number;
  recipe: PretrainRecipe;
  /** World corpus only: how its stories order their sentences (a row only when 'planned'). */
  stories?: StoryOrder;
  steps: number;
  tokensSeen: number;
  trainSequences: number;
  heldoutSequences: number;
  firstHeldout?: number;
  lastHeldout?: number;
  /** The data set's SOURCE.md (for the licenses). */
  sourceMd: string;
  /** The command that reproduces this model. */
  reproduce: string;
}

const fmt = (v: number | undefined, d = 4): string => (v === undefined || !Number.isFinite(v) ? 'n/a' : v.toFixed(d));

/** The card row that says a world base learned the planned story order (written only for it). */
export const PLANNED_ROW = '| stories | planned';

/** The story order a world base directory was pretrained on, read back from its card's row (a
 *  card without it, or no card, is the shuffled world every base before attempt 9 learned). */
export function cardStoryOrder(dir: string): StoryOrder {
  const card = join(dir, 'README.md');
  return existsSync(card) && readFileSync(card, 'utf8').includes(`\n${PLANNED_ROW}`) ? 'planned' : 'shuffled';
}

export function modelCard(i: ModelCardInfo): string {
  const licenses =
    i.recipe.corpus !== 'world' && existsSync(i.sourceMd) ? parseSourceLicenses(readFileSync(i.sourceMd, 'utf8'), i.sourceMd) : [];
  const c = i.config;
  const world = i.recipe.corpus === 'world';
  const corpus = world
    ? "the story world's corpus (docs/world.md: bare stories, request -> story pairs in natural wrappers, titles, summaries, worksheets, facts, quizzes, drills, recall games; no chat tag)"
    : 'pretrain-mix';
  return `# ${i.name}

A small Llama-architecture base model pretrained from random initialisation by heed (TypeScript,
WGSL kernels) on ${corpus}. ${world ? "It is the world part's base: it has never seen the chat template, so the study can ask whether tuning unlocks a request -> story mapping it learned from natural text." : "It exists to make the study's road visible end to end, not to be\na useful assistant: at this size it learns the surface of text and the dialogue format, little more."}

## Architecture
| field | value |
|---|---|
| parameters | ${i.parameters} |
| dim / layers / heads / kv heads | ${c.dim} / ${c.nLayers} / ${c.nHeads} / ${c.nKvHeads} |
| MLP hidden | ${c.hiddenDim} |
${c.tiedEmbeddings ? '| output head | the embedding matrix (tied) |\n' : ''}| vocabulary | ${c.vocabSize} (BPE trained by heed on ${i.recipe.tokenizer.docs} ${world ? 'world' : 'pretrain-mix'} documents, ${i.recipe.tokenizer.chatTagsSpecial ? 'chat tags <\\|user\\|>, <\\|assistant\\|> as special tokens' : 'chat tags as plain text, as with Llama-2'}) |
| context | ${c.maxSeqLen} |

## Training
| field | value |
|---|---|
| data | ${world ? `${i.recipe.tokens} tokens of the world corpus` : `the first ${i.recipe.docs} documents of pretrain-mix's shards`}, packed into ${i.trainSequences} sequences of ${c.maxSeqLen} tokens |${
    world
      ? `\n| corpus mix (token shares) | ${Object.entries(resolveMix(i.recipe.mix))
          .map(([k, v]) => `${k} ${+(v * 100).toFixed(2)}%`)
          .join(', ')} |${
          i.stories === 'planned'
            ? `\n${PLANNED_ROW}: one plan for every story (opening, companion, the words in one sentence, dialogue, fillers from the start of one list, mood, closing), so greedy decoding has no filler loop to fall into (docs/world.md, attempt 9) |`
            : ''
        }`
      : ''
  }${
    i.recipe.copyWindows
      ? `\n| copy windows | ${i.recipe.copyWindows.docs} documents of six copy lines (\`copy: a b -> a b\`, pool words), packed into windows of ${i.recipe.copyWindows.context} tokens; a batch of ${i.recipe.copyWindows.batchSize} of them in every step beside the corpus's, its mean loss added (docs/world.md, "Short windows"); not counted in the tokens seen |`
      : ''
  }
| steps | ${i.steps} (batch ${i.recipe.batchSize} x grad-accum ${i.recipe.gradAccum}) |
| tokens seen | ${i.tokensSeen} |
| optimiser | AdamW, peak lr ${i.recipe.lr}, cosine schedule, 10% warmup, clip 1, seed ${i.recipe.seed} |
| held-out loss (the first ${i.heldoutSequences} sequences of the first ${i.recipe.heldoutDocs} documents of ${world ? "the world corpus's held-out slice" : 'heldout.jsonl.gz'}) | ${fmt(i.firstHeldout)} at step 0 -> ${fmt(i.lastHeldout)} at step ${i.steps} |
| held-out perplexity | ${fmt(i.lastHeldout === undefined ? undefined : Math.exp(i.lastHeldout), 2)} |

The loss curve is loss.svg and the per-step log log.jsonl beside this card (in the study's stage directory).

${
  world
    ? "## Data\nGenerated by heed's story-world generator (src/data/world, docs/world.md): no third-party text."
    : `## Data licenses (from pretrain-mix/SOURCE.md)
${licenses.length ? `| source | license (as stated) |\n|---|---|\n${licenses.map((l) => `| ${l.source} | ${l.license} |`).join('\n')}` : "SOURCE.md was not found; see the data set's own SOURCE.md."}`
}

## Reproduce
\`\`\`
${i.reproduce}
\`\`\`
`;
}

export function writeModelCard(dir: string, info: ModelCardInfo): string {
  const path = join(dir, 'README.md');
  writeFileAtomic(path, modelCard(info));
  return path;
}
