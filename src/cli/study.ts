// heed study: one command from a base model to the results table and report.
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { ARM_NAMES } from '../study/arms.ts';
import { configLabel, PRESETS, validateStudyConfig, loadStudyConfig } from '../study/config.ts';
import { backendChoices, backendName } from './flags.ts';
import { runStudy } from '../study/pipeline.ts';
import { terminalReport, writeStudyReport } from '../study/report.ts';
import { projectRoot } from '../util/dataRoot.ts';

export const help = `Usage: heed study [--config NAME|FILE] [--out DIR] [options]

Reproduces Hewitt et al. 2024 ("Instruction Following without Instruction Tuning") on one base
model: a pipeline of stages
  base        load the base model (or pretrain one from the config's recipe)
  train ARM   finetune each tuned arm from the base (instruction and response tuning on LIMA,
              single-task tuning on gsm, mbpp, poetry, recipes, chess)
  generate    greedy answers of every arm to AlpacaEval instructions and IFEval prompts
              (the base arms plain and with the rules adapter and each of its ablations)
  judge       every arm against the instruction-tuned arm (win rate, LC win rate)
  rank        the response-ranking probe on the base model
  report      results.md / results.csv / differences.csv / report.html in --out
With a world section in the config (docs/world.md) the story-world part runs too: world-base
(load models/world-base or pretrain on the world corpus), train/generate of the world:* arms on
the world's held-out set (greedy and sampled seeds, judged exactly), world-rank, then a world
section with its calibration lines (printed before its results) and the paper's claims. The
default study skips it, with one line, while models/world-base does not exist.
Every stage's output is cached under a key of its inputs and config: a rerun redoes only what
changed, and an interrupted study continues where it stopped (training from its checkpoint,
generation from its partial model_outputs.json). Arms: ${ARM_NAMES.join(', ')}.

  --config NAME|FILE   a preset (${Object.keys(PRESETS)
    .map((k) => `${k}: ${PRESETS[k]!.about}`)
    .join('; ')})
                       or a JSON file of the same shape (see --print-config) (default: default)
  --out DIR            output folder (default runs/study-<config name>/ in the project)
  --base DIR           use this base model (an HF directory with config.json, model.safetensors
                       and tokenizer.json) instead of the config's
  --judge SPEC         the judge of the win rates: reference:REF (offline ROUGE-L proxy against a
                       strong model's answers; default reference:alpaca-eval:gpt4_1106_preview),
                       longest, openai:URL[#model] (an OpenAI-compatible server, AlpacaEval 2's
                       weighted protocol), local:PATH (a heed model as judge)
  --backend NAME       ${backendChoices} (default: the config's; see heed info)
  --arms LIST          only these arms, comma-separated (the instruction arm, and world:instruction
                       when the world part runs, always run)
  --print-config       print the resolved config as JSON and exit
  --quiet              no progress lines`;

export async function run(argv: string[]): Promise<number> {
  const { values: v } = parseArgs({
    args: argv,
    options: {
      config: { type: 'string' },
      out: { type: 'string' },
      base: { type: 'string' },
      judge: { type: 'string' },
      backend: { type: 'string' },
      arms: { type: 'string' },
      'print-config': { type: 'boolean' },
      quiet: { type: 'boolean' },
    },
    strict: true,
  });
  const spec = v.config ?? 'default';
  const cfg = loadStudyConfig(spec);
  if (v.base) cfg.base = { model: resolve(v.base) };
  if (v.judge) cfg.eval.judge = v.judge;
  if (v.backend) cfg.backend = backendName(v.backend);
  if (v.arms) cfg.arms = v.arms.split(',').map((s) => s.trim());
  validateStudyConfig(cfg, configLabel(spec));
  if (v['print-config']) {
    console.log(JSON.stringify(cfg, null, 2));
    return 0;
  }
  const out = v.out ?? resolve(projectRoot, 'runs', `study-${cfg.name}`);
  const t0 = performance.now();
  const results = await runStudy(cfg, {
    out,
    log: v.quiet ? null : process.stderr,
    configLabel: configLabel(spec),
    configArg: spec,
  });
  const paths = writeStudyReport(results, out);
  const ran = Object.values(results.statuses).filter((s) => s !== 'cached').length;
  console.log(`\n${terminalReport(results, { width: process.stdout.columns ?? 100, fullTable: paths.markdown })}`);
  console.log(
    `${ran === 0 ? 'every stage was served from the cache' : `${ran} stage(s) ran, ${Object.keys(results.statuses).length - ran} from the cache`}; ${((performance.now() - t0) / 1000).toFixed(1)} s`,
  );
  console.log(`wrote ${paths.markdown}, ${paths.csv}, ${paths.differencesCsv}, ${paths.html}`);
  return 0;
}
