import { defineConfig } from 'vitest/config';

// Integration tests drive a real Chromium, Redis, SMTP server and Bot
// Connector fake; budgets are generous because the point is behaviour, not
// speed on a shared 2-core machine. Files run in parallel in forked workers,
// each with its own queue prefix (test/setup/redis.ts).
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/setup/global.ts'],
    pool: 'forks',
    maxWorkers: 2,
    testTimeout: 60_000,
    hookTimeout: 60_000,
    teardownTimeout: 30_000,
    reporters: ['default'],
  },
});
