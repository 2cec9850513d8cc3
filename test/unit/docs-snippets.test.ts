// The documentation's code, checked where it cannot run here: every Python
// snippet compiles (`python3 -m py_compile`: a top-level `await` is a
// SyntaxError) and takes its key prefix from configuration; the README's
// Node version is package.json's. The Node snippets and the shell commands
// run against the served demo (test/integration/demo-serve.test.ts).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { fromRoot } from '../../src/paths.js';
import { codeBlocks } from '../helpers/docs.js';

const pages = ['README.md', ...readdirSync(fromRoot('docs')).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`)];
const python = pages.flatMap((page) => codeBlocks(readFileSync(fromRoot(page), 'utf8'), 'python').map((block) => ({ page, ...block })));
const dir = mkdtempSync(join(tmpdir(), 'courier-snippets-'));

/**
 * Names a snippet reads but never defines (imports, assignments, defs,
 * parameters, loop and with targets, builtins), as pyflakes would report
 * them: the bullmq package is not installed here, so nothing is run.
 */
const UNDEFINED_NAMES = `
import ast, builtins, sys
tree = ast.parse(open(sys.argv[1]).read())
defined = set(dir(builtins))
for node in ast.walk(tree):
    if isinstance(node, (ast.Import, ast.ImportFrom)):
        defined.update((a.asname or a.name).split('.')[0] for a in node.names)
    elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        defined.add(node.name)
    elif isinstance(node, ast.arg):
        defined.add(node.arg)
    elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
        defined.add(node.id)
used = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}
print(' '.join(sorted(used - defined)))
`;
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('Python snippets in the docs', () => {
  it('there are some (jobs.md and alerts.md)', () => {
    expect(python.map((b) => b.page)).toEqual(expect.arrayContaining(['docs/jobs.md', 'docs/alerts.md']));
  });

  it.each(python.map((b) => [`${b.page}:${b.line}`, b.code] as const))('%s compiles, runs inside asyncio.run, and takes the prefix from configuration', (where, code) => {
    const file = join(dir, `${where.replace(/[^\w]+/g, '_')}.py`);
    writeFileSync(file, code);
    // Throws with Python's SyntaxError (line and reason) on stderr when it does not compile.
    execFileSync('python3', ['-m', 'py_compile', file], { stdio: ['ignore', 'ignore', 'pipe'] });
    expect(execFileSync('python3', ['-c', UNDEFINED_NAMES, file], { encoding: 'utf8' }).trim()).toBe('');
    expect(code).toMatch(/^asyncio\.run\(main\(\)\)$/m);
    // No hard-coded prefix: on a Cluster it is {courier}, and any prefix is the worker's QUEUE_PREFIX.
    expect(code).not.toMatch(/["']courier:/);
    expect(code).toMatch(/QUEUE_PREFIX = os\.environ\.get\("QUEUE_PREFIX", "courier"\)/);
  });

  it('would catch the mistakes they are here for: a top-level await, a name never defined or imported', () => {
    const file = join(dir, 'mistakes.py');
    writeFileSync(file, 'from bullmq import Queue\nqueue = Queue("screenshot")\nawait queue.close()\n');
    expect(() => execFileSync('python3', ['-m', 'py_compile', file], { stdio: ['ignore', 'ignore', 'pipe'] })).toThrow();
    writeFileSync(file, 'import asyncio\n\nasync def main():\n    await redis.set("k", int(time.time()))\n\nasyncio.run(main())\n');
    expect(execFileSync('python3', ['-c', UNDEFINED_NAMES, file], { encoding: 'utf8' }).trim()).toBe('redis time');
  });
});

describe("the README's set-up", () => {
  it('names the Node versions of package.json engines', () => {
    const { engines } = JSON.parse(readFileSync(fromRoot('package.json'), 'utf8')) as { engines: { node: string } };
    const [, low, high] = /^>=(\d+(?:\.\d+)*) <(\d+)$/.exec(engines.node) ?? [];
    expect(low).toBeDefined();
    expect(readFileSync(fromRoot('README.md'), 'utf8')).toContain(`Node.js ${low} or newer, below ${high}`);
  });
});
