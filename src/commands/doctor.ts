// `courier doctor`: one line per check, exit 0 only if every configured check passes.
import type { Command } from 'commander';
import { ConfigError, loadConfig } from '../config.js';
import { checkChromium, checkRedis, checkSmtp, checkStackUrl, checkTeams, formatResults, runChecks, type Check } from '../doctor.js';
import { createLogger } from '../log.js';
import { CONFIG_EXIT } from './shared.js';

export function register(program: Command): void {
  program
    .command('doctor')
    .description('check DNS, TCP and HTTP of the frontend and backend, Redis, Chromium, SMTP and Teams')
    .action(() => doctorCommand());
}

async function doctorCommand(): Promise<void> {
  let config;
  try {
    config = loadConfig(process.env);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    // A configuration mistake: exit 2, as in every command (CONTRACT §1).
    process.stdout.write(`${formatResults(err.problems.map((p) => ({ name: 'config', status: 'FAIL', detail: p })))}\n`);
    process.exit(CONFIG_EXIT);
  }
  // Doctor prints its own lines; the pool's launch logs would only interleave with them.
  const log = createLogger('silent');
  const checks: Check[] = [
    () => checkStackUrl('frontend', config.frontendUrl, 'FRONTEND_URL'),
    () => checkStackUrl('backend', config.backendUrl, 'BACKEND_URL'),
    () => checkRedis(config),
    () => checkChromium(config, log),
    () => checkSmtp(config),
    () => checkTeams(config, log),
  ];
  const results = await runChecks(checks);
  process.stdout.write(`${formatResults(results)}\n`);
  process.exit(results.some((r) => r.status === 'FAIL') ? 1 : 0);
}
