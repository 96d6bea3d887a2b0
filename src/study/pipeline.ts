// The study: base -> finetune each arm -> generate -> judge/score -> report, every stage cached by
// a key of its inputs (src/study/stage.ts) so a rerun does only what changed and an interrupted
// run continues where it stopped. Everything runs in process through the library functions of
// src/train, src/decode and src/eval.
import { existsSync, readFileSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import type { Backend } from '../backend/backend.ts';
import { openBackend } from '../backend/choose.ts';
import { cpu } from '../backend/cpu/cpu.ts';
import { compare, type CompareSummary, writeCompare } from '../eval/compare.ts';
import { KNOWLEDGE_FREE_IDS, INSTRUCTION_IDS, readInputs, restrictTo, runIfeval, type IfevalSummary } from '../eval/ifeval/index.ts';
import { lengthControlledWinRate } from '../eval/metrics.ts';
import { charLength, type Instruction, readInstructions, readOutputs } from '../eval/outputs.ts';
import { rankProbe, readAlpaca } from '../eval/rank.ts';
import { buildModel, loadPretrained } from '../load/pretrained.ts';
import { projectRoot, dataPath } from '../util/dataRoot.ts';
import { armsOf, type StudyConfig, taskOfArm } from './config.ts';
import { generateArm } from './generate.ts';
import { checkJudgeSpec, makeJudge } from './judge.ts';
import { writeModelCard } from './modelCard.ts';
import { type PlannedStage, StudyProgress } from './progress.ts';
import { fileHash, isCached, runStage, stageKey, type StageStatus } from './stage.ts';
import { bootstrapSe, distinctN } from './stats.ts';
import { finetuneArm, pretrainBase, type TrainedModel } from './train.ts';

/** The rules adapter spec of an arm (undefined: plain decoding). */
export function rulesOfArm(arm: string): string | undefined {
  switch (arm) {
    case 'base+rules': return 'eos,diversity,uniform';
    case 'base+rules-no-eos': return 'diversity,uniform';
    case 'base+rules-no-diversity': return 'eos,uniform';
    case 'base+rules-no-uniform': return 'eos,diversity';
    default: return undefined;
  }
}

export const isTrainedArm = (arm: string): boolean => arm === 'instruction' || arm === 'response' || taskOfArm(arm) !== undefined;

/** A folder name for an arm (no ':' or '+'). */
export const armSlug = (arm: string): string => arm.replace(/[:+]/g, '-');

export interface BaseResult {
  modelDir: string;
  /** How the base was made, for every table's caption. */
  label: string;
  trained?: TrainedModel;
}

export interface GenResult {
  outputs: string;
  eos: number[];
  lengths: number[];
  tokens: number[];
  /** distinct-2 per output (null: fewer than 2 words). */
  distinct2: (number | null)[];
  ifeval: IfevalSummary | null;
  /** Strict prompt-level result per IFEval prompt (1 = every instruction followed). */
  ifevalPrompt: number[];
}

export interface JudgeResult {
  summary: CompareSummary;
  /** Preference per instruction (1 = the instruction-tuned arm wins, 2 = this arm wins; null = no verdict). */
  prefs: (number | null)[];
  /** Bootstrap standard error of the LC win rate (seeded). */
  lcSe: number;
}

export interface RankSummary {
  accuracy: number;
  se: number;
  n: number;
  others: number;
  chance: number;
}

export interface ArmResults {
  arm: string;
  trained?: TrainedModel;
  gen: GenResult;
  judge: JudgeResult;
}

export interface StudyResults {
  config: StudyConfig;
  base: BaseResult;
  arms: ArmResults[];
  rank: RankSummary;
  /** Stage name -> how it was served this run. */
  statuses: Record<string, StageStatus>;
  instructions: number;
  ifevalPrompts: number;
}

export interface StudyOptions {
  out: string;
  /** Where progress lines go (null: silent). */
  log?: NodeJS.WriteStream | null;
}

/** A relative base path is looked up from the working directory, then from the project root. */
export function resolveBase(spec: string): string {
  if (isAbsolute(spec) || existsSync(spec)) return resolve(spec);
  return resolve(projectRoot, spec);
}

export function missingBaseMessage(dir: string): string {
  return `the base model ${dir} does not exist. The default study starts from heed's own base model, committed under models/heed-base. To make one:
  npx heed study --config scratch   (pretrains it with heed-base's recipe as the study's base stage, then runs the study;
                                     then bash scripts/publish-base.sh puts it in models/heed-base)
or by hand: npx heed tokenizer train --vocab-size 4096 --out tok.json, then
  npx heed train --mode pretrain --config CONFIG.json --tokenizer tok.json --out runs/pretrain (see the README's "Study" section).
Or pass any HF directory with a tokenizer.json: heed study --base DIR.
To try the pipeline in minutes: heed study --config tiny (it pretrains a micro model itself).`;
}

function baseInputs(cfg: StudyConfig): { key: string; dir?: string } {
  if ('model' in cfg.base) {
    const dir = resolveBase(cfg.base.model);
    if (!existsSync(dir)) throw new Error(missingBaseMessage(dir));
    for (const f of ['config.json', 'model.safetensors', 'tokenizer.json']) if (!existsSync(join(dir, f))) throw new Error(`base model ${dir}: ${f} is missing (an HF directory with config.json, model.safetensors and tokenizer.json is needed)`);
    const files = Object.fromEntries(['config.json', 'model.safetensors', 'tokenizer.json'].map((f) => [f, fileHash(join(dir, f))]));
    return { key: stageKey('base', { files }), dir };
  }
  return { key: stageKey('base', { pretrain: cfg.base.pretrain, backend: cfg.backend }) };
}

const nanToNull = (x: number): number | null => (Number.isFinite(x) ? x : null);

/** Runs (or serves from the cache) the whole study. */
export async function runStudy(cfg: StudyConfig, opts: StudyOptions): Promise<StudyResults> {
  checkJudgeSpec(cfg.eval.judge);
  const out = resolve(opts.out);
  const arms = armsOf(cfg);
  let backendP: Promise<Backend> | undefined;
  const backend = () => (backendP ??= openBackend(cfg.backend));

  // Inputs, validated before any work.
  const fits = (text: string) => cfg.eval.maxPromptChars === 0 || charLength(text) <= cfg.eval.maxPromptChars;
  const instructions: Instruction[] = readInstructions('alpaca-eval').filter((r) => fits(r.instruction)).slice(0, cfg.eval.instructions);
  if (instructions.length < cfg.eval.instructions) throw new Error(`config.eval: only ${instructions.length} AlpacaEval instructions have at most ${cfg.eval.maxPromptChars} characters; ${cfg.eval.instructions} asked for`);
  const subsetIds = cfg.eval.ifeval.subset === 'knowledge-free' ? KNOWLEDGE_FREE_IDS : INSTRUCTION_IDS;
  let ifevalInputs = restrictTo(readInputs(dataPath('ifeval', 'input_data.jsonl')), subsetIds).filter((i) => fits(i.prompt));
  if (cfg.eval.ifeval.prompts > 0) ifevalInputs = ifevalInputs.slice(0, cfg.eval.ifeval.prompts);
  const ifevalInstr: Instruction[] = ifevalInputs.map((i) => ({ instruction: i.prompt, dataset: 'ifeval' }));

  // Keys for every stage, computed up front (they depend on config and upstream keys only).
  const base = baseInputs(cfg);
  const e = cfg.eval;
  const keys = new Map<string, string>([['base', base.key]]);
  const modelKey = (arm: string) => (isTrainedArm(arm) ? keys.get(`train ${arm}`)! : base.key);
  for (const arm of arms) if (isTrainedArm(arm)) keys.set(`train ${arm}`, stageKey('train', { arm, finetune: cfg.finetune, backend: cfg.backend }, [base.key]));
  for (const arm of arms) {
    keys.set(`generate ${arm}`, stageKey('generate', {
      arm, rules: rulesOfArm(arm) ?? null, instructions: e.instructions, maxPromptChars: e.maxPromptChars, maxNewTokens: e.maxNewTokens, batchSize: e.batchSize, ifeval: e.ifeval, backend: cfg.backend,
    }, [modelKey(arm)]));
  }
  for (const arm of arms) keys.set(`judge ${arm}`, stageKey('judge', { judge: e.judge, bootstrap: e.bootstrap }, [keys.get(`generate ${arm}`)!, keys.get('generate instruction')!]));
  keys.set('rank', stageKey('rank', { rank: e.rank, backend: cfg.backend }, [base.key]));
  const dirOf = (stage: string): string => {
    if (stage === 'base' || stage === 'rank') return join(out, stage);
    const [kind, arm] = stage.split(' ') as [string, string];
    return join(out, 'arms', armSlug(arm), kind);
  };

  // The plan: stages not in the cache, with cost estimates for the study's ETA.
  const ft = cfg.finetune;
  // Relative costs, calibrated on the default study on 2 vCPU (lavapipe): a training step of
  // B x T tokens ~ 3BT units, an answer token ~ 8, a judged instruction ~ 1500 (the LC bootstrap),
  // a ranked sequence ~ 180; pretraining ~ 4BT a step (held-out evaluations included).
  const trainUnits = (ft.maxSteps ?? 100) * ft.batchSize * ft.gradAccum * ft.seqLen * 3;
  const genUnits = (instructions.length + ifevalInstr.length) * e.maxNewTokens * 8;
  const units: Record<string, number> = { base: 'pretrain' in cfg.base ? cfg.base.pretrain.steps * cfg.base.pretrain.batchSize * cfg.base.pretrain.gradAccum * cfg.base.pretrain.model.maxSeqLen * 4 : 1, rank: e.rank.examples * (e.rank.others + 1) * 180 };
  const plan: PlannedStage[] = [...keys.entries()].filter(([name, key]) => !isCached(dirOf(name), key)).map(([name]) => ({
    name, units: units[name] ?? (name.startsWith('train') ? trainUnits : name.startsWith('generate') ? genUnits : instructions.length * 1500),
  }));
  const prog = new StudyProgress(plan, opts.log === undefined ? process.stderr : opts.log);
  const statuses: Record<string, StageStatus> = {};
  async function stage<R>(name: string, fn: (dir: string, resuming: boolean) => Promise<R>): Promise<R> {
    const key = keys.get(name)!;
    const dir = dirOf(name);
    if (isCached(dir, key)) prog.skip(name);
    else prog.begin(name);
    const r = await runStage(dir, key, fn);
    statuses[name] = r.status;
    if (r.status !== 'cached') prog.end(r.status === 'resumed' ? 'done (resumed)' : 'done');
    return r.result;
  }
  const steps = (what: string) => (step: number, total: number) => prog.update(`${what} step ${step}/${total}`, step / Math.max(total, 1));

  // 1. the base model
  const baseRes = await stage<BaseResult>('base', async (dir) => {
    if (base.dir) return { modelDir: base.dir, label: `${base.dir} (given)` };
    if (!('pretrain' in cfg.base)) throw new Error('unreachable: a base without a directory has a recipe');
    const recipe = cfg.base.pretrain;
    const trained = await pretrainBase(dir, recipe, await backend(), steps('pretrain'), (what) => prog.update(what, 0, true));
    const { ckpt } = loadPretrained(trained.modelDir);
    const params = buildModel(ckpt, cpu).numParameters();
    writeModelCard(trained.modelDir, {
      name: `heed study base (${cfg.name})`, config: ckpt.config, parameters: params, recipe, steps: trained.steps, tokensSeen: trained.tokensSeen,
      trainSequences: trained.trainRows, heldoutSequences: trained.heldoutRows, ...(trained.firstHeldout !== undefined ? { firstHeldout: trained.firstHeldout } : {}),
      ...(trained.lastHeldout !== undefined ? { lastHeldout: trained.lastHeldout } : {}), sourceMd: dataPath('pretrain-mix', 'SOURCE.md'),
      reproduce: `npx heed study --config ${cfg.name}   # the base stage pretrains this model (runs/study-${cfg.name}/base/model)\nbash scripts/publish-base.sh runs/study-${cfg.name}/base models/heed-base   # the committed copy: bf16, card, log, curve`,
    });
    return { modelDir: trained.modelDir, label: `heed micro base pretrained in this study (${params} parameters, ${trained.steps} steps, ${trained.tokensSeen} tokens)`, trained };
  });

  // 2. finetune each trained arm
  const trainedArms = new Map<string, TrainedModel>();
  for (const arm of arms.filter(isTrainedArm)) {
    trainedArms.set(arm, await stage(`train ${arm}`, async (dir) => finetuneArm(dir, arm, baseRes.modelDir, cfg.finetune, await backend(), steps(arm))));
  }

  // 3. generate: AlpacaEval instructions and IFEval prompts, greedy, per arm
  const gens = new Map<string, GenResult>();
  for (const arm of arms) {
    gens.set(arm, await stage(`generate ${arm}`, async (dir) => {
      const modelDir = trainedArms.get(arm)?.modelDir ?? baseRes.modelDir;
      const { ckpt, tokenizer } = loadPretrained(modelDir);
      if (!tokenizer) throw new Error(`${modelDir}: no tokenizer.json beside the model`);
      const model = buildModel(ckpt, await backend());
      const rules = rulesOfArm(arm);
      const total = instructions.length + ifevalInstr.length;
      const common = { model, tokenizer, generator: `${cfg.name}/${arm}`, batchSize: e.batchSize, maxNewTokens: e.maxNewTokens, ...(rules ? { rules } : {}) };
      const alp = await generateArm({ ...common, instructions, outputs: join(dir, 'model_outputs.json'), metaPath: join(dir, 'generation_meta.json'), onProgress: (d) => prog.update(`alpaca-eval ${d}/${instructions.length} rows`, d / total) });
      const ife = await generateArm({ ...common, instructions: ifevalInstr, outputs: join(dir, 'ifeval_outputs.json'), metaPath: join(dir, 'ifeval_meta.json'), onProgress: (d) => prog.update(`ifeval ${d}/${ifevalInstr.length} prompts`, (instructions.length + d) / total) });
      const run = runIfeval(ifevalInputs, new Map(ife.rows.map((r) => [r.instruction, r.output])), { subset: e.ifeval.subset });
      return {
        outputs: join(dir, 'model_outputs.json'),
        eos: alp.meta.map((m) => (m.eos ? 1 : 0)),
        lengths: alp.rows.map((r) => charLength(r.output)),
        tokens: alp.meta.map((m) => m.tokens),
        distinct2: alp.rows.map((r) => nanToNull(distinctN(r.output, 2))),
        ifeval: run.summary,
        ifevalPrompt: run.strict.map((o) => (o.follow_all_instructions ? 1 : 0)),
      };
    }));
  }

  // 4. judge every arm against the instruction-tuned arm
  const refRows = readOutputs(gens.get('instruction')!.outputs);
  const judged = new Map<string, JudgeResult>();
  for (const arm of arms) {
    judged.set(arm, await stage(`judge ${arm}`, async (dir) => {
      const judge = await makeJudge(e.judge, { cachePath: join(dir, 'judge_cache.jsonl'), backend });
      try {
        const { annotations, summary } = await compare({ model: readOutputs(gens.get(arm)!.outputs), reference: refRows, judge, onProgress: (d, t) => prog.update(`${d}/${t} judgements`, d / Math.max(t, 1)) });
        writeCompare(dir, annotations, summary);
        const rows = annotations.map((a) => ({ output_1: a.output_1, output_2: a.output_2, preference: a.preference ?? NaN }));
        const lcSe = arm === 'instruction' ? 0 : bootstrapSe(rows, lengthControlledWinRate, { samples: Math.min(e.bootstrap.samples, 300), seed: e.bootstrap.seed });
        return { summary, prefs: annotations.map((a) => a.preference), lcSe: lcSe };
      } finally {
        await judge.close?.();
      }
    }));
  }

  // 5. the ranking probe on the base model
  const rank = await stage<RankSummary>('rank', async () => {
    const { ckpt, tokenizer } = loadPretrained(baseRes.modelDir);
    if (!tokenizer) throw new Error(`${baseRes.modelDir}: no tokenizer.json beside the model`);
    const model = buildModel(ckpt, await backend());
    const r = await rankProbe(model, tokenizer, readAlpaca(dataPath('alpaca', 'alpaca_sample2000.json')), {
      n: e.rank.examples, others: e.rank.others, seed: 0, batchSize: e.rank.batchSize, onProgress: (d, t) => prog.update(`${d}/${t} sequences scored`, d / Math.max(t, 1)),
    });
    return { accuracy: r.accuracy, se: r.se, n: r.n, others: r.others, chance: r.chance };
  });

  return {
    config: cfg, base: baseRes, rank, statuses, instructions: instructions.length, ifevalPrompts: ifevalInputs.length,
    arms: arms.map((arm) => ({ arm, ...(trainedArms.has(arm) ? { trained: trainedArms.get(arm)! } : {}), gen: gens.get(arm)!, judge: judged.get(arm)! })),
  };
}

/** The training log of a trained arm (for the report's loss curves), if any. */
export function trainLogOf(out: string, arm: string): string | undefined {
  const p = join(resolve(out), 'arms', armSlug(arm), 'train', 'log.jsonl');
  return existsSync(p) && readFileSync(p, 'utf8').trim() !== '' ? p : undefined;
}
