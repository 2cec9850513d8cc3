#!/usr/bin/env node
// The `courier` command. It runs the compiled CLI; `npm run build` (part of
// the README's set-up) produces dist/.
import { existsSync } from 'node:fs';

const entry = new URL('../dist/src/cli.js', import.meta.url);
if (!existsSync(entry)) {
  console.error('courier is not built yet: run `npm run build` (or the README set-up command) first.');
  process.exit(2);
}
await import(entry.href);
