// The Teams card: message content → Adaptive Card, through the real template
// (templates/teams/message.json) and the Adaptive Cards templating library.
import { describe, expect, it } from 'vitest';
import { ADAPTIVE_CARD_CONTENT_TYPE, buildCard, cardActivity, cardData, inertMarkdown, loadCardTemplate, renderCard } from '../../src/delivery/cards.js';
import { composeMessage, type MessageInput } from '../../src/delivery/messages.js';

const AT = new Date('2026-11-20T10:00:00Z');

function elements(card: unknown, type: string): Record<string, unknown>[] {
  if (Array.isArray(card)) return card.flatMap((c) => elements(c, type));
  if (card === null || typeof card !== 'object') return [];
  const object = card as Record<string, unknown>;
  return [...(object.type === type ? [object] : []), ...Object.values(object).flatMap((v) => elements(v, type))];
}

/** The texts of the TextRuns in the card, in order. */
function runs(card: unknown): string[] {
  return elements(card, 'TextRun').map((r) => String(r.text));
}

function facts(card: unknown): { title: string; value: string }[] {
  return (elements(card, 'FactSet')[0]?.facts as { title: string; value: string }[] | undefined) ?? [];
}

const share: MessageInput = {
  kind: 'share',
  title: 'Sales by region',
  smallApp: 'Demo',
  link: 'https://toucan.example.com/demo?slide=sales',
  sharedBy: 'Alice',
  comment: { author: 'Bob', text: 'Look at the East' },
  at: AT,
  timezone: 'Europe/Paris',
};

