// `courier demo`: the whole pipeline on this machine, nothing configured;
// `courier demo --serve`: the same local stack and a worker, kept running
// until Ctrl-C, with the environment that reaches them printed.
import type { Command } from 'commander';
import { DEFAULTS } from '../config.js';
import { runDemo } from '../demo/run-demo.js';
import { serveDemo } from '../demo/serve-demo.js';
import { CONFIG_EXIT, fail } from './shared.js';

interface DemoFlags {
  out: string;
  serve?: boolean;
}

/** HTTP_PORT for the served worker, when set: a configuration mistake is exit 2, as anywhere. */
function requestedHttpPort(): number | undefined {
  const raw = process.env.HTTP_PORT?.trim();
  if (!raw) return undefined;
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 1 || port > 65535) fail(`courier: invalid configuration:\n  - HTTP_PORT=${JSON.stringify(raw)}: expected a port number from 1 to 65535 (the demo's worker serves its signed links there)`, CONFIG_EXIT);
  return port;
}

export function register(program: Command): void {
  program
    .command('demo')
    .description('run the whole pipeline on this machine with nothing configured: share, annotate, report, alert; outputs in demo-out/')
    .option('--out <dir>', 'where received emails, Teams cards and artifacts are written', 'demo-out')
    .option('--serve', 'keep the local stack and a worker running until Ctrl-C, and print the environment (KEY=value lines, also in <out>/demo.env) that reaches them')
    .action(async (flags: DemoFlags) => {
      const print = (line: string): void => {
        process.stdout.write(`${line}\n`);
      };
      const redisUrl = process.env.REDIS_URL || DEFAULTS.REDIS_URL;
      try {
        if (flags.serve) await serveDemo({ outDir: flags.out, redisUrl, httpPort: requestedHttpPort(), print });
        else await runDemo({ outDir: flags.out, redisUrl, print });
        process.exit(0);
      } catch (err) {
        fail(`courier demo failed: ${err instanceof Error ? err.message : String(err)}`);
      }
    });
}
