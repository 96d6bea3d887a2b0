// Training inside the study: pretraining a base from random init (the recipe) and finetuning an
// arm from the base, both through src/train's train() in process. A stage directory that already
// holds checkpoint/ (an interrupted run with the same key) resumes from it exactly.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Backend } from '../backend/backend.ts';
import type { Example } from '../data/batch.ts';
import { emptyUserTurns } from '../data/dataset.ts';
import { copyLineDocuments } from '../data/world/copyLines.ts';
import { readMessagesJsonl } from '../data/messages.ts';
import { readCorpus } from '../data/pretrain.ts';
import { singleTask } from '../data/singleTask.ts';
import { openPretrained } from '../load/pretrained.ts';
import type { LlamaConfig } from '../nn/config.ts';
import { Llama } from '../nn/llama.ts';
import { readHFTokenizer, toHFTokenizerJSON } from '../tokenizer/hf.ts';
import type { Tokenizer } from '../tokenizer/tokenizer.ts';
import { trainBPE } from '../tokenizer/train.ts';
import { writeTextAtomic } from '../io/files.ts';
import { readCheckpointDir } from '../train/checkpoint.ts';
import { chatExamples, pretrainExamples, pretrainShards, rowTokensFor, tokenizerFiles } from '../train/examples.ts';
import { DEFAULT_TRAIN, fullModelParts, totalStepsFor, train, type TrainConfig, type TrainResult } from '../train/trainer.ts';
import { dataPath } from '../util/dataRoot.ts';
import type { Dataset } from '../data/dataset.ts';
import type { Task } from '../data/singleTask.ts';
import type { Arm } from './arms.ts';
import type { FinetuneSettings, PretrainRecipe } from './config.ts';
import { countWords, type WorldData, worldCorpusTexts } from './worldData.ts';

/** Step progress of a training stage; `resumed`: once, before training, the step a checkpoint resumes at. */
export type StepReport = (step: number, total: number, resumed?: boolean) => void;

export interface TrainedModel {
  modelDir: string;
  steps: number;
  /** Input tokens per optimizer step times steps (what the model saw). */
  tokensSeen: number;
  trainRows: number;
  heldoutRows: number;
  firstHeldout?: number;
  lastHeldout?: number;
  lastLoss: number;
}

/** Held-out loss of a pretraining run: at most this many packed sequences. */
export const MAX_HELDOUT_SEQUENCES = 64;

async function runTraining(
  dir: string,
  model: Llama,
  tok: Tokenizer,
  tokSource: string,
  trainEx: Example[],
  heldEx: Example[],
  cfg: TrainConfig,
  title: string,
  onStep: StepReport,
  aux?: { examples: Example[]; batchSize: number },
): Promise<TrainResult> {
  const ckptDir = join(dir, 'checkpoint');
  const resume = existsSync(join(ckptDir, 'trainer_state.json')) ? readCheckpointDir(ckptDir) : undefined;
  if (resume?.weights) model.loadState(resume.weights);
  const total = totalStepsFor(cfg, Math.ceil(trainEx.length / cfg.batchSize));
  if (resume) onStep(resume.state.step, total, true);
  return train(
    {
      model,
      ...fullModelParts(model),
      train: trainEx,
      ...(aux ? { aux } : {}),
      heldout: heldEx,
      outDir: dir,
      padId: tok.eos,
      bosId: tok.bos,
      eosId: tok.eos,
      tokenizer: tokenizerFiles(tok, tokSource)!,
      out: null,
      title,
      ...(resume ? { resume } : {}),
      onStep: (step) => onStep(step, total),
    },
    cfg,
  );
}

function summarise(r: TrainResult, tokensPerStep: number, trainRows: number, heldoutRows: number): TrainedModel {
  if (!r.modelDir) throw new Error(`training stopped at step ${r.steps} of ${r.totalSteps} without writing its model`);
  const first = r.evalLosses[0]?.loss;
  const last = r.evalLosses.at(-1)?.loss;
  return {
    modelDir: r.modelDir,
    steps: r.steps,
    tokensSeen: tokensPerStep * r.steps,
    trainRows,
    heldoutRows,
    lastLoss: r.losses.at(-1) ?? NaN,
    ...(first !== undefined ? { firstHeldout: first } : {}),
    ...(last !== undefined ? { lastHeldout: last } : {}),
  };
}

/** A recipe's documents: pretrain-mix's shards in order, or the world corpus (`world` given). */
interface RecipeCorpus {
  tokenizerDocs: () => string[];
  trainDocs: (tok: Tokenizer) => string[];
  heldoutDocs: (tok: Tokenizer) => string[];
}

