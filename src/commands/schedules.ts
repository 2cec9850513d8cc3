// `courier schedules sync [dir] [--dry-run] [--token-file F]` (CONTRACT §1):
// one line per schedule (add, update, unchanged, remove; with --dry-run
// "would add", "would update", "would remove", and "unchanged"); exit 1
// naming each invalid file or conflict, with nothing changed.
import type { Command } from 'commander';
import { describeRedis, unreachableReason } from '../redis/connection.js';
import { explainRedisError } from '../redis/redis-errors.js';
import { ScheduleSyncError, syncSchedules, type SyncStep } from '../queue/schedules.js';
import { registerHistory } from './schedules-history.js';
import { fail, failWith, startCommand, tokenOf } from './shared.js';

/** The default directory: the operator's own schedules (the shipped examples live in jobs/examples/schedules). */
export const DEFAULT_SCHEDULES_DIR = 'jobs/schedules';

/** One line of sync's output; a dry run says what it would do, and "unchanged" either way. */
export function describeStep(step: SyncStep, dryRun: boolean): string {
  const action = dryRun && step.action !== 'unchanged' ? `would ${step.action}` : step.action;
  return `${action.padEnd(dryRun ? 15 : 9)} ${step.queue}/${step.id}${step.file ? ` (${step.file})` : ''}`;
}

interface SyncFlags {
  dryRun?: boolean;
  tokenFile?: string;
}

async function sync(dir: string, flags: SyncFlags): Promise<void> {
  const { config } = startCommand();
  let token: string | undefined;
  try {
    // Only --token-file, never COURIER_TOKEN: a schedule keeps its token in
    // Redis and uses it every run, so it must be a deliberate choice, not a
    // personal token that happened to be in this shell.
    token = await tokenOf({ tokenFile: flags.tokenFile }, { fromEnv: false });
  } catch (err) {
    failWith(err);
  }
  const unreachable = await unreachableReason(config, 5000);
  if (unreachable !== null) fail(`courier: Redis at ${describeRedis(config)} cannot be used (${unreachable}); nothing changed`);

  try {
    const dryRun = flags.dryRun ?? false;
    const steps = await syncSchedules({ config, dir, dryRun, token });
    for (const step of steps) process.stdout.write(`${describeStep(step, dryRun)}\n`);
    if (steps.length === 0) process.stdout.write('no schedules in the directory and none to remove\n');
  } catch (err) {
    fail(err instanceof ScheduleSyncError ? err.message : `courier: ${explainRedisError(err).reason}`);
  }
}

export function register(program: Command): void {
  const schedules = program.command('schedules').description('job schedulers in Redis (cron or interval), from a directory of JSON files');
  schedules
    .command('sync')
    .description(
      'make the Redis job schedulers match the files: add, update, remove. Only schedulers created by this command are ever updated or removed; the backend\'s own are left alone',
    )
    .argument('[dir]', 'directory of schedule files (examples: jobs/examples/schedules)', DEFAULT_SCHEDULES_DIR)
    .option('--dry-run', 'print what would change, change nothing')
    .option('--token-file <file>', "a file holding the bearer token put into every schedule's auth.token (kept in Redis with the schedule)")
    .action(async (dir: string, flags: SyncFlags) => {
      await sync(dir, flags);
    });
  registerHistory(schedules);
}
