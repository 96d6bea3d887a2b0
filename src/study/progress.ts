// The study's progress display: the stage, its progress, and the whole study's ETA. Work is
// counted in estimated cost units (a training step of B rows x T tokens costs about 3·B·T, a
// generated row about its new tokens times its prompt); the study's ETA is the time per unit
// measured so far in this run times the units left. Cached stages cost nothing.
import { formatDuration } from '../util/progress.ts';

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
  private lastPrint = 0;
  private current = '';
  private readonly total: number;

  constructor(private readonly stages: PlannedStage[], private readonly out: NodeJS.WriteStream | null = process.stderr) {
    this.total = stages.reduce((s, x) => s + x.units, 0);
  }

  /** Units of the stages not yet finished (this run's work left). */
  get unitsLeft(): number {
    return this.total - this.doneUnits - this.stageUnits * this.stageFrac;
  }

  etaSec(): number {
    const done = this.doneUnits + this.stageUnits * this.stageFrac;
    const el = (performance.now() - this.t0) / 1000;
    return done > 0 ? (el / done) * (this.total - done) : NaN;
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
    if (!this.out) return;
    const now = performance.now();
    if (!force && now - this.lastPrint < (this.out.isTTY ? 250 : 5000)) return;
    this.lastPrint = now;
    const line = `[study ${this.index + 1}/${this.stages.length}] ${msg} · elapsed ${formatDuration((now - this.t0) / 1000)} · study ETA ${formatDuration(this.etaSec())}`;
    if (this.out.isTTY) this.out.write(`\r${line}\x1b[K${force ? '\n' : ''}`);
    else this.out.write(`${line}\n`);
  }
}
