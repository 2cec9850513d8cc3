// `npm run chaos`: the fault suite of issue 7. Real `courier worker`
// processes, a real Redis, Chromium, an SMTP server and the Bot Connector
// stand-in; each scenario injects one fault into a stream of jobs and
// checks that no job was lost, none failed that should not have, and no
// recipient got a message twice. Prints the table, writes
// bench/results/chaos.md after a full run, exits 1 if any scenario failed.
//
//   npm run chaos                       all scenarios, 3 at a time
//   npm run chaos -- --only redis,smtp  some of them (the report is not written)
//   npm run chaos -- --parallel 1       one at a time
//   npm run chaos -- --logs /tmp/chaos  also keep every worker's log lines there
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { parseArgs } from 'node:util';
import { extraCaCertsWithLoopbackCa } from '../src/demo/bot-connector.js';
import { RedisServer, redisAnswers } from '../src/demo/redis-server.js';
import { fromRoot } from '../src/paths.js';
import { markdown, passed, table } from './chaos/report.js';
import { SCENARIOS } from './chaos/scenarios/index.js';
import { runSuite } from './chaos/suite.js';

const DEFAULT_PARALLEL = 3;

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      only: { type: 'string' },
      parallel: { type: 'string', default: String(DEFAULT_PARALLEL) },
      out: { type: 'string' },
      logs: { type: 'string' },
    },
  });
  const wanted = values.only?.split(',').map((s) => s.trim()).filter(Boolean);
  const unknown = wanted?.filter((id) => !SCENARIOS.some((s) => s.id === id)) ?? [];
  if (unknown.length > 0) {
    console.error(`unknown scenario(s): ${unknown.join(', ')}; known: ${SCENARIOS.map((s) => s.id).join(', ')}`);
    return 2;
  }
  const scenarios = wanted ? SCENARIOS.filter((s) => wanted.includes(s.id)) : SCENARIOS;
  const parallel = Number(values.parallel);
  if (!Number.isInteger(parallel) || parallel < 1) {
    console.error('--parallel expects a whole number from 1');
    return 2;
  }
  // A full run writes the committed report; a partial one only if asked where.
  const out = values.out ?? (wanted ? null : fromRoot('bench', 'results', 'chaos.md'));

  let owned: RedisServer | null = null;
  let redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
  if (!(await redisAnswers(redisUrl))) {
    owned = await RedisServer.start();
    console.log(`no Redis answered at ${redisUrl}; started redis-server at ${owned.url}`);
    redisUrl = owned.url;
  }
  const started = Date.now();
  try {
    const results = await runSuite({
      scenarios,
      redisUrl,
      extraCaCerts: await extraCaCertsWithLoopbackCa(process.env.NODE_EXTRA_CA_CERTS),
      parallel,
      print: (line) => console.log(line),
      logDir: values.logs,
    });
    const totalSeconds = (Date.now() - started) / 1000;
    console.log(`\n${table(results)}\n\ntotal ${totalSeconds.toFixed(0)} s, ${parallel} at a time`);
    if (out) {
      await mkdir(dirname(out), { recursive: true });
      await writeFile(out, markdown({ results, scenarios, totalSeconds, parallel, date: new Date() }));
      console.log(`wrote ${out}`);
    }
    return passed(results) ? 0 : 1;
  } finally {
    await owned?.dispose();
  }
}

main().then(
  (status) => process.exit(status),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
