// `npm run config-table`: rewrites README.md's configuration table (between
// <!-- config-table:start --> and <!-- config-table:end -->) from the
// declarations in src/config-vars.ts. Never edit that table by hand.
import { readFileSync, writeFileSync } from 'node:fs';
import { withConfigTable } from '../src/config-vars.js';
import { fromRoot } from '../src/paths.js';

const path = fromRoot('README.md');
const before = readFileSync(path, 'utf8');
const after = withConfigTable(before);
writeFileSync(path, after);
process.stdout.write(before === after ? 'README.md: configuration table already up to date\n' : 'README.md: configuration table rewritten\n');
