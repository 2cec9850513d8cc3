// The Prometheus rules file of docs/operations.md: the yaml block of its
// "Alerting on schedules and backlogs" section, as an operator copies it.
import { readFileSync } from 'node:fs';
import { fromRoot } from '../../src/paths.js';

export function rulesOfOperations(): string {
  const doc = readFileSync(fromRoot('docs', 'operations.md'), 'utf8');
  const section = doc.slice(doc.indexOf('## Alerting on schedules and backlogs'));
  const block = /```yaml\n([\s\S]*?)```/.exec(section);
  if (!block?.[1]) throw new Error('docs/operations.md has no yaml block under "Alerting on schedules and backlogs"');
  return block[1];
}
