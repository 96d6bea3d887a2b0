// The world section of results.md and report.html: the calibration lines first (is the world
// informative?), then the per-arm table (greedy, and the mean over the sampled seeds), then the
// paper's claims, each with its verdict from the exact measures.
import type { Table } from '../eval/report/table.ts';
import type { WorldResults } from './pipeline.ts';
import { trainingLength, type WorldSettings } from './config.ts';
import type { WorldRequest } from '../data/world/requests.ts';
import { SLOTS } from '../data/world/spec.ts';
import {
  calibration,
  calibrationText,
  sampledMean,
  semanticByKind,
  worldClaims,
  type WorldArmMeasures,
  worldMeasures,
} from './worldMeasures.ts';
import { worldData } from './worldData.ts';

export interface WorldReport {
  calibration: string[];
  table: Table;
  /** Checks met per constraint, greedy: where each arm follows and where it does not. */
  checks: Table;
  claims: string[];
  notes: string[];
}

const f = (v: number, d = 1) => (Number.isFinite(v) ? v.toFixed(d) : 'n/a');

export function worldTable(arms: readonly WorldArmMeasures[], sampledLabel: string, requests: readonly WorldRequest[]): Table {
  return {
    headers: [
      'arm',
      'prompt level %',
      'instr. level %',
      'semantic (instr.)',
      'semantic (prompt)',
      'semantic stories / facts',
      'exact win rate vs instruction ±SE',
      'EOS %',
      'distinct-2',
      `prompt level % ${sampledLabel}`,
      `semantic ${sampledLabel}`,
    ],
    rows: arms.map((a) => {
      const g = a.greedy;
      return [
        a.arm,
        f(g.promptLevel),
        f(g.instructionLevel),
        f(g.semantic),
        f(g.semanticPrompt),
        ((k) => `${f(k.stories)} / ${f(k.facts)}`)(semanticByKind(a, requests)),
        a.arm === 'world:instruction' ? 'reference (50)' : `${f(g.winRate)} ± ${f(g.winSe)}`,
        f(g.eos),
        f(g.distinct2 / 100, 3),
        f(sampledMean(a, (r) => r.promptLevel)),
        f(sampledMean(a, (r) => r.semantic)),
      ];
    }),
  };
}

/** Checks met over checks asked, per constraint (the story slots, then fact answers), of each
 *  arm's greedy answers: a prompt level near 0 says little without this. */
export function checksTable(arms: readonly WorldArmMeasures[]): Table {
  const used = [...SLOTS, 'fact'].filter((n) => arms.some((a) => a.greedy.checks.has(n)));
  return {
    headers: ['arm', ...used],
    rows: arms.map((a) => [a.arm, ...used.map((n) => ((t) => (t ? `${t[0]}/${t[1]}` : '–'))(a.greedy.checks.get(n)))]),
  };
}

/** Every number of the world section, from the world part's answers. */
export function worldReport(w: WorldResults, settings: WorldSettings, bs: { samples: number; seed: number }): WorldReport {
  const data = worldData(settings);
  const requests = data.sets.eval.map((it) => it.request);
  const arms = worldMeasures(requests, new Map(Object.entries(w.gens)));
  const s = settings.sampled;
  const label = s.seeds.length ? `(T=${s.temperature}, mean of ${s.seeds.length} seeds)` : '(no sampled runs)';
  const cal = calibration(arms, bs, requests);
  const unmet = cal.filter((l) => l.met === false).map((l) => `(${l.name})`);
  const caveat = unmet.length
    ? [
        `read with care: calibration ${unmet.join(', ')} ${unmet.length === 1 ? 'is' : 'are'} NOT MET, so this world base is not yet shown to be informative (docs/world.md, "Calibration attempts"); each verdict below is what the exact measures show on it, not the paper's test`,
      ]
    : [];
  return {
    calibration: cal.map(calibrationText),
    table: worldTable(arms, label, requests),
    checks: checksTable(arms),
    claims: [...caveat, ...worldClaims(arms, w.rank, bs, requests)],
    notes: [
      `world seed ${settings.seed}${settings.stories === 'planned' ? ", stories told in the planned order (docs/world.md, 'Two ways to tell the same world')" : ''}; base: ${w.base.label}; ${requests.length} held-out evaluation items (groups: new-combination, held-out-value, held-out-type, fact-held-out, fact-seen; docs/world.md), judged exactly by the world judge`,
      `answers: greedy and ${s.seeds.length} sampled runs ${label}, at most ${settings.maxNewTokens} new tokens; the judged text is each answer's first line (stories and answers are one line); world:base-in-wrapper asks the base inside a natural pretraining wrapper instead of the chat template`,
      "semantic: the score on the answer's own request minus the same answer's score on a random other request of the same kind (x100; a generic story scores about 0); instr./prompt: at instruction or prompt level; stories / facts: instruction level on the story requests and on the fact questions apart (a fact question is one check, so facts swing far more)",
      "exact win rate: the answer meeting more of the request's checks wins, ties count half (AlpacaEval's coding and standard error), against world:instruction's answer",
      `tuning: ${settings.tuningRows} rows per set, ${trainingLength(settings.finetune)} of batch ${settings.finetune.batchSize}, lr ${settings.finetune.lr}`,
    ],
  };
}
