// scripts/publish-base.sh turns a study's pretraining stage into a committed base: bf16 weights,
// the card with a "This copy" section naming the backend it ran on, the log and curve, and for a
// world base the calibration lines of a results.md. It refuses to overwrite, a missing stage file
// and a results.md without calibration lines; publishing the same stage twice gives the same bytes.
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { WORLD_PRETRAIN } from '../../src/study/config.ts';

const ROOT = resolve(import.meta.dirname, '..', '..');
const SCRIPT = join(ROOT, 'scripts', 'publish-base.sh');
const BASE = join(ROOT, 'models', 'world-base');
const tmp = mkdtempSync(join(tmpdir(), 'heed-publish-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** A finished world-base stage directory, made from the committed world base's own files. */
function stage(): string {
  const dir = join(tmp, 'stage');
  mkdirSync(join(dir, 'model'), { recursive: true });
  for (const f of ['config.json', 'model.safetensors', 'tokenizer.json']) copyFileSync(join(BASE, f), join(dir, 'model', f));
  writeFileSync(join(dir, 'model', 'README.md'), '# heed world base (test)\n\nThe stage card.\n');
  for (const f of ['log.jsonl', 'loss.svg']) copyFileSync(join(BASE, f), join(dir, f));
  return dir;
}

const CAL = [
  '- (a) the instruction-tuned arm follows well: NOT MET — prompt level 16.3%',
  '- (b) the base inside a natural pretraining wrapper follows: MET — semantic 34.3',
  '- (c) the base in the chat template follows clearly worse: MET — wrapper − chat = 31.7',
];

function publish(...args: string[]) {
  const r = spawnSync('bash', [SCRIPT, ...args], { encoding: 'utf8', cwd: ROOT });
  return { status: r.status, out: r.stdout, err: r.stderr };
}

describe('scripts/publish-base.sh', () => {
  const src = stage();
  const results = join(tmp, 'results.md');
  writeFileSync(
    results,
    `# study\n\n## Story world\n\n### Calibration (is the world informative?)\n\n${CAL.join('\n')}\n\n### Results per arm\n\n| a |\n`,
  );

  it("publishes bf16 weights with the card, the backend it names and a results.md's calibration lines; the same bytes twice", () => {
    const a = join(tmp, 'out-a');
    const r = publish(src, a, 'the fast CPU backend (test)', results);
    expect(r.status, r.err).toBe(0);
    const card = readFileSync(join(a, 'README.md'), 'utf8');
    expect(card).toMatch(/^# heed world base \(test\)/);
    expect(card).toMatch(
      new RegExp(
        `Pretraining wall time: [\\d.]+ min for ${WORLD_PRETRAIN.steps} steps \\(\\d+ tokens/s\\) on\\s+the fast CPU backend \\(test\\)`,
      ),
    );
    expect(card).toContain('## Calibration (docs/world.md)');
    for (const l of CAL) expect(card).toContain(l);
    expect(card).not.toContain('### Results per arm');
    for (const f of ['config.json', 'model.safetensors', 'tokenizer.json', 'log.jsonl', 'loss.svg'])
      expect(existsSync(join(a, f))).toBe(true);
    const b = join(tmp, 'out-b');
    expect(publish(src, b, 'the fast CPU backend (test)').status).toBe(0);
    expect(readFileSync(join(b, 'model.safetensors')).equals(readFileSync(join(a, 'model.safetensors')))).toBe(true);
    expect(readFileSync(join(b, 'README.md'), 'utf8')).not.toContain('## Calibration');
  }, 60_000);

  it('refuses an existing destination, a stage missing a file and a results.md without calibration lines', () => {
    const a = join(tmp, 'out-a');
    if (!existsSync(a)) mkdirSync(a);
    expect(publish(src, a, 'x').err).toContain(`publish-base: ${a} exists; remove it first`);
    const bare = join(tmp, 'bare');
    mkdirSync(bare, { recursive: true });
    expect(publish(bare, join(tmp, 'out-c'), 'x').err).toContain(`publish-base: ${bare}/model/config.json is missing`);
    const noCal = join(tmp, 'nocal.md');
    writeFileSync(noCal, '# study\n\n### Results per arm\n');
    const r = publish(src, join(tmp, 'out-d'), 'x', noCal);
    expect(r.status).toBe(1);
    expect(r.err).toContain(`publish-base: ${noCal} has no world calibration section`);
    expect(existsSync(join(tmp, 'out-d'))).toBe(false);
  }, 60_000);
});
