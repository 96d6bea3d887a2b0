// Win-rate metrics as AlpacaEval computes them (alpaca_eval/metrics: winrate.py, helpers.py,
// glm_winrate.py). Preferences are in [1, 2]: 1 = the reference (output_1) wins, 2 = the model
// (output_2) wins, 1.5 = draw; 0 is AlpacaEval's old draw code and counts as 1.5; NaN = no verdict.
import { sampleStd } from '../util/stats.ts';
import { charLength } from './outputs.ts';

export interface HeadToHead {
  win_rate: number;
  standard_error: number;
  n_wins: number;
  n_wins_base: number;
  n_draws: number;
  n_total: number;
  discrete_win_rate: number;
}

export interface Leaderboard extends HeadToHead {
  avg_length: number;
  length_controlled_winrate: number;
}

function checkPreference(p: number, i: number): void {
  if (Number.isNaN(p) || p === 0 || (p >= 1 && p <= 2)) return;
  throw new Error(`preference ${i} is ${p}: preferences must lie in [1, 2] (or be 0 / NaN)`);
}

/**
 * AlpacaEval's head-to-head description with the absolute scoring rule (win_rate, its standard
 * error, counts) plus the zero-one rule's win rate (each preference rounded to 1, 1.5 or 2).
 * NaN preferences are dropped (not in n_total).
 */
export function headToHead(preferences: readonly number[]): HeadToHead {
  preferences.forEach(checkPreference);
  const valid = preferences.map((p) => (p === 0 ? 1.5 : p)).filter((p) => !Number.isNaN(p));
  const x = valid.map((p) => p - 1);
  const n = x.length;
  const mean = n === 0 ? NaN : x.reduce((a, b) => a + b, 0) / n;
  const n_draws = valid.filter((p) => p === 1.5).length;
  const n_wins = x.filter((v) => v > 0.5).length;
  const n_wins_base = x.filter((v) => v < 0.5).length;
  return {
    win_rate: mean * 100,
    standard_error: (sampleStd(x) / Math.sqrt(n)) * 100,
    n_wins,
    n_wins_base,
    n_draws,
    n_total: n,
    // Zero-one rule: exactly 1.5 is a draw; anything else rounds to the nearer of 1 and 2.
    discrete_win_rate: n === 0 ? NaN : ((n_wins + n_draws / 2) / n) * 100,
  };
}

const logistic = (z: number): number => (z >= 0 ? 1 / (1 + Math.exp(-z)) : Math.exp(z) / (1 + Math.exp(z)));

/** The root of an increasing φ in [a, b] (φ(a) ≤ 0 ≤ φ(b)): Newton steps, bisection when a step
 *  leaves the bracket (safeguarded Newton, a handful of evaluations instead of ~100 bisections). */
function rootOfIncreasing(phi: (t: number) => [number, number], a: number, b: number, start?: number): number {
  let t = start !== undefined && start > a && start < b ? start : (a + b) / 2;
  for (let k = 0; k < 200; k++) {
    const [f, df] = phi(t);
    if (f === 0) return t;
    if (f < 0) a = t;
    else b = t;
    let next = df > 0 ? t - f / df : NaN;
    if (!(next > a && next < b)) next = (a + b) / 2;
    const done = Math.abs(next - t) <= 1e-15 * Math.max(1, Math.abs(t)) || b - a <= 1e-15 * Math.max(1, Math.abs(t));
    t = next;
    if (done) break;
  }
  return t;
}

/**
 * Logistic regression with continuous targets y ∈ [0, 1], no intercept, L1 penalty:
 * minimises ‖w‖₁ + C·Σᵢ [−yᵢ log σ(w·xᵢ) − (1 − yᵢ) log(1 − σ(w·xᵢ))]. This is what AlpacaEval's
 * fit does (sklearn liblinear, penalty l1, fit_intercept False, each row duplicated as a 1-row
 * weighted y and a 0-row weighted 1 − y); C = 100 is sklearn's value there without cross-validation.
 * Solved by cyclic coordinate descent; each coordinate's subproblem is convex in one variable and
 * solved exactly on its (monotone) subgradient by safeguarded Newton steps.
 */
