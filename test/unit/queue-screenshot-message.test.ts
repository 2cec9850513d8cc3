// The share message a screenshot job hands to delivery (pure): link without
// export=true, an image part for PNG/JPEG, a document part for PDF.
import { describe, expect, it } from 'vitest';
import type { Capture } from '../../src/browser/types.js';
import { validateJob } from '../../src/contracts/index.js';
import { shareMessage } from '../../src/processors/screenshot.js';

const url = new URL('https://toucan.example.com/demo?slide=sales&export=true');
const at = new Date('2026-11-20T08:00:00Z');
const capture = (format: Capture['format']): Capture => ({
  format,
  mime: format === 'pdf' ? 'application/pdf' : `image/${format}`,
  data: Buffer.from('x'),
  width: 1280,
  height: 618,
  pages: format === 'pdf' ? 2 : null,
});

describe('shareMessage', () => {
  it('builds a share with an image, the people-facing link, comment and sender', () => {
    const job = validateJob('screenshot', { url: '/demo?slide=sales&export=true', title: 'Sales', smallApp: 'Dash', sharedBy: 'Camille', comment: { author: 'Camille', text: 'Look' }, lang: 'fr-FR', timezone: 'Europe/Paris' });
    const input = shareMessage(job, url, capture('png'), 'screenshot/2026-11-20/1.png', at);
    expect(input).toMatchObject({
      kind: 'share',
      title: 'Sales',
      smallApp: 'Dash',
      link: 'https://toucan.example.com/demo?slide=sales',
      sharedBy: 'Camille',
      comment: { author: 'Camille', text: 'Look' },
      lang: 'fr-FR',
      timezone: 'Europe/Paris',
      image: { mime: 'image/png', width: 1280, height: 618, artifactPath: 'screenshot/2026-11-20/1.png' },
    });
    expect(input.document).toBeUndefined();
  });

  it('keeps the job link when given, and falls back to a title', () => {
    const job = validateJob('screenshot', { url: '/demo', link: 'https://toucan.example.com/app/sales' });
    const input = shareMessage(job, url, capture('jpeg'), 'p.jpg', at);
    expect(input.link).toBe('https://toucan.example.com/app/sales');
    expect(input.title).toBe('Toucan story');
    expect(input.image?.mime).toBe('image/jpeg');
  });

  it('attaches a PDF as a document named after the title', () => {
    const job = validateJob('screenshot', { url: '/demo', title: 'Ventes été / 2026', format: 'pdf' });
    const input = shareMessage(job, url, capture('pdf'), 'p.pdf', at);
    expect(input.image).toBeUndefined();
    expect(input.document).toMatchObject({ mime: 'application/pdf', filename: 'Ventes-ete-2026.pdf', pages: 2, artifactPath: 'p.pdf' });
  });
});

