// Every part of the email templates and the Teams card, in every language:
// the layout's own words come from the reader's catalogue (no English left
// in the others), the language is declared (<html lang>, the card's lang),
// and the card stays valid for Microsoft's Adaptive Cards library.
import { describe, expect, it } from 'vitest';
import { buildCard } from '../../src/delivery/cards.js';
import { composeMessage, type MessageInput } from '../../src/delivery/messages.js';
import { emailView, loadEmailTemplates, type EmailParts } from '../../src/delivery/templates.js';
import { LANGUAGES } from '../../src/i18n/catalogue.js';
import { validateCard } from '../helpers/adaptive-cards.js';
import { englishIn } from '../helpers/catalogues.js';
import { cardStrings, visibleText } from '../helpers/reader-text.js';

const at = new Date('2026-11-20T09:30:00Z');
const image = { data: Buffer.alloc(3000, 1), mime: 'image/png' as const, width: 1280, height: 618, artifactPath: 'screenshot/d/1.png' };
const document = { data: Buffer.alloc(3 * 1024 * 1024, 2), mime: 'application/pdf' as const, filename: 'ventes.pdf', pages: 3, artifactPath: 'pdf-report/d/2.pdf' };

/** A message with every section a template has, in the reader's language; the people's words are neutral names. */
function everything(lang: string, overrides: Partial<MessageInput> = {}) {
  return composeMessage(
    {
      kind: 'share',
      title: 'Q3',
      smallApp: 'Toucan',
      sharedBy: 'Camille',
      comment: { author: 'Camille', text: '+12 %' },
      image,
      link: 'https://toucan.example.com/s',
      at,
      timezone: 'Europe/Paris',
      lang,
      ...overrides,
    },
    { message: '→ Q4' },
  );
}

const templates = loadEmailTemplates();
const linked: EmailParts = { image: { how: 'link', bytes: 3000, url: 'https://c.example/i' }, document: { how: 'link', bytes: document.data.length, url: 'https://c.example/d' }, imageCid: 'story-image@courier', linkTtlSeconds: 7 * 86400 };
const inline: EmailParts = { image: { how: 'inline', bytes: 3000 }, document: { how: 'attached', bytes: document.data.length }, imageCid: 'story-image@courier', linkTtlSeconds: 3600 };

describe('email templates in every language', () => {
  for (const lang of LANGUAGES) {
    it(`${lang}: every section in ${lang}, declared as ${lang}`, () => {
      for (const parts of [linked, inline]) {
        for (const message of [everything(lang), everything(lang, { kind: 'report', document, pageTitles: ['Q3', ''] })]) {
          const { html, text } = templates.render(emailView(message, parts));
          expect(html).toContain(`<html lang="${lang}"`);
          if (lang !== 'en') {
            expect(englishIn(visibleText(html), lang), `${lang} html`).toEqual([]);
            expect(englishIn(text, lang), `${lang} text`).toEqual([]);
            expect(englishIn(message.subject, lang)).toEqual([]);
          }
        }
      }
    });
  }

  it('writes French sizes, durations and alternative text the French way', () => {
    const view = emailView(everything('fr-FR', { document }), linked);
    expect(view.document).toMatchObject({ pages: '3 pages', size: '3\u202fMo', validity: '7 jours' });
    const { html, text } = templates.render(emailView(everything('fr-FR'), inline));
    expect(html).toContain('alt="Graphique\u00a0: Q3"');
    expect(html).toContain('Commentaire de Camille');
    expect(html).toContain('Ou copiez ce lien\u00a0:');
    expect(text).toContain('L’image du graphique s’affiche dans la version HTML de ce message.');
    // People's words placed inside a catalogue message are escaped like any value.
    const nasty = templates.render(emailView(everything('fr-FR', { sharedBy: '<b>Ève</b>', comment: { author: '<i>Ève</i>', text: 'x' } }), inline));
    expect(nasty.html).toContain('Message de &lt;b&gt;Ève&lt;/b&gt;');
    expect(nasty.html).toContain('Commentaire de &lt;i&gt;Ève&lt;/i&gt;');
    expect(nasty.html).not.toMatch(/<[bi]>Ève/);
    expect(nasty.text).toContain('Commentaire de <i>Ève</i>\u00a0:');
    const english = templates.render(emailView(everything('en'), inline));
    expect(english.html).toContain('alt="Chart: Q3"');
    expect(english.html).toContain('Camille commented');
  });
});

describe('Teams cards in every language', () => {
  for (const lang of LANGUAGES) {
    it(`${lang}: the card is valid, says it is ${lang}, and its words are ${lang}`, () => {
      for (const message of [everything(lang), everything(lang, { kind: 'report', document, pageTitles: ['Q3'] })]) {
        const card = buildCard(message, { url: 'data:image/png;base64,iVBORw0KGgo=' });
        expect(card.lang).toBe(lang);
        expect(validateCard(card)).toEqual([]);
        if (lang !== 'en') expect(englishIn(cardStrings(card).join('\n'), lang)).toEqual([]);
      }
    });
  }

  it('takes the image’s alternative text from the message', () => {
    const card = buildCard(everything('de-DE', { story: { kind: 'line' } }), { url: 'data:image/png;base64,iVBORw0KGgo=' });
    expect(JSON.stringify(card)).toContain('"altText":"Liniendiagramm: Q3"');
    expect(card.lang).toBe('de');
  });
});
