// The training loop: micro-batches → accumulated gradients (loss normalised over the effective
// batch) → global-norm clip → AdamW with a warmup schedule; held-out loss every N steps;
// checkpoints every N steps and at the end; exact resume; NaN/Inf stops the run before the bad
// update reaches the weights, leaving the last good checkpoint intact.
import { writeFileSync } from 'node:fs';
import { outputDir } from '../io/open.ts';
import { join } from 'node:path';
import type { Tensor } from '../core/tensor.ts';
import { zeroGrad } from '../core/tensor.ts';
import { BatchStream, type Example, type HostBatch, collate, planEpoch } from '../data/batch.ts';
import { IGNORE } from '../data/chat.ts';
import type { NamedTensors } from '../io/weights.ts';
import type { Llama } from '../nn/llama.ts';
import { clipGradNorm, gradNorm } from '../ops/optim.ts';
import {
  type CheckpointContents,
  type LoadedCheckpoint,
  type TokenizerFiles,
  type TrainerState,
  writeCheckpoint,
  writeModelDir,
} from './checkpoint.ts';
import { AdamWState } from './optimizer.ts';
import { Progress, readLog } from './progress.ts';
import { type Schedule, type ScheduleKind, lrAt, warmupSteps } from './schedule.ts';
import { accumulateGradients, evaluateLoss } from './step.ts';
import { lossCurveSvg } from './svg.ts';

export interface TrainConfig {
  lr: number;
  schedule: ScheduleKind;
  /** Ratio of the total (< 1) or whole steps (≥ 1). */
  warmup: number;
  weightDecay: number;
  /** Global gradient-norm clip; 0 = none. */
  clip: number;
  batchSize: number;
  gradAccum: number;
  /** Run length: epochs, max steps, or both (whichever ends first). */
  epochs?: number;
  maxSteps?: number;
  /** Held-out loss every N steps (0 = only at the end). */
  evalEvery: number;
  /** Checkpoint every N steps (0 = only at the end). */
  saveEvery: number;
  seed: number;
  /** Length-bucketing window in batches (0 = none). */
  bucketBatches: number;
  beta1: number;
  beta2: number;
  eps: number;
}

export const DEFAULT_TRAIN: Omit<TrainConfig, 'epochs' | 'maxSteps'> = {
  lr: 1e-5,
  schedule: 'linear',
  warmup: 0.03,
  weightDecay: 0,
  clip: 0,
  batchSize: 1,
  gradAccum: 64,
  evalEvery: 0,
  saveEvery: 0,
  seed: 42,
  bucketBatches: 50,
  beta1: 0.9,
  beta2: 0.999,
  eps: 1e-8,
};

/** What the model contributes to a checkpoint (full weights, or adapters over a frozen base). */
export interface ModelParts {
  weights: NamedTensors | null;
  adapters?: { tensors: NamedTensors; config: Record<string, unknown> };
}

export interface TrainSetup {
  model: Llama;
  /** The parameters AdamW updates, by name (all of the model's, or LoRA adapters). */
  trainable: Map<string, Tensor>;
  train: readonly Example[];
  /** A second set trained beside the first: one batch of it in every step, its mean loss added to
   *  the step's (so it weighs as much as the first set's whatever its length). A curriculum that
   *  keeps short windows in the mix for the whole run (docs/world.md, "Short windows"). */
  aux?: { examples: readonly Example[]; batchSize: number };
  heldout?: readonly Example[];
  outDir: string;
  padId: number;
  bosId: number;
  eosId: number;
  tokenizer?: TokenizerFiles;
  /** The model's state for a checkpoint (training layout). */
  snapshot(): Promise<ModelParts>;
  /** The final exported model (HF directory contents; LoRA: merged). */
  exportWeights(): Promise<NamedTensors>;
  /** Continue from this checkpoint (its weights must already be in the model). */
  resume?: LoadedCheckpoint;
  /** Stop after this step as if interrupted (tests; a checkpoint is written there). */
  stopAfter?: number;
  /** Where progress lines go (null: silent). */
  out?: NodeJS.WriteStream | null;
  /** Called after each update (tests: memory, fault injection). */
  onStep?(step: number): void | Promise<void>;
  title?: string;
}

