// `courier schedules sync [dir] [--dry-run]` (CONTRACT §1): one line per
// schedule (add, update, unchanged, remove); exit 1 naming each invalid file
// or conflict, with nothing changed.
import type { Command } from 'commander';
import { describeRedis, unreachableReason } from '../redis/connection.js';
import { explainRedisError } from '../redis/redis-errors.js';
import { ScheduleSyncError, syncSchedules } from '../queue/schedules.js';
import { fail, startCommand } from './shared.js';

async function sync(dir: string, flags: { dryRun?: boolean }): Promise<void> {
  const { config } = startCommand();
  const unreachable = await unreachableReason(config, 5000);
  if (unreachable !== null) fail(`courier: Redis at ${describeRedis(config)} cannot be used (${unreachable}); nothing changed`);

  try {
    const steps = await syncSchedules({ config, dir, dryRun: flags.dryRun ?? false });
    for (const step of steps) {
      process.stdout.write(`${flags.dryRun ? 'would ' : ''}${step.action.padEnd(9)} ${step.queue}/${step.id}${step.file ? ` (${step.file})` : ''}\n`);
    }
    if (steps.length === 0) process.stdout.write('no schedules in the directory and none to remove\n');
  } catch (err) {
    fail(err instanceof ScheduleSyncError ? err.message : `courier: ${explainRedisError(err).reason}`);
  }
}

export function register(program: Command): void {
  const schedules = program.command('schedules').description('job schedulers in Redis (cron or interval), from jobs/schedules/*.json');
  schedules
    .command('sync')
    .description(
      'make the Redis job schedulers match the files: add, update, remove. Only schedulers created by this command are ever updated or removed; the backend\'s own are left alone',
    )
    .argument('[dir]', 'directory of schedule files', 'jobs/schedules')
    .option('--dry-run', 'print what would change, change nothing')
    .action(async (dir: string, flags: { dryRun?: boolean }) => {
      await sync(dir, flags);
    });
}
