// Exit status 2 for every configuration mistake, in every command (CONTRACT
// §1), each named: a flag commander refuses, a busy HTTP_PORT; and the
// README's configuration example, which must be what a real run prints.
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { fromRoot } from '../../src/paths.js';
import { runCli } from '../fixtures/index.js';
import { codeBlocks } from '../helpers/docs.js';
import { testPrefix, testRedisUrl } from '../setup/redis.js';

const servers: Server[] = [];
afterAll(async () => {
  await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
});

/** A port something already listens on (all interfaces, as the worker binds). */
async function busyPort(): Promise<number> {
  const server = createServer();
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, resolve));
  const address = server.address();
  return typeof address === 'object' && address ? address.port : 0;
}

describe('exit status 2 for configuration and flag mistakes', () => {
  it('worker --concurrency many, an unknown command, an unknown queue (and 0 for --help)', async () => {
    const concurrency = await runCli(['worker', '--concurrency', 'many'], {});
    expect(concurrency.status).toBe(2);
    expect(concurrency.stderr).toMatch(/option '--concurrency <n>' argument 'many' is invalid\. expected a whole number from 1 to 64/);
    const unknown = await runCli(['frobnicate'], {});
    expect(unknown.status).toBe(2);
    const queue = await runCli(['enqueue', 'emails', '-'], {});
    expect(queue.status).toBe(2);
    expect(queue.stderr).toMatch(/expected one of screenshot, pdf-report, alert/);
    const help = await runCli(['--help'], {});
    expect(help.status).toBe(0);
    expect(help.stdout).toMatch(/^Usage: courier/);
  });

  it('a busy HTTP_PORT is named, with what to do', async () => {
    const port = await busyPort();
    const run = await runCli(['worker'], {
      REDIS_URL: testRedisUrl(),
      QUEUE_PREFIX: testPrefix('exit-status'),
      FRONTEND_URL: 'http://127.0.0.1:1',
      BACKEND_URL: 'http://127.0.0.1:1',
      HTTP_PORT: String(port),
      LOG_LEVEL: 'silent',
    }, { timeoutMs: 120_000 });
    expect(run.status).toBe(2);
    expect(run.stderr).toMatch(new RegExp(`^courier: the worker could not start: HTTP_PORT=${port}: the port is already in use .*set HTTP_PORT to a free port, or 0 to turn the HTTP server off`, 'm'));
  });
});

describe("the README's configuration example", () => {
  it('is what that command prints, with status 2', async () => {
    const readme = readFileSync(fromRoot('README.md'), 'utf8');
    const block = codeBlocks(readme).find((b) => b.marker?.startsWith('<!-- config-example'));
    expect(block).toBeDefined();
    const [commandLine = '', ...expected] = block!.code.trimEnd().split('\n');
    // "$ A=1 B=2 npx courier worker": the variables, then the command.
    const words = commandLine.replace(/^\$ /, '').split(/\s+/);
    const env = Object.fromEntries(words.filter((w) => /^[A-Z_]+=/.test(w)).map((w) => [w.slice(0, w.indexOf('=')), w.slice(w.indexOf('=') + 1)]));
    const args = words.filter((w) => !/^[A-Z_]+=/.test(w));
    expect(args.slice(0, 2)).toEqual(['npx', 'courier']);
    const run = await runCli(args.slice(2), env);
    expect(run.status).toBe(2);
    expect(run.stderr.trimEnd().split('\n')).toEqual(expected);
  });
});
