// composeMessage: one wording for both channels, per kind, in the reader's language.
import { describe, expect, it } from 'vitest';
import { composeMessage, formatTime, type MessageInput } from '../../src/delivery/messages.js';

const at = new Date('2026-11-20T09:30:00Z');

function input(overrides: Partial<MessageInput>): MessageInput {
  return { kind: 'share', title: 'Sales by region', at, timezone: 'Europe/Paris', ...overrides };
}

const alert = { name: 'Churn', value: 142, operator: '>' as const, threshold: 100 };

describe('composeMessage', () => {
  it('words a share with who shared it, the comment and the link', () => {
    const message = composeMessage(
      input({ smallApp: 'Sales cockpit', sharedBy: 'Ada', comment: { author: 'Ada', text: 'East is ahead' }, link: 'https://toucan.example.com/s?slide=sales' }),
    );
    expect(message.subject).toBe('Ada shared “Sales by region” from Sales cockpit');
    expect(message.summary).toBe('Ada shared “Sales by region” with you.');
    expect(message.comment).toEqual({ author: 'Ada', text: 'East is ahead' });
    expect(message.action).toEqual({ label: 'Open in Toucan', url: 'https://toucan.example.com/s?slide=sales' });
    // The small app rides next to the title in every channel, never as a fact.
    expect(message.smallApp).toBe('Sales cockpit');
    expect(message.facts).toEqual([]);
    expect(message.note).toBeNull();
  });

  it('says "Someone" when nobody is named and has no action without a link', () => {
    const message = composeMessage(input({}));
    expect(message.subject).toBe('Someone shared “Sales by region”');
    expect(message.action).toBeNull();
    expect(message.smallApp).toBeNull();
  });

  it('lets a target override the subject and add a note', () => {
    const message = composeMessage(input({ sharedBy: 'Ada' }), { subject: 'Look at this', message: 'Before Monday please' });
    expect(message.subject).toBe('Look at this');
    expect(message.note).toBe('Before Monday please');
  });

  it('has a default subject for every kind', () => {
    expect(composeMessage(input({ kind: 'report', title: 'Weekly sales', pageTitles: ['A', 'B'] })).subject).toBe('Report: Weekly sales (20 Nov 2026)');
    expect(composeMessage(input({ kind: 'alert', alert })).subject).toBe('Alert: Churn is 142 (> 100)');
    expect(composeMessage(input({ kind: 'resolved', alert: { ...alert, value: 80 } })).subject).toBe('Resolved: Churn is back to 80');
    expect(composeMessage(input({ kind: 'alert-error', alert: { ...alert, value: null, error: 'HTTP 401' } })).subject).toBe('Alert “Churn” cannot be evaluated');
    expect(composeMessage(input({ kind: 'alert-recovered', alert })).subject).toBe('Alert “Churn” is evaluated again');
  });

  it('lists a report’s stories and an alert’s value, condition and time as facts', () => {
    const report = composeMessage(input({ kind: 'report', title: 'Weekly', pageTitles: ['Sales', 'Churn'] }));
    expect(report.summary).toBe('Your report “Weekly” is ready: 2 stories.');
    expect(report.facts).toContainEqual({ label: 'Stories', value: 'Sales · Churn' });
    const triggered = composeMessage(input({ kind: 'alert', alert: { ...alert, value: 1234.5 }, lang: 'en-GB' }));
    expect(triggered.summary).toBe('Churn is 1,234.5, above the threshold of 100.');
    expect(triggered.facts.map((f) => f.label)).toEqual(['Value', 'Condition', 'Time']);
  });

  it('formats time in the job’s time zone', () => {
    expect(formatTime(at, 'Europe/Paris', 'en-GB')).toBe('20 Nov 2026, 10:30 CET');
    expect(composeMessage(input({ timezone: 'UTC' })).time).toBe('20 Nov 2026, 09:30 UTC');
  });

  it('refuses an alert message without alert facts', () => {
    expect(() => composeMessage(input({ kind: 'alert' }))).toThrow(/needs alert facts/);
  });

  it('keeps people’s text as typed (escaping is the templates’ job)', () => {
    const message = composeMessage(input({ comment: { author: 'Eve', text: '<script>alert(1)</script>' } }));
    expect(message.comment?.text).toBe('<script>alert(1)</script>');
  });

  it('writes in the job’s language, and a target’s own lang wins for that target', () => {
    const share = input({ sharedBy: 'Camille', smallApp: 'Ventes', lang: 'fr-FR', link: 'https://t.example/s' });
    const french = composeMessage(share);
    expect(french.lang).toBe('fr-FR');
    expect(french.subject).toBe('Camille a partagé «\u00a0Sales by region\u00a0» depuis Ventes');
    expect(french.label).toBe('Partage');
    expect(french.action?.label).toBe('Ouvrir dans Toucan');
    expect(french.time).toBe('20 nov. 2026, 10:30 UTC+1');
    const german = composeMessage(share, { lang: 'de-DE' });
    expect(german.lang).toBe('de-DE');
    expect(german.summary).toBe('Camille hat „Sales by region“ mit Ihnen geteilt.');
  });

  it('words every kind in French, numbers and dates the French way', () => {
    const fr = (overrides: Partial<MessageInput>) => composeMessage(input({ lang: 'fr-FR', ...overrides }));
    const report = fr({ kind: 'report', title: 'Ventes', pageTitles: ['Par région', ''] });
    expect(report.subject).toBe('Rapport\u00a0: Ventes (20 nov. 2026)');
    expect(report.summary).toBe('Votre rapport «\u00a0Ventes\u00a0» est prêt\u00a0: 2 graphiques.');
    expect(report.facts[0]).toEqual({ label: 'Graphiques', value: 'Par région · Page 2' });
    const big = { name: 'Chiffre d’affaires', value: 1234.5, operator: '>=' as const, threshold: 1000 };
    expect(fr({ kind: 'alert', alert: big }).summary).toBe('Chiffre d’affaires est à 1\u202f234,5 et atteint ou dépasse le seuil de 1\u202f000.');
    expect(fr({ kind: 'alert', alert: big }).subject).toBe('Alerte\u00a0: Chiffre d’affaires à 1\u202f234,5 (>= 1\u202f000)');
    expect(fr({ kind: 'resolved', alert: { ...big, value: 80 } }).summary).toBe('Chiffre d’affaires est de nouveau à 80\u00a0: la condition >= 1\u202f000 n’est plus remplie.');
    const error = fr({ kind: 'alert-error', alert: { ...big, value: null, error: 'the backend answered HTTP 401' } });
    expect(error.subject).toBe('L’alerte «\u00a0Chiffre d’affaires\u00a0» ne peut pas être évaluée');
    // The operators' English diagnostic stays out of a French message.
    expect(JSON.stringify(error)).not.toContain('backend');
    expect(error.facts.map((f) => f.label)).toEqual(['Que faire', 'Date']);
    expect(composeMessage(input({ kind: 'alert-error', alert: { ...big, value: null, error: 'HTTP 401' } })).facts[0]).toEqual({ label: 'Error', value: 'HTTP 401' });
    // Why, in the reader's words, from the evaluation's reason.
    const why = (reason: NonNullable<MessageInput['alert']>['reason']) => fr({ kind: 'alert-error', alert: { ...big, value: null, error: 'x', reason } }).summary;
    expect(why({ kind: 'http', status: 401 })).toBe('L’alerte «\u00a0Chiffre d’affaires\u00a0» ne peut pas être évaluée\u00a0: le serveur de données a refusé l’accès (HTTP 401)\u00a0; le jeton d’accès de l’alerte a peut-être expiré.');
    expect(why({ kind: 'http', status: 502 })).toContain('a répondu par une erreur (HTTP 502).');
    expect(why({ kind: 'no-value' })).toContain('la réponse ne contenait pas le nombre attendu.');
    expect(why(undefined)).toContain('ses données n’ont pas pu être lues.');
  });

  it('says why the story is missing, in words and with the error code', () => {
    const alerting = input({ kind: 'alert', alert, lang: 'fr', imageProblem: 'SELECTOR_TIMEOUT' });
    expect(composeMessage(alerting).facts.at(-1)).toEqual({ label: 'Graphique', value: 'non joint\u00a0: il n’a pas fini de se charger à temps (SELECTOR_TIMEOUT)' });
    expect(composeMessage({ ...alerting, lang: 'en', imageProblem: 'capture failed' }).facts.at(-1)).toEqual({ label: 'Story', value: 'not attached: it could not be drawn' });
  });

  it('gives the image an alternative text: the description, else a sentence naming the story', () => {
    const image = { data: Buffer.alloc(1), mime: 'image/png' as const, width: 1, height: 1, artifactPath: null };
    expect(composeMessage(input({ image })).imageAlt).toBe('Chart: Sales by region');
    expect(composeMessage(input({ image, lang: 'fr-FR', story: { kind: 'bar' } })).imageAlt).toBe('Graphique en barres\u00a0: Sales by region');
    expect(composeMessage(input({ image, lang: 'de', story: { title: 'Umsatz', description: 'Umsatz je Region, Osten vorn' } })).imageAlt).toBe('Umsatz je Region, Osten vorn');
    expect(composeMessage(input({})).imageAlt).toBeNull();
  });

  it('writes a language it has no catalogue for in English, dates included', () => {
    const message = composeMessage(input({ lang: 'pt-BR', kind: 'report', title: 'Vendas', pageTitles: ['A'] }));
    expect(message.lang).toBe('en-GB');
    expect(message.subject).toBe('Report: Vendas (20 Nov 2026)');
  });
});