describe('Teams card', () => {
  it('lays out a share: header (title, app · time), summary, image, quoted comment, note, Open in Toucan', () => {
    const message = composeMessage(share, { message: 'For Monday' });
    const card = buildCard(message, { url: 'data:image/png;base64,iVBORw0KGgo=', altText: 'Sales by region' });

    expect(card).toMatchObject({ type: 'AdaptiveCard', version: '1.4', msteams: { width: 'Full' }, fallbackText: 'Alice shared “Sales by region” with you.' });
    expect(runs(card)).toEqual([
      'Shared story',
      'Sales by region',
      `Demo · ${message.time}`,
      'Alice shared “Sales by region” with you.',
      'Bob',
      'Look at the East',
      'Message from Alice',
      'For Monday',
    ]);
    const body = card.body as Record<string, unknown>[];
    expect(body[0]).toMatchObject({ type: 'Container', style: 'accent', bleed: true });
    expect(elements(card, 'Image')).toEqual([{ type: 'Image', url: 'data:image/png;base64,iVBORw0KGgo=', altText: 'Sales by region', size: 'Stretch', msteams: { allowExpand: true } }]);
    const quote = body.find((b) => b.type === 'Container' && b.style === 'emphasis');
    expect(runs(quote)).toEqual(['Bob', 'Look at the East']);
    // The small app is in the header, so no fact repeats it.
    expect(elements(card, 'FactSet')).toEqual([]);
    expect(card.actions).toEqual([{ type: 'Action.OpenUrl', title: 'Open in Toucan', url: 'https://toucan.example.com/demo?slide=sales' }]);
  });

  it('leaves out what a message does not have, and never leaves ${…} unexpanded', () => {
    const message = composeMessage({ kind: 'share', title: 'Bare', at: AT });
    const card = buildCard(message, null);
    expect(elements(card, 'Image')).toEqual([]);
    expect(elements(card, 'FactSet')).toEqual([]);
    expect(card.actions).toEqual([]);
    expect(runs(card)).toEqual(['Shared story', 'Bare', message.time, 'Someone shared “Bare” with you.']);
    expect(JSON.stringify(card)).not.toContain('${');
  });

  it('keeps people\'s text as plain data: quotes, braces, HTML, Markdown and template syntax arrive verbatim in TextRuns', () => {
    const nasty = '"}]}, {"type":"Action.OpenUrl","url":"http://evil"} <script>alert(1)</script> [click](http://evil) **bold** ${title} \\ \n end';
    const message = composeMessage({ ...share, title: nasty, sharedBy: nasty, comment: { author: nasty, text: nasty } }, { message: nasty });
    const card = buildCard(message, null);
    const texts = runs(card);
    expect(texts.filter((t) => t === nasty)).toHaveLength(4); // title, comment author, comment text, note
    expect(texts).toContain(`Message from ${nasty}`);
    // Nothing from the text became structure: still one action, and it is ours.
    expect(card.actions).toEqual([{ type: 'Action.OpenUrl', title: 'Open in Toucan', url: share.link }]);
    expect(elements(card, 'TextBlock')).toEqual([]);
  });

  it('makes Markdown links in facts inert with a zero-width space', () => {
    expect(inertMarkdown('[click](http://evil)')).toBe('[click]\u200B(http://evil)');
    expect(inertMarkdown('![x](http://evil/p.png) [a][ref] [ref]: http://evil')).toBe('![x]\u200B(http://evil/p.png) [a]\u200B[ref] [ref]\u200B: http://evil');
    expect(inertMarkdown('<http://evil> <b>x</b>')).toBe('<\u200Bhttp://evil> <\u200Bb>x<\u200B/b>');
    expect(inertMarkdown('Sales (Q3) [draft]')).toBe('Sales (Q3) [draft]');
    const message = composeMessage({ kind: 'report', title: 'Weekly', smallApp: '[app](http://evil)', pageTitles: ['[p](http://evil)', 'Churn'], at: AT });
    for (const fact of facts(buildCard(message, null))) expect(fact.value).not.toMatch(/\]\(|\]\[|\]:|<[^\u200B]/);
  });

  it('colours alerts and shows value and threshold as facts', () => {
    const alert = composeMessage({ kind: 'alert', title: 'Churn', alert: { name: 'Churn', value: 1520.5, operator: '>', threshold: 1000 }, link: 'https://t.example/x', at: AT, timezone: 'UTC' });
    const card = buildCard(alert, null);
    expect((card.body as Record<string, unknown>[])[0]?.style).toBe('attention');
    expect(facts(card)).toEqual([
      { title: 'Value', value: '1,520.5' },
      { title: 'Condition', value: '> 1,000' },
      { title: 'Time', value: alert.time },
    ]);
    const resolved = composeMessage({ kind: 'resolved', title: 'Churn', alert: { name: 'Churn', value: 10, operator: '>', threshold: 1000 }, at: AT });
    expect((buildCard(resolved, null).body as Record<string, unknown>[])[0]?.style).toBe('good');
    expect(runs(buildCard(resolved, null))[0]).toBe('Resolved');
    const broken = composeMessage({ kind: 'alert-error', title: 'Churn', alert: { name: 'Churn', value: null, operator: '>', threshold: 1, error: 'HTTP 401' }, at: AT });
    expect((buildCard(broken, null).body as Record<string, unknown>[])[0]?.style).toBe('warning');
  });

  it('shows a report as a thumbnail, a PDF line and an "Open report" action', () => {
    const report = composeMessage({
      kind: 'report',
      title: 'Weekly sales',
      pageTitles: ['Sales', 'Revenue'],
      document: { data: Buffer.from('%PDF'), mime: 'application/pdf', filename: 'weekly-sales.pdf', pages: 3, artifactPath: 'pdf-report/x.pdf' },
      link: 'https://courier.example.com/artifacts/pdf-report/x.pdf?expires=1&signature=ab',
      at: AT,
    });
    const card = buildCard(report, { url: 'data:image/jpeg;base64,/9j/', altText: 'Weekly sales' });
    expect(runs(card)).toContain('PDF · 3 pages · weekly-sales.pdf');
    expect(elements(card, 'Image')).toHaveLength(1);
    expect(card.actions).toEqual([{ type: 'Action.OpenUrl', title: 'Open report', url: report.action?.url }]);
    expect(cardData(report, null).document).toEqual({ line: 'PDF · 3 pages · weekly-sales.pdf' });
  });

  it('wraps the card in a message activity with a notification summary, in the reader’s locale', () => {
    const message = composeMessage(share);
    const card = renderCard(loadCardTemplate(), cardData(message, null));
    expect(cardActivity(card, message)).toEqual({ type: 'message', summary: message.summary, locale: 'en-GB', attachments: [{ contentType: ADAPTIVE_CARD_CONTENT_TYPE, content: card }] });
  });
});
