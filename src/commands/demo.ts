// `courier demo`: the whole pipeline on this machine, nothing configured.
import type { Command } from 'commander';
import { DEFAULTS } from '../config.js';
import { runDemo } from '../demo/run-demo.js';
import { fail } from './shared.js';

export function register(program: Command): void {
  program
    .command('demo')
    .description('run the whole pipeline on this machine with nothing configured: share, annotate, report, alert; outputs in demo-out/')
    .option('--out <dir>', 'where received emails, Teams cards and artifacts are written', 'demo-out')
    .action(async (options: { out: string }) => {
      try {
        await runDemo({ outDir: options.out, redisUrl: process.env.REDIS_URL || DEFAULTS.REDIS_URL, print: (line) => process.stdout.write(`${line}\n`) });
        process.exit(0);
      } catch (err) {
        fail(`courier demo failed: ${err instanceof Error ? err.message : String(err)}`);
      }
    });
}