export interface TrainResult {
  steps: number;
  totalSteps: number;
  losses: number[];
  evalLosses: { step: number; loss: number }[];
  checkpointDir: string;
  modelDir: string | null;
}

export class TrainingStopped extends Error {}

/** Full finetuning: every parameter trains; checkpoints hold the whole model. */
export function fullModelParts(model: Llama): Pick<TrainSetup, 'trainable' | 'snapshot' | 'exportWeights'> {
  return {
    trainable: model.namedParameters(),
    snapshot: async () => ({ weights: await model.state() }),
    exportWeights: () => model.state(),
  };
}

/** Mean token loss of accumulated micro-batches (NaN when none carried a label). */
const meanLoss = (a: { lossSum: number; tokens: number }): number => (a.tokens > 0 ? a.lossSum / a.tokens : NaN);

/** The options that must match for a resume to continue the same run. */
function identity(cfg: TrainConfig, totalSteps: number): Record<string, unknown> {
  const { evalEvery: _e, saveEvery: _s, ...rest } = cfg;
  return { ...rest, totalSteps };
}

export function totalStepsFor(cfg: TrainConfig, batchesPerEpoch: number): number {
  if (cfg.epochs === undefined && cfg.maxSteps === undefined) throw new Error('give epochs or maxSteps');
  const perEpoch = Math.ceil(batchesPerEpoch / cfg.gradAccum);
  const byEpochs = cfg.epochs === undefined ? Infinity : cfg.epochs * perEpoch;
  return Math.min(byEpochs, cfg.maxSteps ?? Infinity);
}

function validate(cfg: TrainConfig): void {
  const errs: string[] = [];
  const posInt = (k: keyof TrainConfig) => {
    const v = cfg[k];
    if (v !== undefined && (!Number.isInteger(v) || (v as number) < 1)) errs.push(`${k} must be a positive integer, got ${v}`);
  };
  const nonNegInt = (k: keyof TrainConfig) => {
    if (!Number.isInteger(cfg[k]) || (cfg[k] as number) < 0) errs.push(`${k} must be a whole number >= 0, got ${cfg[k]}`);
  };
  (['batchSize', 'gradAccum', 'epochs', 'maxSteps'] as const).forEach(posInt);
  (['evalEvery', 'saveEvery', 'bucketBatches', 'seed'] as const).forEach(nonNegInt);
  if (!(cfg.lr >= 0) || !Number.isFinite(cfg.lr)) errs.push(`lr must be a finite number >= 0, got ${cfg.lr}`);
  if (!(cfg.clip >= 0) || !Number.isFinite(cfg.clip)) errs.push(`clip must be >= 0 (0 = off), got ${cfg.clip}`);
  if (!(cfg.weightDecay >= 0)) errs.push(`weightDecay must be >= 0, got ${cfg.weightDecay}`);
  if (errs.length) throw new Error(`invalid training options: ${errs.join('; ')}`);
}

