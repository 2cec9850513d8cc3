// The artifact layout, atomic saves with their sha256, path confinement, and
// the TTL sweep on a real directory.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createArtifactStore, resolveInside, safeFileStem } from '../../src/artifacts/store.js';
import { sweepArtifacts } from '../../src/artifacts/sweep.js';

let root: string;
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'courier-artifacts-'));
});
afterEach(() => {
  rmSync(root, { recursive: true, force: true });
});

describe('artifact paths', () => {
  it('turns scheduler job ids into safe file names', () => {
    expect(safeFileStem('42')).toBe('42');
    expect(safeFileStem('repeat:weekly-sales:1732000000000')).toBe('repeat_weekly-sales_1732000000000');
    expect(safeFileStem('../../etc/passwd')).toBe('__.._etc_passwd');
    expect(safeFileStem('')).toBe('_');
  });

  it('keeps relative paths inside the root', () => {
    expect(resolveInside(root, 'screenshot/2026-11-20/42.png')).toBe(join(root, 'screenshot', '2026-11-20', '42.png'));
    for (const bad of ['../secret', 'screenshot/../../x', '/etc/passwd', 'a//b', './a', 'a\\..\\b', 'a\0b', '']) {
      expect(resolveInside(root, bad), bad).toBeNull();
    }
  });

  it('files by queue and UTC date', () => {
    const store = createArtifactStore({ dir: root });
    const at = new Date('2026-11-20T23:30:00-05:00'); // already the 21st in UTC
    expect(store.relativePath('screenshot', '42', at, 'png')).toBe('screenshot/2026-11-21/42.png');
    expect(store.timeoutScreenshotPath('screenshot', 'repeat:a:1', at)).toBe(join(root, 'screenshot', '2026-11-21', 'repeat_a_1.timeout.png'));
  });
});

describe('saving', () => {
  it('writes the file and describes it (path, mime, bytes, sha256, size)', async () => {
    const store = createArtifactStore({ dir: root });
    const data = Buffer.from('%PDF-1.7 not really a pdf');
    const artifact = await store.save({
      queue: 'pdf-report',
      jobId: 'repeat:weekly:1',
      at: new Date('2026-11-20T08:00:00Z'),
      capture: { format: 'pdf', mime: 'application/pdf', data, width: 1123, height: 794, pages: 3 },
    });
    expect(artifact).toEqual({
      path: 'pdf-report/2026-11-20/repeat_weekly_1.pdf',
      mime: 'application/pdf',
      bytes: data.length,
      sha256: createHash('sha256').update(data).digest('hex'),
      width: 1123,
      height: 794,
      pages: 3,
    });
    const onDisk = readFileSync(join(root, artifact.path));
    expect(createHash('sha256').update(onDisk).digest('hex')).toBe(artifact.sha256);
    // No temporary file is left next to it.
    expect(readdirSync(join(root, 'pdf-report', '2026-11-20'))).toEqual(['repeat_weekly_1.pdf']);
  });

  it('a retry of the same job replaces the file', async () => {
    const store = createArtifactStore({ dir: root });
    const at = new Date('2026-11-20T08:00:00Z');
    const capture = (text: string) => ({ format: 'png' as const, mime: 'image/png' as const, data: Buffer.from(text), width: 10, height: 10, pages: null });
    await store.save({ queue: 'screenshot', jobId: '7', at, capture: capture('first') });
    const second = await store.save({ queue: 'screenshot', jobId: '7', at, capture: capture('second') });
    expect(readFileSync(join(root, second.path), 'utf8')).toBe('second');
  });
});

describe('TTL sweep', () => {
  const now = new Date('2026-11-20T12:00:00Z');
  const put = (path: string, ageDays: number) => {
    const full = join(root, path);
    mkdirSync(join(full, '..'), { recursive: true });
    writeFileSync(full, 'x');
    const t = new Date(now.getTime() - ageDays * 86_400_000);
    utimesSync(full, t, t);
  };

  it('deletes files older than the TTL and removes emptied date folders, nothing else', async () => {
    put('screenshot/2026-11-10/old.png', 10);
    put('screenshot/2026-11-10/old.timeout.png', 10);
    put('screenshot/2026-11-18/mixed-old.png', 8);
    put('screenshot/2026-11-18/mixed-new.png', 1);
    put('pdf-report/2026-11-19/recent.pdf', 1);
    put('alert/2026-11-01/ancient.png', 19);
    put('not-a-queue/2026-11-01/keep.png', 30);
    put('screenshot/notes/keep.txt', 30);
    mkdirSync(join(root, 'screenshot', '2026-11-20'), { recursive: true }); // today's, empty: kept

    const result = await sweepArtifacts({ root, ttlDays: 7, now });
    expect(result).toEqual({ deletedFiles: 4, removedFolders: 2 });
    expect(existsSync(join(root, 'screenshot/2026-11-10'))).toBe(false);
    expect(existsSync(join(root, 'alert/2026-11-01'))).toBe(false);
    expect(readdirSync(join(root, 'screenshot/2026-11-18'))).toEqual(['mixed-new.png']);
    expect(existsSync(join(root, 'pdf-report/2026-11-19/recent.pdf'))).toBe(true);
    expect(existsSync(join(root, 'not-a-queue/2026-11-01/keep.png'))).toBe(true);
    expect(existsSync(join(root, 'screenshot/notes/keep.txt'))).toBe(true);
    expect(existsSync(join(root, 'screenshot/2026-11-20'))).toBe(true);
  });

  it('ARTIFACTS_TTL_DAYS=0 keeps everything', async () => {
    put('screenshot/2026-01-01/old.png', 300);
    expect(await sweepArtifacts({ root, ttlDays: 0, now })).toEqual({ deletedFiles: 0, removedFolders: 0 });
    expect(existsSync(join(root, 'screenshot/2026-01-01/old.png'))).toBe(true);
  });

  it('is safe with several pods sweeping one shared directory at once: each file deleted once, the new ones kept', async () => {
    for (let day = 1; day <= 5; day++) for (let i = 0; i < 40; i++) put(`screenshot/2026-11-0${day}/old-${i}.png`, 15);
    for (let i = 0; i < 20; i++) put(`pdf-report/2026-11-18/new-${i}.pdf`, 2);
    const sweeps = await Promise.all(Array.from({ length: 4 }, () => sweepArtifacts({ root, ttlDays: 7, now })));
    expect(sweeps.reduce((sum, r) => sum + r.deletedFiles, 0)).toBe(200);
    expect(sweeps.reduce((sum, r) => sum + r.removedFolders, 0)).toBeLessThanOrEqual(5);
    expect(readdirSync(join(root, 'screenshot'))).toEqual([]);
    expect(readdirSync(join(root, 'pdf-report/2026-11-18'))).toHaveLength(20);
  });

  it('copes with a missing artifacts directory', async () => {
    expect(await sweepArtifacts({ root: join(root, 'nowhere'), ttlDays: 7, now })).toEqual({ deletedFiles: 0, removedFolders: 0 });
  });
});
