// vitest globalSetup of the GPU suite (vitest.gpu.config.ts): before any test file runs, check
// the adapter in a child process (Dawn must not live in vitest's main process) and stop the run
// when it is a CPU adapter and HEED_ALLOW_CPU_ADAPTER=1 was not given.
import { spawnSync } from 'node:child_process';
import { projectRoot } from '../../src/util/dataRoot.ts';

export default function setup(): void {
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'test/gpu/adapter-check.ts'], { cwd: projectRoot, stdio: 'inherit' });
  if (r.status === 3) throw new Error('GPU suite stopped: the adapter is a CPU implementation (reason printed above)');
  if (r.status !== 0) throw new Error(`GPU suite stopped: the adapter check failed (exit ${r.status ?? r.signal})`);
}
