// `npm run schemas`: writes jobs/schemas/*.schema.json from the zod contracts
// (src/contracts/json-schema.ts). Never edit those files by hand.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { renderJsonSchemas } from '../src/contracts/json-schema.js';
import { fromRoot } from '../src/paths.js';

const dir = fromRoot('jobs', 'schemas');
mkdirSync(dir, { recursive: true });
for (const [name, content] of renderJsonSchemas()) {
  writeFileSync(join(dir, name), content);
  process.stdout.write(`wrote jobs/schemas/${name}\n`);
}