export function fitL1Logistic(X: readonly (readonly number[])[], y: readonly number[], C = 100): number[] {
  const n = X.length;
  const d = n === 0 ? 0 : X[0]!.length;
  const w = new Array<number>(d).fill(0);
  const z = new Float64Array(n); // w·xᵢ, kept current
  // The data term's derivative along coordinate j at w_j = t (other coordinates fixed), and its
  // second derivative C·Σ σ'(·)·x² (≥ 0: the subgradient is increasing), for the Newton steps.
  const gradHess = (j: number, t: number): [number, number] => {
    let g = 0;
    let h = 0;
    for (let i = 0; i < n; i++) {
      const xij = X[i]![j]!;
      const p = logistic(z[i]! + (t - w[j]!) * xij);
      g += (p - y[i]!) * xij;
      h += p * (1 - p) * xij * xij;
    }
    return [C * g, C * h];
  };
  const grad = (j: number, t: number): number => gradHess(j, t)[0];
  for (let sweep = 0; sweep < 500; sweep++) {
    let moved = 0;
    for (let j = 0; j < d; j++) {
      const g0 = grad(j, 0);
      let t: number;
      if (Math.abs(g0) <= 1)
        t = 0; // 0 is in the subdifferential
      else {
        // The root of grad(t) + sign(t) lies on the side opposite to g0's sign.
        const s = g0 > 1 ? -1 : 1;
        // Bracket from the current weight's size (it moves little between sweeps), then solve from it.
        let hi = s * Math.max(1, Math.abs(w[j]!));
        while (s * (grad(j, hi) + s) < 0 && Math.abs(hi) < 1e6) hi *= 2;
        const phi = (u: number): [number, number] => {
          const [g, h] = gradHess(j, u);
          return [g + s, h];
        };
        t = rootOfIncreasing(phi, Math.min(0, hi), Math.max(0, hi), s * w[j]! > 0 ? w[j]! : undefined);
      }
      const delta = t - w[j]!;
      if (delta !== 0) for (let i = 0; i < n; i++) z[i]! += delta * X[i]![j]!;
      w[j] = t;
      moved = Math.max(moved, Math.abs(delta));
    }
    if (moved < 1e-12) break;
  }
  return w;
}

/**
 * The length-controlled win rate, "minimal" variant: AlpacaEval's GLM `tanh(std_delta_len) +
 * model − 1` WITHOUT the instruction-difficulty term and without the regularisation towards the
 * gamed baselines (both need AlpacaEval's precomputed data). std_delta_len is (len(output_1) −
 * len(output_2)) / std of that difference, in characters (reference minus model); the prediction
 * at std_delta_len = 0 is σ(w_model) for every row. NaN preferences are dropped; NaN when the
 * length differences have no spread (the feature is undefined, as in AlpacaEval).
 */
export function lengthControlledWinRate(rows: readonly { output_1: string; output_2: string; preference: number }[]): number {
  const kept = rows.filter((r) => !Number.isNaN(r.preference));
  const deltas = rows.map((r) => charLength(r.output_1) - charLength(r.output_2));
  const std = sampleStd(deltas); // AlpacaEval standardises over all rows, before dropping NaNs
  if (!(std > 0) || kept.length === 0) return NaN;
  const X = kept.map((r) => [Math.tanh((charLength(r.output_1) - charLength(r.output_2)) / std), 1]);
  const y = kept.map((r) => (r.preference === 0 ? 1.5 : r.preference) - 1);
  const [, model] = fitL1Logistic(X, y);
  return logistic(model!) * 100;
}

/** AlpacaEval's avg_length: int() of the mean output length in characters (truncates). */
export function avgLength(outputs: readonly string[]): number {
  return Math.trunc(outputs.reduce((a, o) => a + charLength(o), 0) / outputs.length);
}

/** Everything a leaderboard.csv row holds. Identical model and reference names give 50 (AlpacaEval's rule). */
export function leaderboardRow(
  rows: readonly { output_1: string; output_2: string; preference: number }[],
  sameGenerator = false,
): Leaderboard {
  return {
    ...headToHead(rows.map((r) => r.preference)),
    avg_length: avgLength(rows.map((r) => r.output_2)),
    length_controlled_winrate: sameGenerator ? 50 : lengthControlledWinRate(rows),
  };
}
