// One table of formats (MIME type, extension) and one file-name rule, for
// every file courier writes, serves or attaches.
import { describe, expect, it } from 'vitest';
import { attachmentFileName, extensionOf, formatOfFileName, imageFormatOf, mimeOf, mimeOfFileName } from '../../src/artifacts/formats.js';

describe('formats', () => {
  it('gives each capture format its MIME type and extension, and back', () => {
    expect([mimeOf('png'), mimeOf('jpeg'), mimeOf('pdf')]).toEqual(['image/png', 'image/jpeg', 'application/pdf']);
    expect([extensionOf('png'), extensionOf('jpeg'), extensionOf('pdf')]).toEqual(['png', 'jpg', 'pdf']);
    expect([imageFormatOf('image/png'), imageFormatOf('image/jpeg')]).toEqual(['png', 'jpeg']);
  });

  it('reads a file name the way the HTTP server and `courier render --out` do', () => {
    expect(['a.PNG', 'a.jpg', 'a.jpeg', 'dir/a.b.pdf', 'a.gif', 'noextension'].map(formatOfFileName)).toEqual(['png', 'jpeg', 'jpeg', 'pdf', null, null]);
    expect(mimeOfFileName('screenshot/2026-11-20/42.teams.jpg')).toBe('image/jpeg');
    expect(mimeOfFileName('x.html')).toBeNull();
  });
});

describe('attachmentFileName', () => {
  it('keeps the title readable, without accents or anything unsafe', () => {
    expect(attachmentFileName('Ventes été / Q3 <x>', 'png')).toBe('Ventes-ete-Q3-x.png');
    expect(attachmentFileName('Weekly sales', 'pdf', 'report')).toBe('Weekly-sales.pdf');
    expect(attachmentFileName('Chiffres', 'jpeg')).toBe('Chiffres.jpg');
  });

  it('never names a hidden, option-like or empty file, nor a path', () => {
    expect(attachmentFileName('../../etc/passwd', 'pdf')).toBe('etcpasswd.pdf');
    expect(attachmentFileName('-rf', 'pdf')).toBe('rf.pdf');
    expect(attachmentFileName('///', 'pdf')).toBe('story.pdf');
    expect(attachmentFileName('***', 'pdf', 'report')).toBe('report.pdf');
    expect(attachmentFileName('x'.repeat(200), 'png')).toHaveLength(84);
  });
});
