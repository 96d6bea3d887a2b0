// The study: base -> finetune each arm -> generate -> judge/score -> report, every stage cached by
// a key of its inputs (src/study/stage.ts) so a rerun does only what changed and an interrupted
// run continues where it stopped. runStudy reads the inputs, makes the plan (every stage with its
// key, folder and cost), then runs the named stage functions below in order. Everything runs in
// process through the library functions of src/train, src/decode and src/eval.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import type { Backend } from '../backend/backend.ts';
import { backendOf, chooseBackend } from '../backend/choose.ts';
import { cpu } from '../backend/cpu/cpu.ts';
import { compare, type CompareSummary, writeCompare } from '../eval/compare.ts';
import { generateAnswers } from '../eval/generate.ts';
import { ifevalInstructions, responsesOf } from '../eval/ifeval/answers.ts';
import {
  INSTRUCTION_IDS,
  type IfevalInput,
  type IfevalSummary,
  KNOWLEDGE_FREE_IDS,
  readInputs,
  restrictTo,
  runIfeval,
} from '../eval/ifeval/index.ts';
import { checkJudgeSpec, judgeFromSpec } from '../eval/judges/spec.ts';
import { lengthControlledWinRate } from '../eval/metrics.ts';
import { charLength, type Instruction, readInstructions, readOutputs, readReferenceOutputs } from '../eval/outputs.ts';
import { rankProbe, readAlpaca } from '../eval/rank.ts';
import { buildModel, loadPretrained, openPretrained } from '../load/pretrained.ts';
import { dataPath, projectRoot } from '../util/dataRoot.ts';
import { type Arm, armOf, armStageDir, REFERENCE_ARM, WORLD_REFERENCE_ARM } from './arms.ts';
import { armsOf, partsOf, type PretrainRecipe, type StudyConfig, type WorldSettings } from './config.ts';
import { type WorldData, worldArmDataset, worldData } from './worldData.ts';
import { type WorldGenResult, type WorldRankSummary, worldGenerate, worldRank } from './worldStages.ts';
import { cardStoryOrder, PLANNED_ROW, writeModelCard } from './modelCard.ts';
import { COST, finetuneUnits, type PlannedStage, pretrainUnits, StudyProgress } from './progress.ts';
import { fileHash, isCached, runStage, stageKey, type StageStatus } from './stage.ts';
import { bootstrapSe, distinctN } from './stats.ts';
import { finetuneArm, pretrainBase, type StepReport, type TrainedModel } from './train.ts';

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

/** The world part's results: its base, each arm's answers (measured in memory: worldMeasures.ts) and the ranking probe. */
export interface WorldResults {
  base: BaseResult;
  /** Arm name -> its greedy and sampled answers, in evaluation order. */
  gens: Record<string, WorldGenResult>;
  trained: Record<string, TrainedModel>;
  rank: WorldRankSummary;
}