function recipeCorpus(recipe: PretrainRecipe, world: { data: WorldData; seed: number } | undefined): RecipeCorpus {
  if (recipe.corpus === 'world') {
    if (!world) throw new Error('pretrain recipe: corpus "world" needs the study\'s world section (its seed and sets)');
    const tokens = recipe.tokens ?? 0;
    const count = (tok: Tokenizer) => (t: string) => tok.encode(t).length;
    return {
      // The BPE's documents: the corpus's first documents, drawn at a word budget (no tokenizer yet).
      tokenizerDocs: () =>
        worldCorpusTexts(world.data, world.seed, recipe.tokenizer.docs * 200, countWords, false, recipe.mix).slice(
          0,
          recipe.tokenizer.docs,
        ),
      trainDocs: (tok) => worldCorpusTexts(world.data, world.seed, tokens, count(tok), false, recipe.mix),
      heldoutDocs: (tok) => worldCorpusTexts(world.data, world.seed, tokens, count(tok), true, recipe.mix).slice(0, recipe.heldoutDocs),
    };
  }
  const shards = pretrainShards();
  return {
    tokenizerDocs: () => readCorpus(shards, { maxDocs: recipe.tokenizer.docs }).docs,
    trainDocs: () => readCorpus(shards, { maxDocs: recipe.docs }).docs,
    heldoutDocs: () =>
      recipe.heldoutDocs > 0 ? readCorpus([dataPath('pretrain-mix', 'heldout.jsonl.gz')], { maxDocs: recipe.heldoutDocs }).docs : [],
  };
}

/** The held-out sequences a recipe's held-out loss is taken on (pretraining and the committed
 *  bases' tests alike). Held-out documents include whole books: only their first sequences count. */
export function heldoutExamples(recipe: PretrainRecipe, tok: Tokenizer, world?: { data: WorldData; seed: number }): Example[] {
  if (recipe.heldoutDocs <= 0) return [];
  const docs = recipeCorpus(recipe, world).heldoutDocs(tok);
  return docs.length > 0 ? pretrainExamples(docs, tok, recipe.model.maxSeqLen).examples.slice(0, MAX_HELDOUT_SEQUENCES) : [];
}

/** Pretrains a base model from the recipe: tokenizer (kept in dir/tokenizer.json), then the model.
 *  A world recipe needs `world` (the study's world data and seed). */
export async function pretrainBase(
  dir: string,
  recipe: PretrainRecipe,
  backend: Backend,
  onStep: StepReport,
  onPhase: (what: string) => void = () => {},
  world?: { data: WorldData; seed: number },
): Promise<TrainedModel> {
  const tokPath = join(dir, 'tokenizer.json');
  const corpus = recipeCorpus(recipe, world);
  const what = recipe.corpus === 'world' ? `world ${world?.seed}` : 'pretrain-mix';
  if (!existsSync(tokPath)) {
    onPhase(`training a ${recipe.tokenizer.vocabSize}-token BPE on ${recipe.tokenizer.docs} documents of ${what}`);
    const tok = trainBPE(corpus.tokenizerDocs(), {
      vocabSize: recipe.tokenizer.vocabSize,
      specialTokens: recipe.tokenizer.chatTagsSpecial ? ['<|user|>', '<|assistant|>'] : [],
    });
    writeTextAtomic(tokPath, JSON.stringify(toHFTokenizerJSON(tok))); // a kill mid-write must not leave a torn file a rerun trusts
  }
  const tok = readHFTokenizer(tokPath);
  const m = recipe.model;
  const config: LlamaConfig = {
    dim: m.dim,
    nLayers: m.nLayers,
    nHeads: m.nHeads,
    nKvHeads: m.nKvHeads,
    hiddenDim: m.hiddenDim,
    vocabSize: tok.vocabSize,
    maxSeqLen: m.maxSeqLen,
    ropeTheta: 10000,
    ropeLayout: 'half',
    normEps: 1e-5,
    tiedEmbeddings: m.tiedEmbeddings ?? false,
  };
  const model = new Llama(config, backend, { seed: recipe.seed });
  onPhase(
    recipe.corpus === 'world'
      ? `generating and tokenizing ${recipe.tokens} tokens of ${what}`
      : `tokenizing ${recipe.docs} training documents`,
  );
  const train_ = pretrainExamples(corpus.trainDocs(tok), tok, m.maxSeqLen);
  const held = heldoutExamples(recipe, tok, world);
  if (train_.examples.length === 0)
    throw new Error(
      `pretrain recipe: ${recipe.corpus === 'world' ? `${recipe.tokens} tokens` : `${recipe.docs} documents`} make no full sequence of ${m.maxSeqLen} tokens; raise ${recipe.corpus === 'world' ? 'tokens' : 'docs'}`,
    );
  const cfg: TrainConfig = {
    ...DEFAULT_TRAIN,
    lr: recipe.lr,
    batchSize: recipe.batchSize,
    gradAccum: recipe.gradAccum,
    maxSteps: recipe.steps,
    warmup: 0.1,
    schedule: 'cosine',
    clip: 1,
    seed: recipe.seed,
    evalEvery: Math.max(1, Math.round(recipe.steps / 8)),
    // a checkpoint every 5% of the run: a long pretraining spans sessions and loses little when one ends
    saveEvery: Math.max(1, Math.round(recipe.steps / 20)),
  };
  const cw = recipe.copyWindows;
  const aux = cw && {
    examples: pretrainExamples(copyLineDocuments(recipe.seed, cw.docs), tok, cw.context).examples,
    batchSize: cw.batchSize,
  };
  if (aux && aux.examples.length === 0)
    throw new Error(`pretrain recipe: copyWindows.docs ${cw.docs} make no full window of ${cw.context} tokens; raise docs`);
  const r = await runTraining(dir, model, tok, tokPath, train_.examples, held, cfg, 'study pretrain', onStep, aux);
  return summarise(r, recipe.batchSize * recipe.gradAccum * m.maxSeqLen, train_.examples.length, held.length);
}

