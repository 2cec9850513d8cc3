import { defineConfig } from 'vitest/config';

// Integration tests drive a real Chromium, Redis, SMTP server and Bot
// Connector fake; budgets are generous because the point is behaviour, not
// speed on a shared 2-core machine. Files run in parallel in forked workers,
// each with its own queue prefix (test/setup/redis.ts).
//
// Unit tests are the pure cores: they get no global set-up (no Redis is
// looked for or started), and REDIS_URL points at a closed port, so a unit
// test that reached for Redis would fail instead of quietly using it.
export default defineConfig({
  test: {
    pool: 'forks',
    maxWorkers: 2,
    testTimeout: 60_000,
    hookTimeout: 60_000,
    teardownTimeout: 30_000,
    reporters: ['default'],
    projects: [
      { extends: true, test: { name: 'unit', include: ['test/unit/**/*.test.ts'], env: { REDIS_URL: 'redis://127.0.0.1:1' } } },
      // A test's limit only matters when something hangs; CI machines have run these two
      // to three times slower than this one (a 37 s test must not fail there at 60 s).
      { extends: true, test: { name: 'integration', include: ['test/integration/**/*.test.ts'], globalSetup: ['test/setup/global.ts'], testTimeout: 180_000, hookTimeout: 120_000 } },
    ],
  },
});
