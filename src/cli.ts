// The `courier` command line (CONTRACT §1). Commands → the functions that do
// the work; nothing else lives here. Each command registers itself from
// src/commands/<name>.ts.
import { Command, CommanderError } from 'commander';
import { readFileSync } from 'node:fs';
import { fromRoot } from './paths.js';
import { register as registerRender } from './commands/render.js';
import { register as registerDoctor } from './commands/doctor.js';
import { register as registerEnqueue } from './commands/enqueue.js';
import { register as registerSchedules } from './commands/schedules.js';
import { register as registerWorker } from './commands/worker.js';
import { register as registerTeams } from './commands/teams.js';
import { register as registerDemo } from './commands/demo.js';
import { register as registerJobs } from './commands/jobs.js';

const { version } = JSON.parse(readFileSync(fromRoot('package.json'), 'utf8')) as { version: string };

const program = new Command('courier')
  .description('Renders Toucan stories in Chromium and delivers them by email and Microsoft Teams.')
  .version(version)
  .showHelpAfterError()
  // A wrong flag or argument is a configuration mistake: exit 2 in every
  // command (CONTRACT §1), where commander would exit 1. Set before the
  // commands are registered, so each inherits it.
  .exitOverride();

// Command registrations (one line each).
registerRender(program);
registerDoctor(program);
registerEnqueue(program);
registerSchedules(program);
registerWorker(program);
registerTeams(program);
registerDemo(program);
registerJobs(program);

try {
  await program.parseAsync(process.argv);
} catch (err) {
  if (!(err instanceof CommanderError)) throw err;
  // Commander has printed the message (and the help); --help and --version end with 0.
  process.exit(err.exitCode === 0 ? 0 : 2);
}
