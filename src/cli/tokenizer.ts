// heed tokenizer train: learn a BPE vocabulary from a corpus and write it as HF tokenizer.json.
import { numberFlag } from './flags.ts';
import { existsSync, readdirSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { writeFileAtomic } from '../io/binary.ts';
import { readCorpus } from '../data/pretrain.ts';
import { toHFTokenizerJSON } from '../tokenizer/hf.ts';
import { trainBPE } from '../tokenizer/train.ts';
import { dataPath } from '../util/dataRoot.ts';

export const help = `Usage: heed tokenizer train --vocab-size N --out FILE [options]

Learns a SentencePiece-style BPE vocabulary (Llama layout: <unk>, <s>, </s>, 256 byte tokens,
special tokens, merges, characters; every string round-trips through byte fallback) and writes
it as an HF tokenizer.json that heed, transformers and tokenizers load.

  --vocab-size N       upper bound on the vocabulary (smaller if the corpus runs out of pairs)
  --out FILE           the tokenizer.json to write (refuses to overwrite unless --force)
  --data FILE[,FILE]   .jsonl(.gz) files with a "text" field, or .txt files
                       (default: the first shard of pretrain-mix)
  --max-docs N         read at most N documents (default: all)
  --special TOK[,TOK]  control tokens matched whole, e.g. "<|user|>,<|assistant|>" (default none:
                       the chat tags stay plain text, as with Llama-2)
  --min-pair-count N   stop merging when the best pair occurs fewer than N times (default 2)
  --force              overwrite --out`;

export async function run(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub !== 'train') throw new Error(`unknown subcommand ${JSON.stringify(sub ?? '')}\n\n${help}`);
  const { values: v } = parseArgs({
    args: rest,
    options: {
      'vocab-size': { type: 'string' },
      out: { type: 'string' },
      data: { type: 'string' },
      'max-docs': { type: 'string' },
      special: { type: 'string' },
      'min-pair-count': { type: 'string' },
      force: { type: 'boolean', default: false },
    },
    strict: true,
  });
  if (v['vocab-size'] === undefined) throw new Error('--vocab-size N is required (at least 260: 3 controls + 256 bytes + 1)');
  const vocab = numberFlag(v['vocab-size'], 'vocab-size', { int: true, min: 260, def: 0 });
  if (!v.out) throw new Error('--out FILE is required');
  if (existsSync(v.out) && !v.force) throw new Error(`${v.out} exists; pass --force to overwrite it`);
  const maxDocs = numberFlag(v['max-docs'], 'max-docs', { int: true, min: 1 });
  const minPair = numberFlag(v['min-pair-count'], 'min-pair-count', { int: true, min: 1 });
  const files = v.data
    ? v.data.split(',')
    : [
        dataPath(
          'pretrain-mix',
          readdirSync(dataPath('pretrain-mix'))
            .filter((f) => f.startsWith('pretrain-mix-'))
            .sort()[0]!,
        ),
      ];
  const corpus = readCorpus(files, maxDocs !== undefined ? { maxDocs } : {});
  const chars = corpus.docs.reduce((s, d) => s + d.length, 0);
  process.stderr.write(
    `training BPE (vocabulary <= ${vocab}) on ${corpus.docs.length} documents, ${chars} characters${corpus.skipped.count ? `, ${corpus.skipped.count} rows skipped` : ''}\n`,
  );
  const t0 = performance.now();
  const tok = trainBPE(corpus.docs, {
    vocabSize: vocab,
    ...(v.special ? { specialTokens: v.special.split(',') } : {}),
    ...(minPair !== undefined ? { minPairCount: minPair } : {}),
  });
  writeFileAtomic(v.out, [new TextEncoder().encode(JSON.stringify(toHFTokenizerJSON(tok)))]);
  process.stderr.write(`wrote ${v.out}: ${tok.vocabSize} tokens in ${((performance.now() - t0) / 1000).toFixed(1)} s\n`);
  return 0;
}
