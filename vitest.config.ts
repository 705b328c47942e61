import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 180_000,
    // Integration tests start real servers on loopback; keep them from competing for the 2 cores.
    fileParallelism: true,
    maxWorkers: 2,
  },
});
