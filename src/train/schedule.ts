// Learning-rate schedules with warmup, as transformers' get_{linear,cosine}_schedule_with_warmup
// give them (open-instruct uses these): the update numbered `step` (1-based) uses the factor at
// step − 1, so with warmup the first update has lr 0.
export const SCHEDULES = ['linear', 'cosine', 'constant'] as const;
export type ScheduleKind = (typeof SCHEDULES)[number];

export interface Schedule {
  lr: number;
  kind: ScheduleKind;
  warmupSteps: number;
  totalSteps: number;
}

/** Warmup given as a ratio of the total (0 ≤ w < 1, open-instruct's int(total · ratio)) or as steps (an integer ≥ 1). */
export function warmupSteps(warmup: number, totalSteps: number): number {
  if (!(warmup >= 0) || !Number.isFinite(warmup))
    throw new Error(`warmup must be a ratio in [0, 1) or a whole number of steps, got ${warmup}`);
  if (warmup < 1) return Math.floor(totalSteps * warmup);
  if (!Number.isInteger(warmup)) throw new Error(`warmup ${warmup} is neither a ratio below 1 nor a whole number of steps`);
  return warmup;
}

export function lrAt(step: number, s: Schedule): number {
  const t = step - 1;
  if (t < s.warmupSteps) return (s.lr * t) / Math.max(1, s.warmupSteps);
  const rest = Math.max(1, s.totalSteps - s.warmupSteps);
  switch (s.kind) {
    case 'constant':
      return s.lr;
    case 'linear':
      return s.lr * Math.max(0, (s.totalSteps - t) / rest);
    case 'cosine':
      return s.lr * Math.max(0, 0.5 * (1 + Math.cos((Math.PI * (t - s.warmupSteps)) / rest)));
    default:
      throw new Error(`unknown schedule ${JSON.stringify(s.kind)} (choose ${SCHEDULES.join(', ')})`);
  }
}
