// heed train: instruction tuning, response tuning, single-task finetuning and pretraining, one loop.
import { existsSync } from 'node:fs';
import { readJsonFile } from '../io/json.ts';
import { basename, join } from 'node:path';
import { parseArgs } from 'node:util';
import type { Example } from '../data/batch.ts';
import { type Dataset, describeDataset, emptyUserTurns } from '../data/dataset.ts';
import { FORMATS, isFormat, readFormat } from '../data/formats/index.ts';
import { readMessagesJsonl } from '../data/messages.ts';
import { readCorpus } from '../data/pretrain.ts';
import { GSM_FORMATS, type GsmFormat, TASKS, type Task, singleTask } from '../data/singleTask.ts';
import { BUILTIN_TEMPLATES, resolveTemplate, specialText, templateContentWarning, withDatasetName } from '../data/templates.ts';
import { configFromHF } from '../io/hfconfig.ts';
import { settleAtomicLeftovers } from '../io/files.ts';
import { outputDir } from '../io/open.ts';
import { checkTokenizerFits, openPretrained, readTokenizer } from '../load/pretrained.ts';
import { LoraAdapters } from '../nn/lora.ts';
import { Llama } from '../nn/llama.ts';
import type { Tokenizer } from '../tokenizer/tokenizer.ts';
import { type LoadedCheckpoint, readCheckpointDir } from '../train/checkpoint.ts';
import { chatExamples, pretrainExamples, pretrainShards, rowTokensFor, splitHeldout, tokenizerFiles } from '../train/examples.ts';
import { formatDuration } from '../train/progress.ts';
import { SCHEDULES, type ScheduleKind } from '../train/schedule.ts';
import { DEFAULT_TRAIN, type TrainConfig, type TrainSetup, fullModelParts, totalStepsFor, train } from '../train/trainer.ts';
import { dataPath } from '../util/dataRoot.ts';
import { backendHelp, numberFlag, pickBackend } from './flags.ts';

const MODES = ['instruction', 'response', 'single-task', 'pretrain'] as const;
type Mode = (typeof MODES)[number];
const DEFAULT_EPOCHS: Record<Mode, number> = { instruction: 15, response: 5, 'single-task': 5, pretrain: 1 };

