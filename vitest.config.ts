import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // The web console's tests pick their DOM per file (`// @vitest-environment happy-dom`).
    include: ['test/**/*.test.ts', 'src/**/*.test.ts', 'console/test/**/*.test.{ts,tsx}'],
    testTimeout: 20_000,
    hookTimeout: 30_000,
    pool: 'forks',
  },
});
