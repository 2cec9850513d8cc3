// Locates files shipped beside the code (templates/, demo/site/, jobs/).
// The same code runs from src/ (tests, tsx) and from dist/src/ (the built
// bin), so paths are resolved from the package root, not from this file.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

let cached: string | null = null;

export function packageRoot(): string {
  if (cached) return cached;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest) && (JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string }).name === 'courier') {
      cached = dir;
      return dir;
    }
    const parent = dirname(dir);
    if (parent === dir) throw new Error('cannot find the courier package root (package.json named "courier")');
    dir = parent;
  }
}

export function fromRoot(...segments: string[]): string {
  return join(packageRoot(), ...segments);
}
