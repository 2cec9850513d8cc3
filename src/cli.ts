// The `courier` command line (CONTRACT §1). Commands → the functions that do
// the work; nothing else lives here. Each command registers itself from
// src/commands/<name>.ts.
import { Command } from 'commander';
import { readFileSync } from 'node:fs';
import { fromRoot } from './paths.js';
import { register as registerRender } from './commands/render.js';
import { register as registerDoctor } from './commands/doctor.js';
import { register as registerEnqueue } from './commands/enqueue.js';
import { register as registerSchedules } from './commands/schedules.js';
import { register as registerWorker } from './commands/worker.js';
import { register as registerTeams } from './commands/teams.js';
import { register as registerDemo } from './commands/demo.js';

const { version } = JSON.parse(readFileSync(fromRoot('package.json'), 'utf8')) as { version: string };

const program = new Command('courier')
  .description('Renders Toucan stories in Chromium and delivers them by email and Microsoft Teams.')
  .version(version)
  .showHelpAfterError();

// Command registrations (one line each).
registerRender(program);
registerDoctor(program);
registerEnqueue(program);
registerSchedules(program);
registerWorker(program);
registerTeams(program);
registerDemo(program);

await program.parseAsync(process.argv);
