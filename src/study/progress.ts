// The study's progress display: the stage, its progress, and the whole study's ETA. Work is
// counted in the cost units of COST below; the ETA is the units left times a time per unit that
// starts at the reference host's (so the first ETA is already the right size) and moves to this
// run's measured rate as work is done. Cached stages cost nothing.
import { formatDuration, StatusLine } from '../util/progress.ts';
import { type FinetuneSettings, modelFootprint, type PretrainRecipe } from './config.ts';

/** The cost model: relative units per piece of work, from the stage times of the default study
 *  from nothing cached on 2 vCPU with the fast CPU backend (2026-12-07, 690 s in all): 7 real-data
 *  arms of 12 finetuning steps of 8 x 256 tokens in 70 s and 4 world arms of 100 such steps (short
 *  rows) in 163 s; 12 arms of 88 answers of 64 tokens in 44 s and 10 world arms of 320 answers of
 *  160 tokens in 255 s; 480 judgements in 56 s (the LC bootstrap dominates); 3,840 ranked
 *  sequences in 72 s and 840 world ones in 30 s; world pretraining (1.7M parameters) ~0.69 ms a
 *  token. One unit is 0.1 ms there; the plan of that study comes to 767 s. */
export const COST = {
  /** per token of an optimizer step (B x T tokens), finetuning */
  trainToken: 3,
  /** per token of a pretraining step (held-out evaluations included), for a model of
   *  PRETRAIN_REF_WEIGHTS matmul weights; pretrainUnits scales it by the recipe's own */
  pretrainToken: 6,
  /** per new token of an answer (AlpacaEval, IFEval and the world alike) */
  answerToken: 5.5,
  /** per judged instruction (ROUGE-L proxy and the LC bootstrap) */
  judgedInstruction: 1170,
  /** per ranked sequence of the ranking probe */
  rankedSequence: 200,
  /** seconds per unit on the reference host */
  secondsPerUnit: 1e-4,
} as const;

/** Weights a token goes through in matmuls: every parameter but the input embedding's rows,
 *  which are looked up (modelFootprint counts the parameters). */
function matmulWeights(m: PretrainRecipe['model'], vocabSize: number): number {
  return modelFootprint(m, vocabSize, 1).parameters - vocabSize * m.dim;
}

/** Matmul weights per token of the model pretrainToken was measured on (the world base: dim 128,
 *  6 layers, MLP 384, a 2,048-token head): a step's FLOPs grow with them (a 3.4M-parameter world
 *  recipe ran 4.0 s a step against that model's 2.1-2.8 s). */
const PRETRAIN_REF_WEIGHTS = matmulWeights({ dim: 128, nLayers: 6, nHeads: 4, nKvHeads: 4, hiddenDim: 384, maxSeqLen: 256 }, 2048);

/** Cost units of pretraining a recipe: its tokens (the copy windows' batch beside each step's
 *  included: attempt 8's added 26% to a step's tokens), weighted by its matmul weights per token. */
export function pretrainUnits(p: PretrainRecipe): number {
  const weights = matmulWeights(p.model, p.tokenizer.vocabSize);
  const copyTokens = p.copyWindows ? p.copyWindows.batchSize * p.copyWindows.context : 0; // inputs, as maxSeqLen counts
  const stepTokens = p.batchSize * p.gradAccum * p.model.maxSeqLen + copyTokens;
  return p.steps * stepTokens * COST.pretrainToken * (weights / PRETRAIN_REF_WEIGHTS);
}

/** Cost units of finetuning one arm: its steps' tokens at most (a config that trains by epochs is
 *  planned as 100 steps: its row count is known only once its data is read). */
export function finetuneUnits(ft: FinetuneSettings): number {
  return (ft.maxSteps ?? 100) * ft.batchSize * ft.gradAccum * ft.seqLen * COST.trainToken;
}

/** How much measured work outweighs the reference host's rate: the prior counts as this share of the plan. */
const PRIOR_SHARE = 0.15;

export interface PlannedStage {
  name: string;
  units: number;
}

export class StudyProgress {
  private readonly t0 = performance.now();
  private doneUnits = 0;
  private stageUnits = 0;
  private stageFrac = 0;
  /** The share of the current stage done before this run (a resumed checkpoint, see resumed()):
   *  no time of this run went into it, so it counts neither as done nor as left. */
  private stageHeadStart = 0;
  private headStartUnits = 0;
  private index = -1;
  private current = '';
  private readonly total: number;

  private readonly status: StatusLine;

  constructor(
    private readonly stages: PlannedStage[],
    private readonly out: NodeJS.WriteStream | null = process.stderr,
  ) {
    this.total = stages.reduce((s, x) => s + x.units, 0);
    this.status = new StatusLine(out, { ttyMs: 250, plainMs: 5000 });
  }

  /** Units of the stages not yet finished (this run's work left). */
  get unitsLeft(): number {
    return this.total - this.doneUnits - this.stageUnits * this.stageFrac;
  }

  /** Units this run has done itself (not a resumed stage's head start). */
  private get unitsDoneHere(): number {
    return this.doneUnits - this.headStartUnits + this.stageUnits * (this.stageFrac - this.stageHeadStart);
  }

  /** Seconds left: units left x seconds per unit, blending the reference host's rate (weight
   *  PRIOR_SHARE of the plan) with this run's (weight: the units done). */
  etaSec(): number {
    const done = this.unitsDoneHere;
    const el = (performance.now() - this.t0) / 1000;
    const k = PRIOR_SHARE * this.total;
    const perUnit = (el + k * COST.secondsPerUnit) / (done + k);
    return this.total > 0 ? perUnit * this.unitsLeft : 0;
  }

  begin(name: string): void {
    this.index = this.stages.findIndex((s) => s.name === name);
    this.stageUnits = this.stages[this.index]?.units ?? 0;
    this.stageFrac = 0;
    this.stageHeadStart = 0;
    this.current = name;
    this.print(`${name}: starting`, true);
  }

  /** `phase`: a new phase of the stage (always printed, on its own line), not a tick of progress. */
  update(detail: string, frac: number, phase = false): void {
    this.stageFrac = Math.max(0, Math.min(1, frac));
    this.print(`${this.current}: ${detail}`, phase);
  }

  /** The current stage resumes `frac` of the way through (a checkpoint of an earlier run). */
  resumed(detail: string, frac: number): void {
    this.stageHeadStart = this.stageFrac = Math.max(0, Math.min(1, frac));
    this.print(`${this.current}: ${detail}`, true);
  }

  end(status: string): void {
    this.headStartUnits += this.stageUnits * this.stageHeadStart;
    this.doneUnits += this.stageUnits;
    this.stageUnits = 0;
    this.stageFrac = 0;
    this.print(`${this.current}: ${status}`, true);
  }

  /** A stage served from the cache (the caller leaves cached stages out of the plan). */
  skip(name: string): void {
    this.out?.write(`[study] ${name}: served from the cache\n`);
  }

  private print(msg: string, force: boolean): void {
    const line = `[study ${this.index + 1}/${this.stages.length}] ${msg} · elapsed ${formatDuration((performance.now() - this.t0) / 1000)} · study ETA ${formatDuration(this.etaSec())}`;
    if (force) this.status.keep(line);
    else this.status.update(line);
  }
}
