// Progress while training: one updating line on a TTY (plain lines otherwise) with step/total,
// loss, lr, grad norm, tokens/s and ETA; the same records as JSONL in the output directory.
import { appendFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { formatDuration, StatusLine } from '../util/progress.ts';

export { formatDuration };

export interface StepRecord {
  step: number;
  totalSteps: number;
  epoch: number;
  loss: number;
  lr: number;
  gradNorm: number;
  /** Labelled tokens in the step. */
  tokens: number;
  tokPerSec: number;
  elapsedSec: number;
  etaSec: number;
}
export interface EvalRecord {
  step: number;
  evalLoss: number;
  evalTokens: number;
}
export type LogRecord = ({ kind: 'step' } & StepRecord) | ({ kind: 'eval' } & EvalRecord);


export function formatStep(r: StepRecord): string {
  const w = String(r.totalSteps).length;
  return `step ${String(r.step).padStart(w)}/${r.totalSteps}  loss ${r.loss.toFixed(4)}  lr ${r.lr.toExponential(2)}  |g| ${r.gradNorm.toFixed(3)}  ${r.tokPerSec.toFixed(0)} tok/s  ETA ${formatDuration(r.etaSec)}`;
}

/** Reads a JSONL log, keeping records up to `maxStep` (a resumed run drops what came after its checkpoint). */
export function readLog(path: string, maxStep = Infinity): LogRecord[] {
  if (!existsSync(path)) return [];
  return readFileSync(path, 'utf8').split('\n').filter((l) => l.trim() !== '').map((l) => JSON.parse(l) as LogRecord).filter((r) => r.step <= maxStep);
}

export class Progress {
  private readonly status: StatusLine;
  constructor(private readonly logPath: string, out: NodeJS.WriteStream | null = process.stderr, resumeStep = 0) {
    this.status = new StatusLine(out, { ttyMs: 0, plainMs: 0 });
    // rewrite the log so it holds exactly the history up to the step the run starts from
    const kept = readLog(logPath, resumeStep);
    writeFileSync(logPath, kept.map((r) => JSON.stringify(r) + '\n').join(''));
  }

  step(r: StepRecord): void {
    appendFileSync(this.logPath, JSON.stringify({ kind: 'step', ...r }) + '\n');
    this.print(formatStep(r), r.step === r.totalSteps);
  }

  eval(r: EvalRecord): void {
    appendFileSync(this.logPath, JSON.stringify({ kind: 'eval', ...r }) + '\n');
    this.message(`step ${r.step}: held-out loss ${r.evalLoss.toFixed(4)} over ${r.evalTokens} tokens`);
  }

  /** A line that stays (it replaces the updating line on a TTY). */
  message(line: string): void {
    this.status.keep(line);
  }

  private print(line: string, last: boolean): void {
    if (last) this.status.keep(line);
    else this.status.update(line);
  }
}
