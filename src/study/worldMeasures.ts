// The world part's numbers, from the answers alone (exact: src/eval/world): per arm the prompt- and
// instruction-level accuracy, the semantic score, the exact win rate against the instruction-tuned
// arm with AlpacaEval's standard error, EOS rate and distinct-2, greedy and over the sampled seeds;
// then the calibration lines (is the world informative?) and the paper's claims, each verdict from
// a paired bootstrap interval.
import type { WorldRequest } from '../data/world/requests.ts';
import { headToHead } from '../eval/metrics.ts';
import { judge } from '../eval/world/judge.ts';
import { exactPreferences, instructionLevel, promptLevel, semanticScore } from '../eval/world/measures.ts';
import { mean } from '../util/stats.ts';
import { WORLD_REFERENCE_ARM } from './arms.ts';
import { type Interval, distinctN, paired, pairedBootstrap } from './stats.ts';
import type { WorldGenResult, WorldRankSummary } from './worldStages.ts';

/** Per-item values of one run, for paired intervals (points: x100). */
export interface WorldItemValues {
  /** 100 when every check is met, else 0. */
  prompt: number[];
  /** Own minus random other request, instruction level, x100. */
  semantic: number[];
  eos: number[];
  /** distinct-2 x100 (null: fewer than 2 words). */
  distinct2: (number | null)[];
  /** Exact preference against the reference arm's answer (1, 1.5, 2). */
  prefs: number[];
}

export interface WorldRunMeasures {
  setting: string;
  promptLevel: number;
  instructionLevel: number;
  /** Semantic score at instruction level (the table's "semantic") and at prompt level, x100. */
  semantic: number;
  semanticPrompt: number;
  winRate: number;
  winSe: number;
  eos: number;
  distinct2: number;
  /** Per check name (a story slot, or 'fact'): [met, asked]. */
  checks: Map<string, [number, number]>;
  items: WorldItemValues;
}

export interface WorldArmMeasures {
  arm: string;
  greedy: WorldRunMeasures;
  /** The sampled runs, one per seed. */
  sampled: WorldRunMeasures[];
}

export interface WorldBootstrap {
  samples: number;
  seed: number;
}

/** Every measure of one run of answers against the reference arm's answers of the same run. */
export function runMeasures(
  requests: readonly WorldRequest[],
  answers: readonly string[],
  eos: readonly number[],
  reference: readonly string[],
  setting: string,
): WorldRunMeasures {
  const verdicts = answers.map((a, i) => judge(requests[i]!, a));
  const sem = semanticScore(requests, answers, { level: 'instruction', seed: 0 });
  const semP = semanticScore(requests, answers, { level: 'prompt', seed: 0 });
  const prefs = exactPreferences(requests, reference, answers);
  const h = headToHead(prefs);
  const d2 = answers.map((a) => {
    const v = distinctN(a, 2);
    return Number.isFinite(v) ? v * 100 : null;
  });
  const checks = new Map<string, [number, number]>();
  for (const v of verdicts)
    for (const k of v.checks) {
      const t = checks.get(k.name) ?? [0, 0];
      checks.set(k.name, [t[0] + (k.ok ? 1 : 0), t[1] + 1]);
    }
  return {
    setting,
    promptLevel: promptLevel(verdicts) * 100,
    instructionLevel: instructionLevel(verdicts) * 100,
    semantic: sem.score * 100,
    semanticPrompt: semP.score * 100,
    winRate: h.win_rate,
    winSe: h.standard_error,
    eos: mean(eos) * 100,
    distinct2: mean(d2.filter((x): x is number => x !== null)),
    checks,
    items: {
      prompt: verdicts.map((v) => (v.all ? 100 : 0)),
      semantic: sem.diffs.map((x) => x * 100),
      eos: eos.map((x) => x * 100),
      distinct2: d2,
      prefs,
    },
  };
}

/** Measures of every arm; each run is compared with the reference arm's run of the same setting. */
export function worldMeasures(requests: readonly WorldRequest[], gens: ReadonlyMap<string, WorldGenResult>): WorldArmMeasures[] {
  const ref = gens.get(WORLD_REFERENCE_ARM);
  if (!ref) throw new Error(`the world part needs its reference arm ${WORLD_REFERENCE_ARM}`);
  return [...gens].map(([arm, g]) => {
    const of = (k: number) => {
      const run = g.runs[k]!;
      return runMeasures(requests, run.answers, run.eos, ref.runs[k]!.answers, run.setting);
    };
    return { arm, greedy: of(0), sampled: g.runs.slice(1).map((_, k) => of(k + 1)) };
  });
}

/** Mean over the sampled seeds of one measure (NaN without sampled runs). */
export const sampledMean = (a: WorldArmMeasures, get: (r: WorldRunMeasures) => number): number => mean(a.sampled.map(get));

