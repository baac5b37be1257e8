import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    root: new URL('..', import.meta.url).pathname,
    include: ['test/**/*.test.ts'],
    // Integration tests start real servers (Dovecot, Redis, PostgreSQL); give them room but
    // keep a hung test from eating the CI budget.
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Files that share a server (the machine's PostgreSQL `test` database) must not interleave.
    fileParallelism: false,
  },
});