export const help = `Usage: heed train --mode MODE --out DIR (--model PATH | --config FILE) [options]

Trains a Llama the way Hewitt et al. 2024 did (open-instruct's Tulu template, loss on the
assistant tokens only, AdamW, linear warmup/decay) and writes an HF directory that transformers,
vLLM and open-instruct load unchanged.

Data
  --mode MODE          instruction  LIMA as is (lima-implicit-ins/lima_data.jsonl)
                       response     LIMA with every user turn emptied (response tuning)
                       single-task  one task's raw files, see --task
                       pretrain     plain text (pretrain-mix/*.jsonl.gz), packed sequences
  --task NAME          single-task: ${TASKS.join(' | ')}
  --data FILE[,FILE]   instruction/response: a messages JSONL instead of LIMA;
                       pretrain: .jsonl(.gz) files with a "text" field or .txt files.
                       Unusable rows (invalid JSON, no assistant turn, ...) are skipped, counted
                       and listed on stderr; a file with no usable row is refused. Text must be
                       UTF-8 (a BOM is dropped; other bytes are refused at file:line:byte)
  --heldout N          held-out rows for the held-out loss: chat modes take N rows out of the
                       data (seeded); pretrain reads N documents of pretrain-mix/heldout.jsonl.gz
                       (default 32; 0 = none)
  --limit N            use at most N rows (chat) or documents (pretrain) for training
  --seq-len N          maximum tokens per row, longer rows are cut and counted (default 2048,
                       at most the model's context)
  --per-turn           tokenize each prompt and response on its own (tidier masks) instead of
                       open-instruct's one-pass tokenization
  --data-format F      instruction/response: read --data in another format instead of
                       messages JSONL: ${FORMATS.join(' | ')}
                       (keeps Alpaca/Dolly inputs apart for the alpaca template; see
                       \`heed data convert --help\`)
  --template NAME|FILE chat template (FLAN ablation): ${BUILTIN_TEMPLATES.join(' | ')}
                       (default tulu, the paper's), a user template .json, an HF
                       tokenizer_config.json (its chat_template) or a .jinja file; see
                       \`heed data --help\`. dataset-name uses the task or --data file name
  --gsm-format F       single-task gsm: cot (rationale then "#### N", the paper's; default) or
                       answer (the "#### N" line alone)

Model
  --model PATH         start from a checkpoint: llama2.c .bin, GGUF, or HF directory
  --config FILE        or start from random weights of an HF config.json (pretraining)
  --tokenizer PATH     tokenizer.bin or tokenizer.json (default: the checkpoint's own)
  --backend NAME       ${backendHelp}
  --lora-rank R        train rank-R LoRA adapters on the attention and MLP projections instead
                       of every weight (base frozen); the checkpoint keeps the adapters alone,
                       the final model is merged
  --lora-alpha A       LoRA scale numerator (scale = A / R; default 2R)

Optimisation (defaults follow the paper: Llama-2-7B, lr 1e-5, linear, warmup 0.03, wd 0,
effective batch 64 = batch-size 1 x grad-accum 64)
  --epochs N           passes over the data (default: instruction 15, response 5, single-task 5,
                       pretrain 1)
  --max-steps N        stop after N optimizer steps (with --epochs: whichever comes first)
  --lr X               peak learning rate (default 1e-5)
  --batch-size N       rows per micro-batch (default 1)
  --grad-accum N       micro-batches per optimizer step (default 64); the loss is the mean over
                       the labelled tokens of the whole effective batch
  --schedule NAME      ${SCHEDULES.join(' | ')} (default linear)
  --warmup R           warmup as a ratio of the steps (< 1) or a number of steps (default 0.03)
  --weight-decay X     decoupled AdamW weight decay (default 0)
  --clip X             global gradient-norm clip, 0 = off (default 0, open-instruct's default)
  --seed S             one seed for data order, held-out split, init and LoRA (default 42)

Run
  --out DIR            output: checkpoint/ (resumable, HF layout), model/ (final HF directory),
                       log.jsonl, loss.svg
  --eval-every N       held-out loss every N steps (default: 10 evaluations per run)
  --save-every N       checkpoint every N steps (default: only at the end)
  --resume             continue from DIR/checkpoint exactly where it stopped (same options)

Small models: scale the paper's settings with the model. For stories260K (260K parameters, 512
context) a higher lr (1e-3 to 3e-3), --seq-len 512, --batch-size 8 --grad-accum 1 and a few
hundred steps fit a 2-core CPU.`;

