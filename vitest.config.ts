import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // Dawn's instance must live for the whole process and GPU suites must not run concurrently
    // on a 2-core machine: run files one after another in one forked process per file.
    pool: 'forks',
    fileParallelism: false,
  },
});
