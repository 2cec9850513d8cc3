// The README is the landing page and docs/ holds one page per topic: every
// relative link and #anchor between them must lead somewhere, and every page
// of docs/ must be reachable from the README. Anchors are checked against
// the ids GitHub gives headings (github-slugger follows GitHub's rule), so a
// renamed heading breaks this test, not a reader's link.
// Files only: no network, and links to other sites are not followed.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, relative, resolve } from 'node:path';
import GithubSlugger from 'github-slugger';
import { describe, expect, it } from 'vitest';
import { fromRoot } from '../../src/paths.js';

interface Link {
  line: number;
  target: string;
}

/** The Markdown's lines with fenced code blocks blanked (their text is not Markdown); line numbers are kept. */
function outsideFences(markdown: string): string[] {
  let fence: string | null = null;
  return markdown.split('\n').map((line) => {
    const marker = /^\s*(```+|~~~+)/.exec(line)?.[1];
    if (fence !== null) {
      if (marker?.startsWith(fence)) fence = null;
      return '';
    }
    if (marker) fence = marker;
    return marker ? '' : line;
  });
}

/** Inline links `[text](target)` outside code (fenced blocks and code spans), with their line numbers. */
function linksOf(markdown: string): Link[] {
  const links: Link[] = [];
  outsideFences(markdown).forEach((line, i) => {
    const text = line.replace(/(`+).+?\1/g, ' ');
    for (const match of text.matchAll(/\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)) links.push({ line: i + 1, target: match[1] ?? '' });
  });
  return links;
}

/** The ids GitHub gives the page's headings: the text as rendered (links as their text) through github-slugger, duplicates numbered. */
function headingIds(markdown: string): Set<string> {
  const slugger = new GithubSlugger();
  const ids = new Set<string>();
  for (const line of outsideFences(markdown)) {
    const text = /^ {0,3}#{1,6}\s+(.*?)\s*#*\s*$/.exec(line)?.[1];
    if (text !== undefined) ids.add(slugger.slug(text.replace(/\[([^\]]*)\]\([^)]*\)/g, '$1')));
  }
  return ids;
}

/**
 * Every link of `file` that leads nowhere, said as `file:line: target (why)`.
 * `read` gives a file's text: null when it does not exist, '' for a file
 * (or folder) that is not Markdown.
 */
function brokenLinks(file: string, read: (path: string) => string | null, root: string): string[] {
  const markdown = read(file);
  if (markdown === null) return [`${file}: missing`];
  const problems: string[] = [];
  for (const { line, target } of linksOf(markdown)) {
    if (/^[a-z][a-z0-9+.-]*:/i.test(target)) continue; // https:, mailto:: another site
    const hash = target.indexOf('#');
    const path = hash === -1 ? target : target.slice(0, hash);
    const anchor = hash === -1 ? null : decodeURIComponent(target.slice(hash + 1));
    const to = path === '' ? file : resolve(dirname(file), decodeURIComponent(path));
    const text = path === '' ? markdown : read(to);
    const where = `${relative(root, file)}:${line}: ${target}`;
    if (text === null) problems.push(`${where} (no such file)`);
    else if (anchor !== null && !to.endsWith('.md')) problems.push(`${where} (an anchor into a file that is not Markdown)`);
    else if (anchor !== null && !headingIds(text).has(anchor)) problems.push(`${where} (no heading with that id)`);
  }
  return problems;
}

/** The files `file` links to (resolved paths, anchors dropped). */
function linkedFiles(file: string, markdown: string): Set<string> {
  const files = new Set<string>();
  for (const { target } of linksOf(markdown)) {
    if (/^[a-z][a-z0-9+.-]*:/i.test(target) || target.startsWith('#')) continue;
    files.add(resolve(dirname(file), decodeURIComponent(target.split('#')[0] ?? '')));
  }
  return files;
}

const readFromDisk = (path: string): string | null => (!existsSync(path) ? null : path.endsWith('.md') ? readFileSync(path, 'utf8') : '');

describe('the link checker', () => {
  const pages: Record<string, string> = {
    '/d/a.md': '# Top\n\n## Set-up: `REDIS_URL`\n\n## Set-up: `REDIS_URL`\n\n```sh\n# not a heading\n[x](#nowhere)\n```\n\nSee [b](b.md#teams-limits-502504), [again](#set-up-redis_url-1), `[code](#nor-this)`, [web](https://example.com/#x).\n',
    '/d/b.md': "# B\n\n### Teams' limits (502/504)\n\n[back](a.md#top) [gone](a.md#missing) [lost](c.md) [self](#b)\n",
  };
  const read = (path: string): string | null => pages[path] ?? null;

  it('finds GitHub heading ids, numbering duplicates, ignoring code', () => {
    expect([...headingIds(pages['/d/a.md'] ?? '')]).toEqual(['top', 'set-up-redis_url', 'set-up-redis_url-1']);
    expect([...headingIds(pages['/d/b.md'] ?? '')]).toEqual(['b', 'teams-limits-502504']);
  });

  it('reports a missing file and a missing heading, and nothing in code or on other sites', () => {
    expect(linksOf(pages['/d/a.md'] ?? '').map((l) => l.target)).toEqual(['b.md#teams-limits-502504', '#set-up-redis_url-1', 'https://example.com/#x']);
    expect(brokenLinks('/d/a.md', read, '/d')).toEqual([]);
    expect(brokenLinks('/d/b.md', read, '/d')).toEqual(['b.md:5: a.md#missing (no heading with that id)', 'b.md:5: c.md (no such file)']);
  });
});

describe('README.md and docs/', () => {
  const docs = readdirSync(fromRoot('docs'))
    .filter((f) => f.endsWith('.md'))
    .map((f) => fromRoot('docs', f));
  const pages = [fromRoot('README.md'), ...docs, fromRoot('bench', 'README.md')];

  it('has the topic pages the README promises', () => {
    const names = docs.map((f) => relative(fromRoot('docs'), f));
    expect(names).toEqual(expect.arrayContaining(['jobs.md', 'rendering.md', 'email.md', 'teams.md', 'reports.md', 'alerts.md', 'security.md', 'operations.md', 'troubleshooting.md']));
  });

  it.each(pages.map((p) => [relative(fromRoot(), p), p]))('%s: every relative link and #anchor leads somewhere', (_name, page) => {
    expect(brokenLinks(page, readFromDisk, fromRoot())).toEqual([]);
  });

  it('links every page of docs/ from the README', () => {
    const readme = fromRoot('README.md');
    const linked = linkedFiles(readme, readFileSync(readme, 'utf8'));
    expect(docs.filter((f) => !linked.has(f)).map((f) => relative(fromRoot(), f))).toEqual([]);
  });

  it('keeps the generated configuration table between its markers, once', () => {
    const readme = readFileSync(fromRoot('README.md'), 'utf8');
    const start = readme.split('<!-- config-table:start -->').length - 1;
    const end = readme.split('<!-- config-table:end -->').length - 1;
    expect([start, end]).toEqual([1, 1]);
    const table = readme.slice(readme.indexOf('<!-- config-table:start -->'), readme.indexOf('<!-- config-table:end -->'));
    expect(table).toContain('| `REDIS_URL` |');
  });
});