export async function run(argv: string[]): Promise<number> {
  const { values: v } = parseArgs({
    args: argv,
    options: {
      mode: { type: 'string' },
      task: { type: 'string' },
      data: { type: 'string' },
      heldout: { type: 'string' },
      limit: { type: 'string' },
      'seq-len': { type: 'string' },
      'per-turn': { type: 'boolean', default: false },
      template: { type: 'string' },
      'gsm-format': { type: 'string' },
      'data-format': { type: 'string' },
      model: { type: 'string' },
      config: { type: 'string' },
      tokenizer: { type: 'string' },
      backend: { type: 'string' },
      'lora-rank': { type: 'string' },
      'lora-alpha': { type: 'string' },
      epochs: { type: 'string' },
      'max-steps': { type: 'string' },
      lr: { type: 'string' },
      'batch-size': { type: 'string' },
      'grad-accum': { type: 'string' },
      schedule: { type: 'string' },
      warmup: { type: 'string' },
      'weight-decay': { type: 'string' },
      clip: { type: 'string' },
      seed: { type: 'string' },
      out: { type: 'string' },
      'eval-every': { type: 'string' },
      'save-every': { type: 'string' },
      resume: { type: 'boolean', default: false },
    },
    strict: true,
  });
  const mode = v.mode as Mode;
  if (!MODES.includes(mode)) throw new Error(`--mode must be one of ${MODES.join(', ')}${v.mode ? `, got "${v.mode}"` : ''}\n\n${help}`);
  if (!v.out) throw new Error('--out DIR is required');
  if (!v.model === !v.config) throw new Error('give exactly one of --model PATH or --config FILE');
  if (mode === 'single-task' && !TASKS.includes(v.task as Task))
    throw new Error(`--mode single-task needs --task ${TASKS.join('|')}${v.task ? `, got "${v.task}"` : ''}`);
  if (mode !== 'single-task' && v.task) throw new Error('--task is only for --mode single-task');
  if (mode === 'single-task' && v.data) throw new Error('--data is not used with --mode single-task (the task names its files)');
  if (mode === 'pretrain' && v['per-turn']) throw new Error('--per-turn is only for the chat modes');
  if (mode === 'pretrain' && v.template) throw new Error('--template is only for the chat modes');
  if (v['gsm-format'] !== undefined && (mode !== 'single-task' || v.task !== 'gsm'))
    throw new Error('--gsm-format is only for --mode single-task --task gsm');
  if (v['gsm-format'] !== undefined && !GSM_FORMATS.includes(v['gsm-format'] as GsmFormat))
    throw new Error(`--gsm-format must be ${GSM_FORMATS.join(' or ')}, got "${v['gsm-format']}"`);
  const template = v.template && v.template !== 'tulu' ? resolveTemplate(v.template) : undefined;
  if (template && v['per-turn']) throw new Error('--per-turn is only for the tulu template');
  if (v['data-format'] !== undefined && !isFormat(v['data-format']))
    throw new Error(`--data-format must be one of ${FORMATS.join(', ')}, got "${v['data-format']}"`);
  if (v['data-format'] !== undefined && (!v.data || mode === 'pretrain' || mode === 'single-task'))
    throw new Error('--data-format needs --data with --mode instruction or response');
  if (v['lora-alpha'] !== undefined && v['lora-rank'] === undefined) throw new Error('--lora-alpha needs --lora-rank');
  if (v.schedule && !SCHEDULES.includes(v.schedule as ScheduleKind))
    throw new Error(`--schedule must be one of ${SCHEDULES.join(', ')}, got "${v.schedule}"`);
  const seed = numberFlag(v.seed, 'seed', { int: true, min: 0 }) ?? DEFAULT_TRAIN.seed;
  const heldoutN = numberFlag(v.heldout, 'heldout', { int: true, min: 0 }) ?? 32;
  const limit = numberFlag(v.limit, 'limit', { int: true, min: 0 });
  const loraRank = numberFlag(v['lora-rank'], 'lora-rank', { int: true, min: 0 });
  const epochsGiven = numberFlag(v.epochs, 'epochs', { int: true, min: 1 });
  const maxSteps = numberFlag(v['max-steps'], 'max-steps', { int: true, min: 1 });
  const cfg: TrainConfig = {
    ...DEFAULT_TRAIN,
    ...(maxSteps !== undefined ? { maxSteps } : {}),
    ...(epochsGiven !== undefined || maxSteps === undefined ? { epochs: epochsGiven ?? DEFAULT_EPOCHS[mode] } : {}),
    lr: numberFlag(v.lr, 'lr', { min: 0 }) ?? DEFAULT_TRAIN.lr,
    batchSize: numberFlag(v['batch-size'], 'batch-size', { int: true, min: 1 }) ?? DEFAULT_TRAIN.batchSize,
    gradAccum: numberFlag(v['grad-accum'], 'grad-accum', { int: true, min: 1 }) ?? DEFAULT_TRAIN.gradAccum,
    schedule: (v.schedule as ScheduleKind | undefined) ?? DEFAULT_TRAIN.schedule,
    warmup: numberFlag(v.warmup, 'warmup', { min: 0 }) ?? DEFAULT_TRAIN.warmup,
    weightDecay: numberFlag(v['weight-decay'], 'weight-decay', { min: 0 }) ?? DEFAULT_TRAIN.weightDecay,
    clip: numberFlag(v.clip, 'clip', { min: 0 }) ?? DEFAULT_TRAIN.clip,
    seed,
    saveEvery: numberFlag(v['save-every'], 'save-every', { int: true, min: 0 }) ?? 0,
    evalEvery: 0,
  };
  outputDir(v.out, '--out', { create: false }); // a file in the way is refused now, not after loading everything
  const checkpointDir = join(v.out, 'checkpoint');
  for (const note of settleAtomicLeftovers(checkpointDir)) process.stderr.write(`${note}\n`); // a run killed mid-save
  if (!v.resume && existsSync(checkpointDir))
    throw new Error(`${checkpointDir} exists: pass --resume to continue that run, or choose another --out`);
  let resume: LoadedCheckpoint | undefined;
  if (v.resume) {
    if (!existsSync(checkpointDir)) throw new Error(`--resume: no checkpoint in ${v.out}`);
    resume = readCheckpointDir(checkpointDir);
  }

  // model and tokenizer
  const backend = await pickBackend(v.backend);
  let model: Llama;
  let tok: Tokenizer;
  let tokSource: string | undefined;
  if (v.model) {
    const opened = openPretrained(v.model, v.tokenizer, backend);
    ({ model, tokenizer: tok } = opened);
    tokSource = opened.tokenizerSource;
  } else {
    const cfg = configFromHF(readJsonFile(v.config!, 'model config (--config)'), v.config!);
    if (!v.tokenizer) throw new Error('--config needs --tokenizer');
    tok = readTokenizer(v.tokenizer);
    checkTokenizerFits(tok, v.tokenizer, cfg, v.config!);
    tokSource = v.tokenizer;
    model = new Llama(cfg, backend, { seed });
  }
  if (resume?.weights) model.loadState(resume.weights);
  // Chat rows take up to context + 1 tokens; packed pretraining sequences read `context` tokens.
  const rowTokens = rowTokensFor(numberFlag(v['seq-len'], 'seq-len', { int: true, min: 2 }) ?? 2048, model.config.maxSeqLen);
  const context = rowTokens - 1;

  // data
  let trainEx: Example[];
  let heldEx: Example[] = [];
  const log = (s: string) => process.stderr.write(`${s}\n`);
  if (mode === 'pretrain') {
    const files = v.data ? v.data.split(',') : pretrainShards();
    const corpus = readCorpus(files, limit !== undefined ? { maxDocs: limit } : {});
    log(
      `corpus: ${corpus.docs.length} documents from ${corpus.source}${corpus.skipped.count ? ` (skipped ${corpus.skipped.count}: ${corpus.skipped.examples.join('; ')})` : ''}`,
    );
    const t0 = performance.now();
    let shown = 0;
    const packed = pretrainExamples(corpus.docs, tok, context, (docs, chars, total) => {
      const now = performance.now();
      if (now - shown < 2000 && docs < corpus.docs.length) return;
      shown = now;
      const eta = ((now - t0) / 1000 / chars) * (total - chars);
      process.stderr.write(
        `\rtokenizing: ${docs}/${corpus.docs.length} documents, ${((100 * chars) / total).toFixed(1)}% of the text, ETA ${formatDuration(eta)}   ${docs === corpus.docs.length ? '\n' : ''}`,
      );
    });
    trainEx = packed.examples;
    log(
      `packed ${packed.tokens} tokens into ${trainEx.length} sequences of ${context} (+1) tokens; ${packed.droppedTail} tail tokens dropped`,
    );
    if (heldoutN > 0)
      heldEx = pretrainExamples(
        readCorpus([dataPath('pretrain-mix', 'heldout.jsonl.gz')], { maxDocs: heldoutN }).docs,
        tok,
        context,
      ).examples;
  } else {
    let ds: Dataset;
    if (mode === 'single-task')
      ds = withDatasetName(singleTask(v.task as Task, v['gsm-format'] ? { gsmFormat: v['gsm-format'] as GsmFormat } : {}), v.task!);
    else {
      ds = isFormat(v['data-format'])
        ? readFormat(v['data-format'], v.data!)
        : readMessagesJsonl(v.data ?? dataPath('lima-implicit-ins', 'lima_data.jsonl'));
      if (mode === 'response') ds = emptyUserTurns(ds);
      ds = withDatasetName(ds, v.data ? basename(v.data).replace(/\.jsonl?$/, '') : 'lima');
    }
    if (template) log(`template: ${template.name}`);
    const contentless = template && templateContentWarning(template, specialText(tok));
    if (contentless) log(`WARNING: ${contentless}`);
    log(`data: ${describeDataset(ds)}`);
    for (const e of ds.skipped.examples) log(`  skipped ${e}`);
    const split = heldoutN > 0 ? splitHeldout(ds.rows, heldoutN, seed) : { train: [...ds.rows], heldout: [] };
    const rows = limit !== undefined ? split.train.slice(0, limit) : split.train;
    const opts = { rowTokens, perTurn: v['per-turn'], ...(template ? { template } : {}) };
    const enc = chatExamples({ ...ds, rows }, tok, opts);
    const held = chatExamples({ ...ds, rows: split.heldout }, tok, opts);
    trainEx = enc.examples;
    heldEx = held.examples;
    if (trainEx.length === 0)
      throw new Error(
        `no training rows left: ${enc.droppedNoLabels} of ${rows.length} lost every response token to the --seq-len ${rowTokens} cut`,
      );
    log(
      `encoded ${trainEx.length} training rows (${enc.labelledTokens} labelled tokens), ${heldEx.length} held-out; ${enc.truncated + held.truncated} cut at --seq-len ${rowTokens}, ${enc.droppedNoLabels + held.droppedNoLabels} dropped with no response left`,
    );
  }

  // what trains
  let parts: Pick<TrainSetup, 'trainable' | 'snapshot' | 'exportWeights'>;
  if (loraRank !== undefined) {
    const lora = new LoraAdapters(model, { rank: loraRank, alpha: numberFlag(v['lora-alpha'], 'lora-alpha') ?? 2 * loraRank, seed });
    if (resume) {
      if (!resume.adapters) throw new Error('--resume with --lora-rank: the checkpoint holds no adapters');
      lora.loadAdapters(resume.adapters, checkpointDir);
    }
    parts = {
      trainable: lora.namedParameters(),
      snapshot: async () => ({ weights: null, adapters: { tensors: await lora.exportAdapters(), config: lora.peftConfig(v.model ?? '') } }),
      exportWeights: () => lora.mergedWeights(),
    };
    log(
      `LoRA rank ${loraRank}: ${[...parts.trainable.values()].reduce((s, p) => s + p.size, 0)} trainable parameters (base ${model.numParameters()} frozen)`,
    );
  } else {
    if (resume && !resume.weights) throw new Error('--resume: the checkpoint holds LoRA adapters; pass the same --lora-rank');
    parts = fullModelParts(model);
  }

  const total = totalStepsFor(cfg, Math.ceil(trainEx.length / cfg.batchSize));
  cfg.evalEvery = numberFlag(v['eval-every'], 'eval-every', { int: true, min: 0 }) ?? Math.max(1, Math.round(total / 10));
  log(
    `training ${mode}${v.task ? ` (${v.task})` : ''} on ${backend.name}: ${model.numParameters()} parameters, ${total} steps of ${cfg.batchSize} x ${cfg.gradAccum} rows, lr ${cfg.lr} ${cfg.schedule}`,
  );
  const files = tokenizerFiles(tok, tokSource);
  const r = await train(
    {
      model,
      ...parts,
      train: trainEx,
      heldout: heldEx,
      outDir: v.out,
      padId: tok.eos,
      bosId: tok.bos,
      eosId: tok.eos,
      ...(files ? { tokenizer: files } : {}),
      ...(resume ? { resume } : {}),
      title: `heed train --mode ${mode}${v.task ? ` --task ${v.task}` : ''}`,
    },
    cfg,
  );
  const first = r.evalLosses[0];
  const last = r.evalLosses.at(-1);
  if (first && last)
    log(
      `held-out loss ${first.loss.toFixed(4)} (step ${first.step}) -> ${last.loss.toFixed(4)} (step ${last.step}); curve: ${join(v.out, 'loss.svg')}`,
    );
  return 0;
}