/** Interval of one arm's per-item values against zero (e.g. is the semantic score above 0?). */
export function againstZero(xs: readonly number[], bs: WorldBootstrap): Interval {
  return pairedBootstrap(
    xs,
    xs.map(() => 0),
    bs,
  );
}

export type WorldMetric = 'semantic' | 'prompt' | 'eos' | 'distinct2';
const METRIC_WORDS: Record<WorldMetric, string> = {
  semantic: 'semantic score points',
  prompt: 'prompt-level points',
  eos: 'EOS-rate points',
  distinct2: 'distinct-2 (x100)',
};

/** Paired interval of A − B on a per-item metric of the greedy runs. */
export function armDifference(
  a: WorldArmMeasures,
  b: WorldArmMeasures,
  metric: WorldMetric,
  bs: WorldBootstrap,
  keep: (i: number) => boolean = () => true,
): Interval {
  const only = <T>(xs: readonly T[]) => xs.filter((_, i) => keep(i));
  const [x, y] = paired(only(a.greedy.items[metric]), only(b.greedy.items[metric]));
  return pairedBootstrap(x, y, bs);
}

/** The items a claim is measured on. A single-task claim is about generalising beyond the task it
 *  tuned on, so it is measured on the other requests only: fact answers' on the story requests
 *  (the fact questions, which it was tuned to answer, would otherwise carry most of its score),
 *  one story type's on the story requests of every other type. */
export type ClaimScope = 'all' | 'stories' | 'stories-not-about';
const SCOPES: Record<ClaimScope, { keep: (r: WorldRequest) => boolean; words: string }> = {
  all: { keep: () => true, words: 'all requests' },
  stories: { keep: (r) => r.kind === 'story', words: 'story requests only' },
  'stories-not-about': { keep: (r) => r.kind === 'story' && r.type !== 'about', words: "story requests of types other than 'about'" },
};

const f = (v: number, d = 1) => (Number.isFinite(v) ? v.toFixed(d) : 'n/a');
const ci = (i: Interval) => `[${f(i.lo)}, ${f(i.hi)}]`;

export interface CalibrationLine {
  name: 'a' | 'b' | 'c';
  what: string;
  /** null: an arm it needs was not run. */
  met: boolean | null;
  figures: string;
}

/** An arm's greedy semantic score on the story requests and on the fact questions apart (x100;
 *  the fact questions, one check each, swing far more than the stories). */
export function semanticByKind(a: WorldArmMeasures, requests: readonly WorldRequest[]): { stories: number; facts: number } {
  const of = (kind: WorldRequest['kind']) => mean(a.greedy.items.semantic.filter((_, i) => requests[i]?.kind === kind));
  return { stories: of('story'), facts: of('fact') };
}
const byKind = (a: WorldArmMeasures, requests?: readonly WorldRequest[]) => {
  if (!requests) return '';
  const k = semanticByKind(a, requests);
  return ` (stories ${f(k.stories)}, facts ${f(k.facts)})`;
};

/** The calibration lines (issue 19 item 7): is the world informative at all? Printed before
 *  results. With `requests`, each semantic figure also gives the stories and facts apart. */
export function calibration(arms: readonly WorldArmMeasures[], bs: WorldBootstrap, requests?: readonly WorldRequest[]): CalibrationLine[] {
  const get = (n: string) => arms.find((a) => a.arm === n);
  const ins = get(WORLD_REFERENCE_ARM);
  const base = get('world:base');
  const wrap = get('world:base-in-wrapper');
  const lines: CalibrationLine[] = [];
  if (ins) {
    const s = againstZero(ins.greedy.items.semantic, bs);
    lines.push({
      name: 'a',
      what: 'the instruction-tuned arm follows well (prompt level >= 50%, semantic >= 30 points, its CI excluding 0)',
      met: ins.greedy.promptLevel >= 50 && s.diff >= 30 && s.lo > 0,
      figures: `prompt level ${f(ins.greedy.promptLevel)}%, semantic ${f(s.diff)} ${ci(s)}${byKind(ins, requests)}`,
    });
  } else lines.push({ name: 'a', what: 'the instruction-tuned arm follows well', met: null, figures: `${WORLD_REFERENCE_ARM} not run` });
  if (wrap) {
    const s = againstZero(wrap.greedy.items.semantic, bs);
    lines.push({
      name: 'b',
      what: 'the base inside a natural pretraining wrapper follows (semantic CI excluding 0)',
      met: s.lo > 0,
      figures: `semantic ${f(s.diff)} ${ci(s)}${byKind(wrap, requests)}, prompt level ${f(wrap.greedy.promptLevel)}%`,
    });
  } else lines.push({ name: 'b', what: 'the base inside a wrapper follows', met: null, figures: 'world:base-in-wrapper not run' });
  if (wrap && base) {
    const d = armDifference(wrap, base, 'semantic', bs);
    lines.push({
      name: 'c',
      what: 'the base in the chat template follows clearly worse than in the wrapper (wrapper − chat semantic, CI above 0)',
      met: d.lo > 0,
      figures: `wrapper − chat = ${f(d.diff)} ${ci(d)} (chat ${f(base.greedy.semantic)}, wrapper ${f(wrap.greedy.semantic)})`,
    });
  } else
    lines.push({
      name: 'c',
      what: 'the base in the chat template follows worse than in the wrapper',
      met: null,
      figures: 'world:base or world:base-in-wrapper not run',
    });
  return lines;
}

