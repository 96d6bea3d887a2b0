// `heed chat` as a real process: Ctrl-C (SIGINT) stops the answer being streamed, not the program.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { dataPath, projectRoot } from '../../src/util/dataRoot.ts';

it('heed chat: Ctrl-C stops the current answer and the conversation goes on; /exit quits', async () => {
  const dir = 'llama2c-stories260K';
  const proc = spawn(
    process.execPath,
    [
      join(projectRoot, 'bin', 'heed.js'),
      'chat',
      '--model',
      dataPath(dir, 'stories260K.bin'),
      '--tokenizer',
      dataPath(dir, 'tok512.bin'),
      '--backend',
      'cpu',
      '--max-tokens',
      '400',
    ],
    { stdio: ['pipe', 'pipe', 'pipe'] },
  );
  let out = '';
  proc.stdout.on('data', (d: Buffer) => (out += d.toString()));
  const until = async (pred: () => boolean) => {
    const t0 = Date.now();
    while (!pred()) {
      if (Date.now() - t0 > 60_000) throw new Error(`timed out; output so far: ${JSON.stringify(out)}`);
      if (proc.exitCode !== null) throw new Error(`chat exited early (${proc.exitCode}): ${out}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  };
  const exited = new Promise<number | null>((r) => proc.once('exit', (code) => r(code)));
  await until(() => out.startsWith('> '));
  for (const msg of ['Tell me a story.', 'And then?']) {
    const mark = out.length;
    proc.stdin.write(`${msg}\n`);
    await until(() => out.length > mark + 20); // the answer is streaming
    proc.kill('SIGINT');
    await until(() => out.slice(mark).includes(' [stopped]\n> '));
  }
  proc.stdin.write('/exit\n');
  expect(await exited).toBe(0);
  expect(out.match(/ \[stopped\]\n/g)!.length).toBe(2);
});