export async function train(setup: TrainSetup, cfg: TrainConfig): Promise<TrainResult> {
  validate(cfg);
  const { model, outDir } = setup;
  outputDir(outDir, 'output directory');
  const names = [...setup.trainable.keys()];
  const params = [...setup.trainable.values()];
  const planOpts = { batchSize: cfg.batchSize, seed: cfg.seed, bucketBatches: cfg.bucketBatches, padId: setup.padId };
  const resume = setup.resume;
  const stream = new BatchStream(setup.train, planOpts, resume?.state.position);
  const totalSteps = totalStepsFor(cfg, stream.batchesPerEpoch);
  const schedule: Schedule = { lr: cfg.lr, kind: cfg.schedule, warmupSteps: warmupSteps(cfg.warmup, totalSteps), totalSteps };
  const aux = setup.aux;
  if (aux) {
    // a batch of the second set with nothing labelled would have no mean loss; refuse it here, not at its step
    if (aux.examples.length === 0) throw new Error('the second training set (aux) is empty');
    const bare = aux.examples.findIndex((e) => !e.labels.slice(1).some((l) => l !== IGNORE)); // targets: labels[1..]
    if (bare >= 0) throw new Error(`the second training set (aux): example ${bare} has no labelled target token`);
  }
  const ident = { ...identity(cfg, totalSteps), ...(aux ? { aux: { examples: aux.examples.length, batchSize: aux.batchSize } } : {}) };
  if (resume) {
    const want = JSON.stringify(resume.state.options);
    if (want !== JSON.stringify(ident))
      throw new Error(`--resume: the checkpoint was trained with ${want}; this run asks for ${JSON.stringify(ident)}`);
  }
  const auxPos = resume?.state.auxPosition;
  const auxStream = aux
    ? new BatchStream(
        aux.examples,
        { batchSize: aux.batchSize, seed: cfg.seed + 1, bucketBatches: 0, padId: setup.padId },
        auxPos && { ...auxPos },
      )
    : undefined;
  const heldout: HostBatch[] = setup.heldout?.length
    ? planEpoch(
        setup.heldout.map((e) => e.ids.length),
        0,
        { ...planOpts, shuffle: false },
      ).map((idx) =>
        collate(
          idx.map((i) => setup.heldout![i]!),
          setup.padId,
        ),
      )
    : [];

  const opt = new AdamWState(names, params, { beta1: cfg.beta1, beta2: cfg.beta2, eps: cfg.eps, weightDecay: cfg.weightDecay });
  if (resume) opt.load(resume.optimizer, 'checkpoint');
  const logPath = join(outDir, 'log.jsonl');
  const startStep = resume?.state.step ?? 0;
  const progress = new Progress(logPath, setup.out === undefined ? process.stderr : setup.out, startStep);
  const checkpointDir = join(outDir, 'checkpoint');
  let lastSaved = resume ? startStep : -1;
  let lastLoss = resume?.state.lastLoss ?? NaN;
  let lastEval: number | undefined = resume?.state.lastEvalLoss;
  const losses: number[] = [];
  const evalLosses: { step: number; loss: number }[] = [];

  const save = async (step: number) => {
    const parts = await setup.snapshot();
    const state: TrainerState = {
      format: 'heed-trainer-1',
      step,
      totalSteps,
      position: stream.position(),
      ...(auxStream ? { auxPosition: auxStream.position() } : {}),
      ropeLayout: model.config.ropeLayout,
      options: ident,
      lastLoss,
      ...(lastEval !== undefined ? { lastEvalLoss: lastEval } : {}),
    };
    const contents: CheckpointContents = {
      config: model.config,
      weights: parts.weights,
      optimizer: await opt.export(),
      state,
      bosId: setup.bosId,
      eosId: setup.eosId,
      ...(parts.adapters ? { adapters: parts.adapters } : {}),
      ...(setup.tokenizer ? { tokenizer: setup.tokenizer } : {}),
    };
    writeCheckpoint(checkpointDir, contents);
    lastSaved = step;
  };
  const evaluate = async (step: number) => {
    if (!heldout.length) return;
    const r = await evaluateLoss(model, heldout);
    lastEval = r.loss;
    evalLosses.push({ step, loss: r.loss });
    progress.eval({ step, evalLoss: r.loss, evalTokens: r.tokens });
  };

  if (!resume) await evaluate(0);
  const t0 = performance.now();
  let tokensSeen = 0;
  let step = startStep;
  try {
    while (step < totalSteps) {
      step++;
      const ts = performance.now();
      const micro: HostBatch[] = [];
      while (micro.length < cfg.gradAccum) {
        micro.push(stream.next());
        if (stream.position().batch >= stream.batchesPerEpoch) break; // an epoch ends a step
      }
      zeroGrad(params);
      const acc = await accumulateGradients(model, micro);
      const loss = meanLoss(acc);
      // the second set's batch: its gradient, normalised over its own tokens, adds to the first's
      const accAux = auxStream ? await accumulateGradients(model, [auxStream.next()]) : undefined;
      const auxLoss = accAux && meanLoss(accAux);
      const inputTokens = acc.inputTokens + (accAux?.inputTokens ?? 0);
      const grads = params.map((p) => p.grad);
      let norm = 0;
      if (grads.some((g) => g)) {
        const nt = cfg.clip > 0 ? clipGradNorm(grads, cfg.clip) : gradNorm(grads);
        norm = await nt.item();
        nt.dispose();
      }
      if (!Number.isFinite(loss) || !Number.isFinite(norm) || (auxLoss !== undefined && !Number.isFinite(auxLoss))) {
        const what = !Number.isFinite(loss)
          ? `the loss is ${loss}`
          : !Number.isFinite(norm)
            ? `the gradient norm is ${norm}`
            : `the second set's loss is ${auxLoss}`;
        const where =
          lastSaved >= 0
            ? `the last good checkpoint (step ${lastSaved}) is intact in ${checkpointDir}`
            : 'no checkpoint had been written yet';
        throw new TrainingStopped(`training stopped at step ${step}: ${what} (${acc.tokens} labelled tokens); ${where}`);
      }
      const lr = lrAt(step, schedule);
      opt.update(lr, step);
      zeroGrad(params);
      lastLoss = loss;
      losses.push(loss);
      tokensSeen += inputTokens;
      const now = performance.now();
      const elapsed = (now - t0) / 1000;
      const done = step - startStep;
      progress.step({
        step,
        totalSteps,
        epoch: stream.position().epoch,
        loss,
        lr,
        gradNorm: norm,
        tokens: acc.tokens,
        tokPerSec: inputTokens / ((now - ts) / 1000),
        elapsedSec: elapsed,
        etaSec: (elapsed / done) * (totalSteps - step),
        ...(auxLoss !== undefined ? { auxLoss } : {}),
      });
      await setup.onStep?.(step);
      const last = step === totalSteps || step === setup.stopAfter;
      if ((cfg.evalEvery > 0 && step % cfg.evalEvery === 0) || last) await evaluate(step);
      if ((cfg.saveEvery > 0 && step % cfg.saveEvery === 0) || last) await save(step);
      if (step === setup.stopAfter) break;
    }
  } finally {
    zeroGrad(params);
    opt.dispose();
  }
  let modelDir: string | null = null;
  if (step === totalSteps) {
    modelDir = join(outDir, 'model');
    writeModelDir(modelDir, model.config, await setup.exportWeights(), { bos: setup.bosId, eos: setup.eosId }, setup.tokenizer);
    progress.message(
      `wrote ${modelDir} (HF layout) and ${checkpointDir} (resumable); ${tokensSeen} input tokens in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
    );
  }
  writeCurve(outDir, setup.title);
  return { steps: step, totalSteps, losses, evalLosses, checkpointDir, modelDir };
}

/** loss.svg from the run's log (the whole history, across resumes). */
export function writeCurve(outDir: string, title?: string): string | null {
  const log = readLog(join(outDir, 'log.jsonl'));
  const trainPts = log.flatMap((r) => (r.kind === 'step' ? [{ step: r.step, loss: r.loss }] : []));
  const heldPts = log.flatMap((r) => (r.kind === 'eval' ? [{ step: r.step, loss: r.evalLoss }] : []));
  if (!trainPts.length && !heldPts.length) return null;
  const path = join(outDir, 'loss.svg');
  writeFileSync(path, lossCurveSvg({ train: trainPts, heldout: heldPts, ...(title ? { title } : {}) }));
  return path;
}
