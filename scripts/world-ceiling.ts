// How far each check keeps a world arm from calibration (a)'s 50% prompt level: re-judges an arm's
// greedy answers (a finished study run) and counts the items met in full, then the items that would
// be met if the named checks were met too. For docs/world.md's calibration attempts: "if the base
// copied every required word, what prompt level would the instruction-tuned arm reach?"
//   npx tsx scripts/world-ceiling.ts CONFIG RUN_DIR [ARM ...] [--ignore words,sentences]
// CONFIG is the study config the run used (its world seed and set sizes fix the evaluation items).
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { judge } from '../src/eval/world/judge.ts';
import { loadStudyConfig } from '../src/study/config.ts';
import { worldData } from '../src/study/worldData.ts';

const { values, positionals } = parseArgs({ allowPositionals: true, options: { ignore: { type: 'string' } } });
const [configSpec, runDir, ...armArgs] = positionals;
if (!configSpec || !runDir) throw new Error('usage: world-ceiling.ts CONFIG RUN_DIR [ARM ...] [--ignore words,sentences]');
const w = loadStudyConfig(configSpec).world;
if (!w) throw new Error(`${configSpec}: no world section`);
const items = worldData(w).sets.eval;
const ignore = (values.ignore ?? 'words,sentences').split(',').filter((s) => s !== '');
const arms = armArgs.length > 0 ? armArgs : ['world-instruction', 'world-base-in-wrapper'];

interface Output {
  instruction: string;
  output: string;
}
for (const arm of arms) {
  const file = join(runDir, 'arms', arm, 'generate', 'model_outputs.json');
  if (!existsSync(file)) throw new Error(`${file}: not found (is ${arm} an arm of this run, and has it generated?)`);
  const outs = JSON.parse(readFileSync(file, 'utf8')) as Output[];
  if (outs.length !== items.length) throw new Error(`${file}: ${outs.length} answers, the config's evaluation set has ${items.length}`);
  // met[k]: items whose checks other than the first k ignored ones all hold (k = 0: the real count)
  const met = ignore.map(() => 0).concat(0);
  outs.forEach((o, i) => {
    const item = items[i]!;
    if (!o.instruction.includes(item.request.text)) throw new Error(`${file}: answer ${i} is not to evaluation item ${item.id}`);
    const checks = judge(item.request, o.output).checks;
    for (let k = 0; k <= ignore.length; k++) if (checks.every((c) => c.ok || ignore.slice(0, k).includes(c.name))) met[k]!++;
  });
  const pct = (n: number) => `${n}/${items.length} (${((100 * n) / items.length).toFixed(1)}%)`;
  const steps = met.map((n, k) => (k === 0 ? `prompt level ${pct(n)}` : `+ ${ignore[k - 1]} counted met: ${pct(n)}`));
  console.log(`${arm}: ${steps.join(' · ')}`);
}
