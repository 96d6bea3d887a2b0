// Quick calibration probe of a world base (or a checkpoint of one): greedy answers of the base to
// N held-out items in the chat template and inside its pretraining wrapper, judged exactly, with
// the semantic score of each. For watching a world pretraining run before it ends (docs/world.md);
// the study's calibration lines are the real figures.
//   npx tsx scripts/world-probe.ts MODEL_DIR [TOKENIZER_JSON] [--items N] [--tokens N]
import { rmSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { backendOf } from '../src/backend/choose.ts';
import { generateAnswers } from '../src/eval/generate.ts';
import { firstLine } from '../src/eval/world/text.ts';
import { openPretrained } from '../src/load/pretrained.ts';
import { PRESETS } from '../src/study/config.ts';
import { worldData } from '../src/study/worldData.ts';
import { runMeasures } from '../src/study/worldMeasures.ts';
import { wrapperTemplate } from '../src/study/worldStages.ts';

const { values, positionals } = parseArgs({ allowPositionals: true, options: { items: { type: 'string' }, tokens: { type: 'string' } } });
const [modelDir, tokPath] = positionals;
if (!modelDir) throw new Error('usage: world-probe.ts MODEL_DIR [TOKENIZER_JSON] [--items N] [--tokens N]');
const w = PRESETS.default!.world!;
const data = worldData(w);
const n = Number(values.items ?? 35);
// Every group in turn, so a small N still covers them all.
const all = data.sets.eval;
const stride = Math.max(1, Math.floor(all.length / n));
const items = all.filter((_, i) => i % stride === 0).slice(0, n);
const { model, tokenizer } = openPretrained(modelDir, tokPath, await backendOf('fast'));
const instructions = items.map((it) => ({ instruction: it.request.text, dataset: it.group }));
const requests = items.map((it) => it.request);
for (const [name, template] of [
  ['chat', undefined],
  ['wrapper', wrapperTemplate(items)],
] as const) {
  const t0 = performance.now();
  rmSync(`/tmp/world-probe-${name}.json`, { force: true }); // generateAnswers resumes from an earlier file
  const res = await generateAnswers({
    model,
    tokenizer,
    instructions,
    generator: name,
    out: `/tmp/world-probe-${name}.json`,
    batchSize: 35,
    maxNewTokens: Number(values.tokens ?? 160),
    ...(template ? { template } : {}),
  });
  const answers = res.rows.map((r) => firstLine(r.output));
  // the study's own measures (its reference arm is not here: the answers stand in, win rates unused)
  const m = runMeasures(
    requests,
    answers,
    res.meta.map((x) => (x.eos ? 1 : 0)),
    answers,
    name,
  );
  console.log(
    `${name}: prompt level ${m.promptLevel.toFixed(1)}%, semantic ${m.semantic.toFixed(1)} (${items.length} items, ${((performance.now() - t0) / 1000).toFixed(0)} s)`,
  );
  for (let i = 0; i < 3; i++) console.log(`  [${requests[i]!.text}] -> ${answers[i]!.slice(0, 200)}`);
}
process.exit(0);