export interface StudyResults {
  config: StudyConfig;
  /** The world part, when it ran. */
  world?: WorldResults;
  /** Why the world part did not run (e.g. its committed base is missing), in one line. */
  worldSkipped?: string;
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
  /** How refusals name the config ("preset tiny", "study config my.json"). */
  configLabel?: string;
  /** The --config argument as given (a preset name or a file path), for the commands a model card
   *  says remake its model; default: the config's name. */
  configArg?: string;
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

const BASE_FILES = ['config.json', 'model.safetensors', 'tokenizer.json'];

/** A model directory's problem in words (not a directory, a file missing), or undefined when it has BASE_FILES. */
function modelDirProblem(dir: string): string | undefined {
  if (!statSync(dir).isDirectory())
    return 'is a file, not a model directory (an HF directory with config.json, model.safetensors and tokenizer.json is needed)';
  for (const f of BASE_FILES) {
    const st = existsSync(join(dir, f)) ? statSync(join(dir, f)) : undefined;
    if (!st?.isFile())
      return `${f} is ${st ? 'not a regular file' : 'missing'} (an HF directory with config.json, model.safetensors and tokenizer.json is needed)`;
  }
  return undefined;
}

/** The files later stages need, checked before the first stage runs: the base model directory and
 *  a local judge model (the world base is checked by planWorld: when missing the world part is skipped). */
export function checkStudyFiles(cfg: StudyConfig): void {
  if (!partsOf(cfg).includes('real')) return;
  const j = cfg.eval.judge;
  if (j.startsWith('reference:')) {
    // The proxy judge's reference outputs are read now (a small JSON file), not after the generate stages.
    try {
      readReferenceOutputs(j.slice('reference:'.length));
    } catch (err) {
      throw new Error(`config.eval.judge "${j}": ${(err as Error).message}`, { cause: err });
    }
  }
  if (j.startsWith('local:')) {
    const path = resolve(j.slice('local:'.length));
    if (!existsSync(path)) throw new Error(`config.eval.judge "${j}": the local judge model ${path} does not exist`);
    if (statSync(path).isDirectory()) {
      const missing = ['config.json'].filter((f) => !existsSync(join(path, f)));
      if (!existsSync(join(path, 'tokenizer.json')) && !existsSync(join(path, 'tokenizer.model'))) missing.push('tokenizer.json');
      if (missing.length)
        throw new Error(
          `config.eval.judge "${j}": the local judge model ${path} has no ${missing.join(' and ')} (a model directory is needed)`,
        );
    } else if (!statSync(path).isFile())
      throw new Error(`config.eval.judge "${j}": ${path} is neither a model directory nor a checkpoint file`);
  }
  if ('model' in cfg.base) {
    const dir = resolveBase(cfg.base.model);
    if (!existsSync(dir)) throw new Error(missingBaseMessage(dir));
    const problem = modelDirProblem(dir);
    if (problem) throw new Error(`config.base.model: base model ${dir}: ${problem}`);
  }
}

function baseInputs(cfg: StudyConfig): { key: string; dir?: string } {
  if ('model' in cfg.base) {
    const dir = resolveBase(cfg.base.model);
    if (!existsSync(dir)) throw new Error(missingBaseMessage(dir));
    const problem = modelDirProblem(dir);
    if (problem) throw new Error(`config.base.model: base model ${dir}: ${problem}`);
    const files = Object.fromEntries(BASE_FILES.map((f) => [f, fileHash(join(dir, f))]));
    return { key: stageKey('base', { files }), dir };
  }
  return { key: stageKey('base', { pretrain: cfg.base.pretrain, backend: cfg.backend }) };
}

const nanToNull = (x: number): number | null => (Number.isFinite(x) ? x : null);

/** What the study reads, validated before any work. */
interface StudyInputs {
  instructions: Instruction[];
  ifevalInputs: IfevalInput[];
  /** The world's data, when the world part runs. */
  world?: WorldData;
}

function readStudyInputs(cfg: StudyConfig): StudyInputs {
  const parts = partsOf(cfg);
  const world = cfg.world && parts.includes('world') ? worldData(cfg.world) : undefined;
  if (!parts.includes('real')) return { instructions: [], ifevalInputs: [], ...(world ? { world } : {}) };
  const e = cfg.eval;
  const fits = (text: string) => e.maxPromptChars === 0 || charLength(text) <= e.maxPromptChars;
  const instructions = readInstructions('alpaca-eval')
    .filter((r) => fits(r.instruction))
    .slice(0, e.instructions);
  if (instructions.length < e.instructions)
    throw new Error(
      `config.eval.instructions: only ${instructions.length} AlpacaEval instructions have at most ${e.maxPromptChars} characters; ${e.instructions} asked for`,
    );
  const subsetIds = e.ifeval.subset === 'knowledge-free' ? KNOWLEDGE_FREE_IDS : INSTRUCTION_IDS;
  let ifevalInputs = restrictTo(readInputs(dataPath('ifeval', 'input_data.jsonl')), subsetIds).filter((i) => fits(i.prompt));
  if (e.ifeval.prompts > ifevalInputs.length)
    throw new Error(
      `config.eval.ifeval.prompts: only ${ifevalInputs.length} IFEval prompts of the ${e.ifeval.subset} subset${e.maxPromptChars ? ` have at most ${e.maxPromptChars} characters` : ' exist'}; ${e.ifeval.prompts} asked for`,
    );
  if (e.ifeval.prompts > 0) ifevalInputs = ifevalInputs.slice(0, e.ifeval.prompts);
  return { instructions, ifevalInputs, ...(world ? { world } : {}) };
}

/** One stage of the plan: what it is, its cache key and folder, and its estimated cost. */
export type StageId = { kind: 'base' | 'rank' | 'world-base' | 'world-rank' } | { kind: 'train' | 'generate' | 'judge'; arm: string };

export interface PlanStage {
  id: StageId;
  /** The progress display's name: "base", "train ARM", ..., "rank". */
  name: string;
  key: string;
  dir: string;
  units: number;
}

export interface StudyPlan {
  /** The real-data arms. */
  arms: Arm[];
  base: { key: string; dir?: string };
  /** The world part's arms and base (empty / absent when it does not run). */
  worldArms: Arm[];
  worldBase?: { key: string; dir?: string };
  /** Why the world part does not run, when the config has one. */
  worldSkipped?: string;
  stages: PlanStage[];
  stage(id: StageId): PlanStage;
}

const stageName = (id: StageId): string => ('arm' in id ? `${id.kind} ${id.arm}` : id.kind);

/** Every stage with its key (config fields and upstream keys only), folder and cost (COST). */
export function planStudy(cfg: StudyConfig, out: string, inputs: StudyInputs): StudyPlan {
  const all = armsOf(cfg).map(armOf);
  const arms = all.filter((a) => !a.world);
  const stages: PlanStage[] = [];
  const world = planWorld(
    cfg,
    out,
    inputs,
    all.filter((a) => a.world),
    stages,
  );
  if (!partsOf(cfg).includes('real')) {
    const byName = new Map(stages.map((s) => [s.name, s]));
    return { arms: [], base: { key: '' }, ...world, stages, stage: (id) => byName.get(stageName(id))! };
  }
  const base = baseInputs(cfg);
  const e = cfg.eval;
  const ft = cfg.finetune;
  const realStages: PlanStage[] = [];
  const add = (id: StageId, key: string, units: number): string => {
    const dir = 'arm' in id ? armStageDir(out, id.arm, id.kind) : join(out, id.kind);
    realStages.push({ id, name: stageName(id), key, dir, units });
    return key;
  };
  const p = 'pretrain' in cfg.base ? cfg.base.pretrain : undefined;
  add({ kind: 'base' }, base.key, p ? pretrainUnits(p) : 1);
  const modelKey = new Map<string, string>();
  const trainUnits = finetuneUnits(ft);
  for (const arm of arms) {
    const trainKey = () => stageKey('train', { arm: arm.name, finetune: ft, backend: cfg.backend }, [base.key]);
    const key = arm.training ? add({ kind: 'train', arm: arm.name }, trainKey(), trainUnits) : base.key;
    modelKey.set(arm.name, key);
  }
  const genKey = new Map<string, string>();
  const answers = inputs.instructions.length + inputs.ifevalInputs.length;
  for (const arm of arms) {
    const inputsKey = {
      arm: arm.name,
      rules: arm.rules?.join(',') ?? null,
      instructions: e.instructions,
      maxPromptChars: e.maxPromptChars,
      maxNewTokens: e.maxNewTokens,
      batchSize: e.batchSize,
      ifeval: e.ifeval,
      backend: cfg.backend,
    };
    genKey.set(
      arm.name,
      add(
        { kind: 'generate', arm: arm.name },
        stageKey('generate', inputsKey, [modelKey.get(arm.name)!]),
        answers * e.maxNewTokens * COST.answerToken,
      ),
    );
  }
  for (const arm of arms) {
    const key = stageKey('judge', { judge: e.judge, bootstrap: e.bootstrap }, [genKey.get(arm.name)!, genKey.get(REFERENCE_ARM)!]);
    add({ kind: 'judge', arm: arm.name }, key, inputs.instructions.length * COST.judgedInstruction);
  }
  add(
    { kind: 'rank' },
    stageKey('rank', { rank: e.rank, backend: cfg.backend }, [base.key]),
    e.rank.examples * (e.rank.others + 1) * COST.rankedSequence,
  );
  stages.unshift(...realStages);
  const byName = new Map(stages.map((s) => [s.name, s]));
  return { arms, base, ...world, stages, stage: (id) => byName.get(stageName(id))! };
}

/** A path as results show it: relative to the project when inside it, so a clone elsewhere writes the same bytes. */
export function shownPath(path: string): string {
  const rel = relative(projectRoot, path);
  return rel && !rel.startsWith(`..${sep}`) && rel !== '..' && !isAbsolute(rel) ? rel : path;
}

export function missingWorldBaseMessage(dir: string): string {
  return `the world base ${shownPath(dir)} does not exist yet; to make it: npx heed study --config world-scratch, then bash scripts/publish-base.sh runs/study-world-scratch/world-base models/world-base (docs/world.md)`;
}

/** The world part's stages (appended to `stages`): its base, its tuned arms, every arm's answers, the ranking probe. */
function planWorld(
  cfg: StudyConfig,
  out: string,
  inputs: StudyInputs,
  arms: Arm[],
  stages: PlanStage[],
): Pick<StudyPlan, 'worldArms' | 'worldBase' | 'worldSkipped'> {
  const w = cfg.world;
  if (!w || !inputs.world || arms.length === 0) return { worldArms: [] };
  let base: { key: string; dir?: string };
  // the story order joins the keys only when set, so the stages of a 'shuffled' world keep theirs
  const sets = {
    seed: w.seed,
    ...(w.stories && w.stories !== 'shuffled' ? { stories: w.stories } : {}),
    tuningRows: w.tuningRows,
    evalPerGroup: w.evalPerGroup,
  };
  if ('model' in w.base) {
    const dir = resolveBase(w.base.model);
    if (!existsSync(dir)) {
      const msg = missingWorldBaseMessage(dir);
      if (!partsOf(cfg).includes('real')) throw new Error(msg);
      return { worldArms: [], worldSkipped: msg };
    }
    const problem = modelDirProblem(dir);
    if (problem) throw new Error(`config.world.base.model: world base model ${dir}: ${problem}`);
    const learned = cardStoryOrder(dir);
    const asked = w.stories ?? 'shuffled';
    if (learned !== asked)
      throw new Error(
        `config.world.base.model: ${dir} was pretrained on the ${learned} world (its README.md ${learned === 'planned' ? 'has' : 'has no'} "${PLANNED_ROW}" row) but config.world.stories is ${asked}: tune and evaluate a base on the world it learned (set config.world.stories to "${learned}"), or pretrain one on the ${asked} world`,
      );
    base = { key: stageKey('world-base', { files: Object.fromEntries(BASE_FILES.map((f) => [f, fileHash(join(dir, f))])) }), dir };
  } else base = { key: stageKey('world-base', { pretrain: w.base.pretrain, sets, backend: cfg.backend }) };
  const add = (id: StageId, key: string, units: number): string => {
    const dir = 'arm' in id ? armStageDir(out, id.arm, id.kind) : join(out, id.kind);
    stages.push({ id, name: stageName(id), key, dir, units });
    return key;
  };
  const p = 'pretrain' in w.base ? w.base.pretrain : undefined;
  add({ kind: 'world-base' }, base.key, p ? pretrainUnits(p) : 1);
  const ft = w.finetune;
  const modelKey = new Map<string, string>();
  const units = finetuneUnits(ft);
  for (const arm of arms) {
    modelKey.set(
      arm.name,
      arm.training
        ? add(
            { kind: 'train', arm: arm.name },
            stageKey('train', { arm: arm.name, finetune: ft, sets, backend: cfg.backend }, [base.key]),
            units,
          )
        : base.key,
    );
  }
  const items = inputs.world.sets.eval.length;
  for (const arm of arms) {
    const k = {
      arm: arm.name,
      rules: arm.rules?.join(',') ?? null,
      prompt: arm.prompt ?? 'chat',
      sets,
      maxNewTokens: w.maxNewTokens,
      batchSize: w.batchSize,
      sampled: w.sampled,
      backend: cfg.backend,
    };
    add(
      { kind: 'generate', arm: arm.name },
      stageKey('generate', k, [modelKey.get(arm.name)!]),
      items * (1 + w.sampled.seeds.length) * w.maxNewTokens * COST.answerToken,
    );
  }
  add(
    { kind: 'world-rank' },
    stageKey('world-rank', { rank: w.rank, sets, backend: cfg.backend }, [base.key]),
    Math.min(w.rank.examples, items) * (w.rank.others + 1) * 2 * COST.rankedSequence,
  );
  return { worldArms: arms, worldBase: base };
}

/** What the stage functions share: the config, inputs, backend (opened on first use) and display. */
interface StudyContext {
  cfg: StudyConfig;
  /** What `--config` was given (model cards' remake commands). */
  configArg: string;
  inputs: StudyInputs;
  backend: () => Promise<Backend>;
  prog: StudyProgress;
  steps: (what: string) => StepReport;
}

async function baseStage(ctx: StudyContext, plan: StudyPlan, dir: string): Promise<BaseResult> {
  const { cfg } = ctx;
  if (plan.base.dir) return { modelDir: plan.base.dir, label: `${shownPath(plan.base.dir)} (given)` };
  if (!('pretrain' in cfg.base)) throw new Error('unreachable: a base without a directory has a recipe');
  return pretrainedBase(ctx, dir, cfg.base.pretrain, {
    stage: 'base',
    title: `heed study base (${cfg.name})`,
    label: 'heed micro base pretrained in this study',
    sourceMd: dataPath('pretrain-mix', 'SOURCE.md'),
    publishAs: 'models/heed-base',
  });
}

async function worldBaseStage(ctx: StudyContext, plan: StudyPlan, w: WorldSettings, data: WorldData, dir: string): Promise<BaseResult> {
  if (plan.worldBase?.dir) return { modelDir: plan.worldBase.dir, label: `${shownPath(plan.worldBase.dir)} (given)` };
  if (!('pretrain' in w.base)) throw new Error('unreachable: a world base without a directory has a recipe');
  return pretrainedBase(ctx, dir, w.base.pretrain, {
    stage: 'world-base',
    title: `heed world base (${ctx.cfg.name}, world seed ${w.seed})`,
    label: 'heed world base pretrained in this study',
    sourceMd: join(projectRoot, 'docs', 'world.md'),
    publishAs: 'models/world-base',
    world: { data, seed: w.seed },
  });
}

/** Pretrains a base from its recipe (real or world corpus) and writes its model card. */
async function pretrainedBase(
  ctx: StudyContext,
  dir: string,
  recipe: PretrainRecipe,
  o: { stage: string; title: string; label: string; sourceMd: string; publishAs: string; world?: { data: WorldData; seed: number } },
): Promise<BaseResult> {
  const steps = ctx.steps(o.world ? 'world pretrain' : 'pretrain');
  const trained = await pretrainBase(dir, recipe, await ctx.backend(), steps, (what) => ctx.prog.update(what, 0, true), o.world);
  const { ckpt } = loadPretrained(trained.modelDir);
  const params = buildModel(ckpt, cpu).numParameters();
  const name = ctx.cfg.name;
  writeModelCard(trained.modelDir, {
    name: o.title,
    config: ckpt.config,
    parameters: params,
    recipe,
    ...(o.world ? { stories: o.world.data.world.stories } : {}),
    steps: trained.steps,
    tokensSeen: trained.tokensSeen,
    trainSequences: trained.trainRows,
    heldoutSequences: trained.heldoutRows,
    ...(trained.firstHeldout !== undefined ? { firstHeldout: trained.firstHeldout } : {}),
    ...(trained.lastHeldout !== undefined ? { lastHeldout: trained.lastHeldout } : {}),
    sourceMd: o.sourceMd,
    reproduce: `npx heed study --config ${ctx.configArg}   # the ${o.stage} stage pretrains this model (runs/study-${name}/${o.stage}/model)\nbash scripts/publish-base.sh runs/study-${name}/${o.stage} ${o.publishAs}   # the committed copy: bf16, card, log, curve`,
  });
  return {
    modelDir: trained.modelDir,
    label: `${o.label} (${params} parameters, ${trained.steps} steps, ${trained.tokensSeen} tokens)`,
    trained,
  };
}

async function trainStage(ctx: StudyContext, arm: Arm, baseDir: string, dir: string): Promise<TrainedModel> {
  return finetuneArm(dir, arm, baseDir, ctx.cfg.finetune, await ctx.backend(), ctx.steps(arm.name));
}

/** AlpacaEval instructions and IFEval prompts, greedy, through the evaluator's one generator. */
async function generateStage(ctx: StudyContext, arm: Arm, modelDir: string, dir: string): Promise<GenResult> {
  const { cfg, prog } = ctx;
  const { instructions, ifevalInputs } = ctx.inputs;
  const e = cfg.eval;
  const { model, tokenizer } = openPretrained(modelDir, undefined, await ctx.backend());
  const ifevalInstr = ifevalInstructions(ifevalInputs);
  const total = instructions.length + ifevalInstr.length;
  const common = {
    model,
    tokenizer,
    generator: `${cfg.name}/${arm.name}`,
    batchSize: e.batchSize,
    maxNewTokens: e.maxNewTokens,
    ...(arm.rules ? { rules: new Set(arm.rules) } : {}),
  };
  const outputs = join(dir, 'model_outputs.json');
  const alp = await generateAnswers({
    ...common,
    instructions,
    out: outputs,
    metaPath: join(dir, 'generation_meta.json'),
    onProgress: (d) => prog.update(`alpaca-eval ${d}/${instructions.length} rows`, d / total),
  });
  const ife = await generateAnswers({
    ...common,
    instructions: ifevalInstr,
    out: join(dir, 'ifeval_outputs.json'),
    metaPath: join(dir, 'ifeval_meta.json'),
    onProgress: (d) => prog.update(`ifeval ${d}/${ifevalInstr.length} prompts`, (instructions.length + d) / total),
  });
  const run = runIfeval(ifevalInputs, responsesOf(ife.rows), { subset: e.ifeval.subset });
  return {
    outputs,
    eos: alp.meta.map((m) => (m.eos ? 1 : 0)),
    lengths: alp.rows.map((r) => charLength(r.output)),
    tokens: alp.meta.map((m) => m.tokens),
    distinct2: alp.rows.map((r) => nanToNull(distinctN(r.output, 2))),
    ifeval: run.summary,
    ifevalPrompt: run.strict.map((o) => (o.follow_all_instructions ? 1 : 0)),
  };
}

/** One arm against the instruction-tuned arm. */
async function judgeStage(ctx: StudyContext, arm: Arm, outputs: string, reference: string, dir: string): Promise<JudgeResult> {
  const e = ctx.cfg.eval;
  const judge = await judgeFromSpec(e.judge, { cachePath: join(dir, 'judge_cache.jsonl'), backend: ctx.backend });
  try {
    const { annotations, summary } = await compare({
      model: readOutputs(outputs),
      reference: readOutputs(reference),
      judge,
      onProgress: (d, t) => ctx.prog.update(`${d}/${t} judgements`, d / Math.max(t, 1)),
    });
    writeCompare(dir, annotations, summary);
    const rows = annotations.map((a) => ({ output_1: a.output_1, output_2: a.output_2, preference: a.preference ?? NaN }));
    const lcSe =
      arm.name === REFERENCE_ARM
        ? 0
        : bootstrapSe(rows, lengthControlledWinRate, { samples: Math.min(e.bootstrap.samples, 300), seed: e.bootstrap.seed });
    return { summary, prefs: annotations.map((a) => a.preference), lcSe };
  } finally {
    await judge.close?.();
  }
}

/** The ranking probe on the base model. */
async function rankStage(ctx: StudyContext, baseDir: string): Promise<RankSummary> {
  const r = ctx.cfg.eval.rank;
  const { model, tokenizer } = openPretrained(baseDir, undefined, await ctx.backend());
  const res = await rankProbe(model, tokenizer, readAlpaca(dataPath('alpaca', 'alpaca_sample2000.json')), {
    n: r.examples,
    others: r.others,
    seed: 0,
    batchSize: r.batchSize,
    onProgress: (d, t) => ctx.prog.update(`${d}/${t} sequences scored`, d / Math.max(t, 1)),
  });
  return { accuracy: res.accuracy, se: res.se, n: res.n, others: res.others, chance: res.chance };
}

/** Everything a later stage needs, checked before the first stage writes anything: the judge, the
 *  model files, the data's real sizes; then the plan. Writes nothing. Refusals start with `label`. */
export function prepareStudy(cfg: StudyConfig, out: string, label = `study config ${cfg.name}`): { inputs: StudyInputs; plan: StudyPlan } {
  try {
    checkJudgeSpec(cfg.eval.judge);
    checkStudyFiles(cfg);
    const inputs = readStudyInputs(cfg);
    return { inputs, plan: planStudy(cfg, resolve(out), inputs) };
  } catch (err) {
    throw new Error(`${label}: ${(err as Error).message}`, { cause: err });
  }
}

/** Runs (or serves from the cache) the whole study. */
export async function runStudy(cfg: StudyConfig, opts: StudyOptions): Promise<StudyResults> {
  const out = resolve(opts.out);
  // The stage keys name the backend that runs, auto resolved: a cache made on a GPU is not
  // taken for a run on the fast CPU backend, nor the other way round.
  const chosen = await chooseBackend(cfg.backend);
  const { inputs, plan } = prepareStudy({ ...cfg, backend: chosen.name }, out, opts.configLabel);
  const todo: PlannedStage[] = plan.stages.filter((s) => !isCached(s.dir, s.key)).map((s) => ({ name: s.name, units: s.units }));
  const prog = new StudyProgress(todo, opts.log === undefined ? process.stderr : opts.log);
  let backendP: Promise<Backend> | undefined;
  const ctx: StudyContext = {
    cfg,
    configArg: opts.configArg ?? cfg.name,
    inputs,
    prog,
    backend: () => (backendP ??= backendOf(chosen.name)),
    steps: (what) => (step, total, resumed) => {
      const frac = step / Math.max(total, 1);
      if (resumed) prog.resumed(`${what} resumes at step ${step}/${total}`, frac);
      else prog.update(`${what} step ${step}/${total}`, frac);
    },
  };
  const statuses: Record<string, StageStatus> = {};
  async function stage<R>(id: StageId, fn: (dir: string) => Promise<R>): Promise<R> {
    const s = plan.stage(id);
    if (isCached(s.dir, s.key)) prog.skip(s.name);
    else prog.begin(s.name);
    const r = await runStage(s.dir, s.key, fn);
    statuses[s.name] = r.status;
    if (r.status !== 'cached') prog.end(r.status === 'resumed' ? 'done (resumed)' : 'done');
    return r.result;
  }

  /** The world part: its base, tuned arms, answers and ranking probe, through the same stage cache. */
  async function runWorld(): Promise<WorldResults> {
    const w = cfg.world!;
    const data = inputs.world!;
    const wbase = await stage({ kind: 'world-base' }, (dir) => worldBaseStage(ctx, plan, w, data, dir));
    const wtrained: Record<string, TrainedModel> = {};
    for (const arm of plan.worldArms.filter((a) => a.training)) {
      wtrained[arm.name] = await stage({ kind: 'train', arm: arm.name }, async (dir) =>
        finetuneArm(dir, arm, wbase.modelDir, w.finetune, await ctx.backend(), ctx.steps(arm.name), worldArmDataset(arm, data)),
      );
    }
    const gens: Record<string, WorldGenResult> = {};
    for (const arm of plan.worldArms) {
      gens[arm.name] = await stage({ kind: 'generate', arm: arm.name }, async (dir) => {
        const { model, tokenizer } = openPretrained(wtrained[arm.name]?.modelDir ?? wbase.modelDir, undefined, await ctx.backend());
        return worldGenerate(
          {
            model,
            tokenizer,
            items: data.sets.eval,
            w,
            generator: `${cfg.name}/${arm.name}`,
            onProgress: (what, frac) => prog.update(what, frac),
          },
          arm,
          dir,
        );
      });
    }
    const rank = await stage({ kind: 'world-rank' }, async () => {
      const { model, tokenizer } = openPretrained(wbase.modelDir, undefined, await ctx.backend());
      return worldRank(model, tokenizer, data.sets.eval, w, (what, frac) => prog.update(what, frac));
    });
    if (!gens[WORLD_REFERENCE_ARM]) throw new Error(`unreachable: the world reference arm ${WORLD_REFERENCE_ARM} is always planned`);
    return { base: wbase, gens, trained: wtrained, rank };
  }

  if (plan.worldSkipped) opts.log?.write(`[study] world part skipped: ${plan.worldSkipped}\n`);
  const skipped = plan.worldSkipped ? { worldSkipped: plan.worldSkipped } : {};
  if (!partsOf(cfg).includes('real')) {
    const world = plan.worldArms.length > 0 ? await runWorld() : undefined;
    const none = { accuracy: NaN, se: NaN, n: 0, others: 0, chance: NaN };
    return {
      config: cfg,
      base: { modelDir: '', label: 'not run (world part only)' },
      rank: none,
      statuses,
      instructions: 0,
      ifevalPrompts: 0,
      arms: [],
      ...(world ? { world } : {}),
      ...skipped,
    };
  }

  const base = await stage({ kind: 'base' }, (dir) => baseStage(ctx, plan, dir));
  const trained = new Map<string, TrainedModel>();
  for (const arm of plan.arms.filter((a) => a.training))
    trained.set(arm.name, await stage({ kind: 'train', arm: arm.name }, (dir) => trainStage(ctx, arm, base.modelDir, dir)));
  const gens = new Map<string, GenResult>();
  for (const arm of plan.arms) {
    const modelDir = trained.get(arm.name)?.modelDir ?? base.modelDir;
    gens.set(arm.name, await stage({ kind: 'generate', arm: arm.name }, (dir) => generateStage(ctx, arm, modelDir, dir)));
  }
  const judged = new Map<string, JudgeResult>();
  const reference = gens.get(REFERENCE_ARM)!.outputs;
  for (const arm of plan.arms)
    judged.set(
      arm.name,
      await stage({ kind: 'judge', arm: arm.name }, (dir) => judgeStage(ctx, arm, gens.get(arm.name)!.outputs, reference, dir)),
    );
  const rank = await stage({ kind: 'rank' }, () => rankStage(ctx, base.modelDir));
  const world = plan.worldArms.length > 0 ? await runWorld() : undefined;

  return {
    config: cfg,
    base,
    rank,
    statuses,
    instructions: inputs.instructions.length,
    ifevalPrompts: inputs.ifevalInputs.length,
    ...(world ? { world } : {}),
    ...skipped,
    arms: plan.arms.map((arm) => ({
      arm: arm.name,
      ...(trained.has(arm.name) ? { trained: trained.get(arm.name)! } : {}),
      gen: gens.get(arm.name)!,
      judge: judged.get(arm.name)!,
    })),
  };
}

/** The training log of a trained arm (for the report's loss curves), if any. */
export function trainLogOf(out: string, arm: string): string | undefined {
  const p = join(armStageDir(out, arm, 'train'), 'log.jsonl');
  return existsSync(p) && readFileSync(p, 'utf8').trim() !== '' ? p : undefined;
}
