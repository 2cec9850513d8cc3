// `courier demo` as a newcomer runs it: nothing configured, no Redis at
// REDIS_URL (it starts its own), and every output written where it says.
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { simpleParser } from 'mailparser';
import { describe, expect, it } from 'vitest';
import { runCli } from '../fixtures/index.js';
import { decodePng, showsChartNotLoader } from '../helpers/image.js';
import { pdfInfo } from '../helpers/pdf.js';
import { freePort } from '../setup/redis.js';

describe('courier demo', () => {
  it('runs share, annotate, report and alert end to end on a machine with nothing configured, and exits 0', async () => {
    const out = join(mkdtempSync(join(tmpdir(), 'courier-demo-')), 'demo-out');
    const run = await runCli(['demo', '--out', out], { REDIS_URL: `redis://127.0.0.1:${await freePort()}` }, { timeoutMs: 240_000 });
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(/none answered .*; started redis-server/);
    for (const step of ['share', 'annotate', 'report', 'alert 80', 'alert 140', 'alert 95', 'share \\(fr\\)']) expect(run.stdout).toMatch(new RegExp(`^${step}\\s+job `, 'm'));
    expect(run.stdout).toMatch(/state triggered, value 140, people were told/);
    expect(run.stdout).toMatch(/state ok, value 95, people were told/);

    // Four emails (share, annotated share, report, the French share), each with its picture.
    const mails = readdirSync(join(out, 'mail')).filter((f) => f.endsWith('.eml'));
    expect(mails).toHaveLength(4);
    const french = await simpleParser(readFileSync(join(out, 'mail', mails.sort()[3]!)));
    expect(french.subject).toBe('Camille Martin a partagé «\u00a0Ventes par région\u00a0» depuis Sales Pulse');
    const report = await simpleParser(readFileSync(join(out, 'mail', mails.sort()[2]!)));
    expect(report.attachments.map((a) => a.contentType).sort()).toEqual(['application/pdf', 'image/png']);

    // Six Teams posts: two shares, the report, the alert triggered and resolved, the French share.
    const cards = readdirSync(join(out, 'teams')).filter((f) => f.endsWith('.card.json')).sort();
    expect(cards).toHaveLength(6);
    expect(readFileSync(join(out, 'teams', cards[5]!), 'utf8')).toContain('Ouvrir dans Toucan');
    const resolved = readFileSync(join(out, 'teams', cards[4]!), 'utf8');
    expect(resolved).toContain('Resolved');

    // Artifacts: the share's PNG shows the chart; the report is a 4-page PDF.
    const artifacts = join(out, 'artifacts');
    const share = readdirSync(join(artifacts, 'screenshot'), { recursive: true }).map(String).find((f) => f.endsWith('.png'));
    expect(showsChartNotLoader(decodePng(readFileSync(join(artifacts, 'screenshot', share!)))).chart).toBeGreaterThan(0.05);
    const pdf = readdirSync(join(artifacts, 'pdf-report'), { recursive: true }).map(String).find((f) => f.endsWith('.pdf'));
    expect(pdfInfo(join(artifacts, 'pdf-report', pdf!)).Pages).toBe('4');
    const outputs = run.stdout.split('\n').filter((l) => /^ {2}\S/.test(l));
    expect(outputs.length).toBeGreaterThan(10);
    for (const line of outputs) expect(existsSync(line.trim())).toBe(true);
    // The demo starts its own Redis and Chromium and runs seven jobs: on a
    // loaded 2-core CI machine that can take minutes; runCli's own limit
    // (240 s) is the one that should fail it, with the demo's output.
  }, 250_000);
});