export const calibrationText = (l: CalibrationLine): string =>
  `(${l.name}) ${l.what}: ${l.met === null ? 'not measured' : l.met ? 'MET' : 'NOT MET'} — ${l.figures}`;

/** A verdict from an interval of (paper's direction) A − B. */
export function verdictOf(i: Pick<Interval, 'diff' | 'noise'>): string {
  return i.noise
    ? 'not visible at this scale (the 95% interval holds 0)'
    : i.diff > 0
      ? "visible, in the paper's direction"
      : "visible, AGAINST the paper's direction";
}

/** The paper's claims as world comparisons: A should exceed B on the metric, over the scope's items (default all). */
export const WORLD_CLAIMS: readonly [string, string, WorldMetric, string, ClaimScope?][] = [
  [
    'world:response',
    'world:base',
    'semantic',
    'response tuning (stories only, empty requests) follows requests better than the base in the chat template (paper: 43.3 vs 2.4 LC)',
  ],
  [
    'world:single-task:fact',
    'world:base',
    'semantic',
    'single-task tuning on fact answers follows story requests better than the base (paper: single tasks 2.1–23.7 vs 2.4 LC)',
    'stories',
  ],
  [
    'world:single-task:about',
    'world:base',
    'semantic',
    "single-task tuning on one request type ('about') follows the other types better than the base",
    'stories-not-about',
  ],
  ['world:base+rules', 'world:base', 'semantic', 'the rules adapter makes the base follow requests better (paper: 24.4 vs 2.4 LC)'],
  ['world:base+rules', 'world:base+rules-no-eos', 'semantic', 'dropping the EOS rule hurts (paper: 24.4 -> 10.4 LC)'],
  ['world:base+rules', 'world:base+rules-no-diversity', 'semantic', 'dropping the diversity rule hurts (paper: 24.4 -> 14.3 LC)'],
  ['world:base+rules', 'world:base+rules-no-uniform', 'semantic', 'dropping the uniform-token rule hurts (paper: 24.4 -> 16.3 LC)'],
  ['world:response', 'world:base', 'eos', 'response tuning teaches the model to end its answers'],
  [
    'world:instruction',
    'world:response',
    'semantic',
    'instruction tuning still follows better than response tuning (paper: response 43.3% win rate against it)',
  ],
];

/** Each claim whose arms were run: the measured difference, its interval and the verdict. */
export function worldClaims(
  arms: readonly WorldArmMeasures[],
  rank: WorldRankSummary | undefined,
  bs: WorldBootstrap,
  requests: readonly WorldRequest[],
): string[] {
  const get = (n: string) => arms.find((a) => a.arm === n);
  const lines: string[] = [];
  for (const [a, b, metric, what, scope = 'all'] of WORLD_CLAIMS) {
    const A = get(a);
    const B = get(b);
    if (!A || !B) continue;
    const s = SCOPES[scope];
    const d = armDifference(A, B, metric, bs, (i) => s.keep(requests[i]!));
    const on = scope === 'all' ? '' : ` (on the ${requests.filter(s.keep).length} ${s.words})`;
    lines.push(`${what}: ${a} − ${b} = ${f(d.diff)} ${METRIC_WORDS[metric]}${on} ${ci(d)}: ${verdictOf(d)}.`);
  }
  const resp = get('world:response');
  if (resp)
    lines.push(
      `response tuning against instruction tuning, exact win rate (more checks met wins, ties half): ${f(resp.greedy.winRate)}% ± ${f(resp.greedy.winSe)} (paper: 43.3% LC; 50% = as good).`,
    );
  if (rank) {
    for (const [where, r] of [
      ['chat template', rank.chat],
      ['pretraining wrapper', rank.wrapper],
    ] as const) {
      const z = (r.accuracy - rank.chance) / r.se;
      lines.push(
        `ranking probe in the ${where} (the world base ranks a request's own story first among ${rank.others + 1}): ${f(r.accuracy * 100)}% ± ${f(r.se * 100)} over ${rank.n} requests, chance ${f(rank.chance * 100)}% (paper, Llama-2-7B: 80.4%): ${!Number.isFinite(z) || Math.abs(z) < 1.96 ? 'indistinguishable from chance' : r.accuracy > rank.chance ? 'above chance' : 'below chance'}.`,
      );
    }
  }
  return lines;
}