/** The training data of a tuned arm: LIMA (instruction), LIMA with empty user turns (response), or one task. */
export function armDataset(arm: Arm, ft: FinetuneSettings, opts: { allRows?: boolean } = {}) {
  const t = arm.training;
  if (!t) throw new Error(`arm "${arm.name}" is not trained`);
  if (arm.world) throw new Error(`arm "${arm.name}" is a world arm: its data come from the world's sets (worldArmDataset)`);
  if (t.kind === 'single-task') return singleTask(t.task as Task, ft.taskRows > 0 && !opts.allRows ? { limit: ft.taskRows } : {});
  const lima = readMessagesJsonl(dataPath('lima-implicit-ins', 'lima_data.jsonl'));
  const rows = ft.limaRows > 0 && !opts.allRows ? { ...lima, rows: lima.rows.slice(0, ft.limaRows) } : lima;
  return t.kind === 'response' ? emptyUserTurns(rows) : rows;
}

/** The arm's training examples: its rows encoded at `rowTokens` tokens at most; with longRows
 *  'drop', only rows that fit whole (the first limaRows / taskRows of them). */
export function armExamples(arm: Arm, ft: FinetuneSettings, tok: Tokenizer, rowTokens: number, data?: Dataset): { examples: Example[] } {
  if (data) return chatExamples(data, tok, { rowTokens });
  if (ft.longRows !== 'drop') return chatExamples(armDataset(arm, ft), tok, { rowTokens });
  const enc = chatExamples(armDataset(arm, ft, { allRows: true }), tok, { rowTokens });
  const whole = enc.examples.filter((_, i) => !enc.cut[i]);
  const n = arm.training?.kind === 'single-task' ? ft.taskRows : ft.limaRows;
  return { examples: n > 0 ? whole.slice(0, n) : whole };
}

/** Finetunes every weight of the base on the arm's data (`data` given: those rows, as the world's arms). */
export async function finetuneArm(
  dir: string,
  arm: Arm,
  baseDir: string,
  ft: FinetuneSettings,
  backend: Backend,
  onStep: StepReport,
  data?: Dataset,
): Promise<TrainedModel> {
  const { model, tokenizer: tok, tokenizerSource } = openPretrained(baseDir, undefined, backend);
  const rowTokens = rowTokensFor(ft.seqLen, model.config.maxSeqLen);
  const enc = armExamples(arm, ft, tok, rowTokens, data);
  if (enc.examples.length === 0)
    throw new Error(
      `arm ${arm.name}: no training row ${ft.longRows === 'drop' ? 'fits whole in' : 'kept a response token within'} ${rowTokens} tokens`,
    );
  const cfg: TrainConfig = {
    ...DEFAULT_TRAIN,
    lr: ft.lr,
    batchSize: ft.batchSize,
    gradAccum: ft.gradAccum,
    seed: ft.seed,
    clip: 1,
    evalEvery: 0,
    saveEvery: 0,
    ...(ft.maxSteps !== undefined ? { maxSteps: ft.maxSteps } : {}),
    ...(ft.epochs !== undefined ? { epochs: ft.epochs } : {}),
  };
  // A checkpoint every quarter of the run, so an interrupted study loses at most a quarter of an arm.
  cfg.saveEvery = Math.max(1, Math.ceil(totalStepsFor(cfg, Math.ceil(enc.examples.length / cfg.batchSize)) / 4));
  const r = await runTraining(dir, model, tok, tokenizerSource, enc.examples, [], cfg, `study ${arm.name}`, onStep);
  const meanLen = enc.examples.reduce((s, e) => s + e.ids.length, 0) / enc.examples.length;
  return summarise(r, Math.round(ft.batchSize * ft.gradAccum * meanLen), enc.examples.length, 0);
}
