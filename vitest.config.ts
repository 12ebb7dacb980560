import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Any unhandled rejection fails the test that caused it (see the file).
    setupFiles: ['test/support/fail-on-unhandled.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: 'forks',
  },
});
