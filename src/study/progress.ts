// The study's progress display: the stage, its progress, and the whole study's ETA. Work is
// counted in the cost units of COST below; the ETA is the units left times a time per unit that
// starts at the reference host's (so the first ETA is already the right size) and moves to this
// run's measured rate as work is done. Cached stages cost nothing.
import { formatDuration, StatusLine } from '../util/progress.ts';

/** The cost model: relative units per piece of work, from the stage times of the default study
 *  on 2 vCPU (WebGPU on lavapipe): a finetuning step of 8 x 256 tokens ~6 s, an arm's 88 answers
 *  of 64 tokens ~17 s, an arm's 40 judgements ~5 s, the ranking probe's 3,840 sequences ~5 min
 *  (2026-12-07, under load; the units keep those proportions). The default study is about 1.08M
 *  units, and took 10 min 50 s on a quiet host: that fixes the seconds per unit. */
export const COST = {
  /** per token of an optimizer step (B x T tokens), finetuning */
  trainToken: 3,
  /** per token of a pretraining step (held-out evaluations included) */
  pretrainToken: 4,
  /** per new token of an answer (AlpacaEval and IFEval alike) */
  answerToken: 3,
  /** per judged instruction (ROUGE-L proxy and the LC bootstrap) */
  judgedInstruction: 125,
  /** per ranked sequence of the ranking probe */
  rankedSequence: 78,
  /** seconds per unit on the reference host: 650 s / 1.08M units */
  secondsPerUnit: 650 / 1.078e6,
} as const;

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

  /** Seconds left: units left x seconds per unit, blending the reference host's rate (weight
   *  PRIOR_SHARE of the plan) with this run's (weight: the units done). */
  etaSec(): number {
    const done = this.doneUnits + this.stageUnits * this.stageFrac;
    const el = (performance.now() - this.t0) / 1000;
    const k = PRIOR_SHARE * this.total;
    const perUnit = (el + k * COST.secondsPerUnit) / (done + k);
    return this.total > 0 ? perUnit * (this.total - done) : 0;
  }

  begin(name: string): void {
    this.index = this.stages.findIndex((s) => s.name === name);
    this.stageUnits = this.stages[this.index]?.units ?? 0;
    this.stageFrac = 0;
    this.current = name;
    this.print(`${name}: starting`, true);
  }

  /** `phase`: a new phase of the stage (always printed, on its own line), not a tick of progress. */
  update(detail: string, frac: number, phase = false): void {
    this.stageFrac = Math.max(0, Math.min(1, frac));
    this.print(`${this.current}: ${detail}`, phase);
  }

  end(status: string): void {
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
