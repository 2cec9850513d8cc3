// "Keep until" records: a file a signed link points to outlives
// ARTIFACTS_TTL_DAYS until the link expires, and its record goes with it.
import { mkdirSync, mkdtempSync, readdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { keepMarkerName, keepPromises, keepUntil, parseKeepMarker, sweepMayDelete } from '../../src/artifacts/keep.js';
import { sweepArtifacts } from '../../src/artifacts/sweep.js';

const DAY = 86_400_000;

describe('keep-until records', () => {
  it('name the file and the time, and the latest promise wins', () => {
    expect(keepMarkerName('42.pdf', 1_800_000_000)).toBe('.42.pdf.keep-until-1800000000');
    expect(parseKeepMarker('.42.pdf.keep-until-1800000000')).toEqual({ file: '42.pdf', untilSeconds: 1_800_000_000 });
    expect(parseKeepMarker('42.pdf')).toBeNull();
    expect(parseKeepMarker('.abc123.tmp')).toBeNull();
    expect(keepPromises(['42.pdf', '.42.pdf.keep-until-100', '.42.pdf.keep-until-300', '.42.pdf.keep-until-200']).get('42.pdf')).toBe(300);
  });

  it('let the sweep delete a file only when old and unpromised, and a record only once its time has passed', () => {
    const now = 1_000 * DAY;
    const promises = new Map([['kept.pdf', (now + DAY) / 1000]]);
    const old = now - 8 * DAY;
    const cutoff = now - 7 * DAY;
    expect(sweepMayDelete('kept.pdf', old, cutoff, promises, now)).toBe(false);
    expect(sweepMayDelete('other.png', old, cutoff, promises, now)).toBe(true);
    expect(sweepMayDelete('new.png', now, cutoff, promises, now)).toBe(false);
    expect(sweepMayDelete(keepMarkerName('kept.pdf', (now + DAY) / 1000), old, cutoff, promises, now)).toBe(false);
    expect(sweepMayDelete(keepMarkerName('kept.pdf', (now - 1) / 1000), now, cutoff, promises, now)).toBe(true);
  });

  it('are honoured by the sweep', async () => {
    const root = mkdtempSync(join(tmpdir(), 'courier-keep-'));
    try {
      const day = join(root, 'pdf-report', '2026-01-01');
      mkdirSync(day, { recursive: true });
      for (const name of ['1.pdf', '1.thumbnail.png']) {
        writeFileSync(join(day, name), 'x');
        utimesSync(join(day, name), new Date(Date.now() - 8 * DAY), new Date(Date.now() - 8 * DAY));
      }
      await keepUntil(join(day, '1.pdf'), Math.floor((Date.now() + 30 * DAY) / 1000));
      await keepUntil(join(root, 'missing', 'x.png'), 1); // nothing there: nothing to keep, no error

      await sweepArtifacts({ root, ttlDays: 7 });
      expect(readdirSync(day).filter((n) => !n.startsWith('.'))).toEqual(['1.pdf']);

      await sweepArtifacts({ root, ttlDays: 7, now: new Date(Date.now() + 31 * DAY) });
      expect(readdirSync(join(root, 'pdf-report'))).toEqual([]);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
