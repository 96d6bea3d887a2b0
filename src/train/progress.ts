// Progress while training: one updating line on a TTY (plain lines otherwise) with step/total,
// loss, lr, grad norm, tokens/s and ETA; the same records as JSONL in the output directory.
import { appendFileSync } from 'node:fs';
import { readAppendLog } from '../io/appendLog.ts';
import { writeTextAtomic } from '../io/files.ts';
import { type Schema, checkShape } from '../io/schema.ts';
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
  /** Mean loss of the step's second-set batch (TrainSetup.aux), when the run has one. */
  auxLoss?: number;
}
export interface EvalRecord {
  step: number;
  evalLoss: number;
  evalTokens: number;
}
export type LogRecord = ({ kind: 'step' } & StepRecord) | ({ kind: 'eval' } & EvalRecord);

export function formatStep(r: StepRecord): string {
  const w = String(r.totalSteps).length;
  const aux = r.auxLoss !== undefined ? ` (+ second set ${r.auxLoss.toFixed(4)})` : '';
  return `step ${String(r.step).padStart(w)}/${r.totalSteps}  loss ${r.loss.toFixed(4)}${aux}  lr ${r.lr.toExponential(2)}  |g| ${r.gradNorm.toFixed(3)}  ${r.tokPerSec.toFixed(0)} tok/s  ETA ${formatDuration(r.etaSec)}`;
}

const KIND: Schema = { object: { kind: { literal: ['step', 'eval'] } } };
const RECORD: Record<LogRecord['kind'], Schema> = {
  step: {
    object: {
      step: 'count',
      totalSteps: 'count',
      epoch: 'count',
      loss: 'number',
      lr: 'number',
      gradNorm: 'number',
      tokens: 'count',
      tokPerSec: 'number?',
      elapsedSec: 'number?',
      etaSec: 'number?',
      auxLoss: 'number',
    },
    optional: ['auxLoss'],
  },
  eval: { object: { step: 'count', evalLoss: 'number', evalTokens: 'count' } },
};

/**
 * Reads a JSONL log, keeping records up to `maxStep` (a resumed run drops what came after its
 * checkpoint). A torn last line (a crash mid-append) is cut off and reported through `note`; a
 * record of the wrong shape is refused naming file:line and the field.
 */
export function readLog(path: string, maxStep = Infinity, note?: (msg: string) => void): LogRecord[] {
  const log = readAppendLog(path, 'training log');
  if (log.repaired) note?.(log.repaired);
  return log.records
    .map(({ value, line }) => {
      const where = `${path}:${line}`;
      const kind = checkShape<{ kind: LogRecord['kind'] }>(value, KIND, where).kind;
      return checkShape<LogRecord>(value, RECORD[kind], where);
    })
    .filter((r) => r.step <= maxStep);
}

export class Progress {
  private readonly status: StatusLine;
  constructor(
    private readonly logPath: string,
    out: NodeJS.WriteStream | null = process.stderr,
    resumeStep = 0,
  ) {
    this.status = new StatusLine(out, { ttyMs: 0, plainMs: 0 });
    // rewrite the log so it holds exactly the history up to the step the run starts from
    const kept = readLog(logPath, resumeStep, (msg) => this.message(`warning: ${msg}`));
    writeTextAtomic(logPath, kept.map((r) => `${JSON.stringify(r)}\n`).join(''));
  }

  step(r: StepRecord): void {
    appendFileSync(this.logPath, `${JSON.stringify({ kind: 'step', ...r })}\n`);
    this.print(formatStep(r), r.step === r.totalSteps);
  }

  eval(r: EvalRecord): void {
    appendFileSync(this.logPath, `${JSON.stringify({ kind: 'eval', ...r })}\n`);
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
