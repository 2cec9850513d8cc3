// French readers end to end: jobs with lang fr-FR through Redis and the
// worker, real Chromium captures, email over real SMTP (parsed with
// mailparser) and cards through the Bot Connector stand-in. Each message a
// reader gets (share, report, alert, resolved, alert error) is checked for
// English: no phrase of the English catalogue anywhere a reader looks
// (subject, text part, HTML part and its alt text, every string of the card),
// with French dates and numbers. One share also has a German Teams target:
// its own lang wins, and Microsoft's Adaptive Cards library validates and
// renders the card.
import type { ParsedMail } from 'mailparser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AlertJobInput } from '../../src/contracts/alert.js';
import type { PostedConversation } from '../../src/demo/bot-connector.js';
import { JobFailedError } from '../../src/queue/producer.js';
import { renderCard, validateCard } from '../helpers/adaptive-cards.js';
import { englishIn } from '../helpers/catalogues.js';
import { pdfFile, pdfText } from '../helpers/pdf.js';
import { cardStrings, visibleText } from '../helpers/reader-text.js';
import { startWorld, type World } from '../helpers/world.js';
import { parse } from './email-fixtures.js';

let world: World;

/** A French date as Intl writes it: "20 nov. 2026". */
const FRENCH_DATE = /\b\d{1,2} (janv\.|févr\.|mars|avr\.|mai|juin|juil\.|août|sept\.|oct\.|nov\.|déc\.) \d{4}\b/;

const mailTo = async (address: string): Promise<ParsedMail> => {
  const received = world.smtp.messages.filter((m) => m.envelope.to.includes(address));
  expect(received, `one email to ${address}`).toHaveLength(1);
  return parse(received[0]!);
};

const postTo = (channelId: string): PostedConversation => {
  const posts = world.teams!.posts.filter((p) => p.params.channelData?.channel?.id === channelId);
  expect(posts, `one post in ${channelId}`).toHaveLength(1);
  return posts[0]!;
};

/** Everything a French reader of this email sees, checked for English; returns the visible text. */
function expectFrenchEmail(mail: ParsedMail): string {
  const html = String(mail.html);
  const seen = [mail.subject ?? '', mail.text ?? '', visibleText(html)].join('\n');
  expect(englishIn(seen, 'fr'), `English in “${mail.subject}”`).toEqual([]);
  expect(html).toMatch(/<html lang="fr-FR"/);
  expect(mail.headers.get('content-language')).toBe('fr-FR');
  return seen;
}

/** Everything a French reader of this card sees, checked for English; returns the card's text. */
function expectFrenchCard(post: PostedConversation): string {
  const card = post.card as Record<string, unknown>;
  const seen = [...cardStrings(card), post.activity.summary ?? ''].join('\n');
  expect(englishIn(seen, 'fr'), `English in the card “${post.activity.summary}”`).toEqual([]);
  expect(card.lang).toBe('fr');
  expect(post.activity.locale).toBe('fr-FR');
  expect(validateCard(card)).toEqual([]);
  return seen;
}

beforeAll(async () => {
  world = await startWorld({ name: 'i18n', teams: true });
});

afterAll(() => world?.close());

describe('a French reader gets French on every channel', () => {
  it('a share: French email and card; a German target of the same job gets German, validated by the Adaptive Cards library', async () => {
    const teams = world.teams!;
    const { result } = await world.producer.enqueueAndWait(
      'screenshot',
      {
        url: '/demo?slide=sales&export=true',
        title: 'Ventes par région',
        smallApp: 'Pilotage commercial',
        sharedBy: 'Camille Martin',
        comment: { author: 'Camille Martin', text: 'L’Est repasse devant ce trimestre.' },
        auth: { token: world.stack.token },
        lang: 'fr-FR',
        timezone: 'Europe/Paris',
        deliver: [
          { type: 'email', to: ['lea@corp.example.com'], message: 'À voir avant lundi.' },
          { type: 'teams', serviceUrl: teams.serviceUrl(), tenantId: 'tenant-1', channelId: '19:ventes-fr@thread.tacv2', message: 'À voir avant lundi.' },
          { type: 'teams', serviceUrl: teams.serviceUrl(), tenantId: 'tenant-1', channelId: '19:vertrieb-de@thread.tacv2', message: 'Bis Montag ansehen.', lang: 'de-DE' },
        ],
      },
      { timeoutMs: 120_000 },
    );
    expect(result.deliveries.map((d) => d.status)).toEqual(['sent', 'sent', 'sent']);

    const mail = await mailTo('lea@corp.example.com');
    const seen = expectFrenchEmail(mail);
    expect(mail.subject).toBe('Camille Martin a partagé «\u00a0Ventes par région\u00a0» depuis Pilotage commercial');
    expect(seen).toContain('Commentaire de Camille Martin');
    expect(seen).toMatch(FRENCH_DATE);
    expect(String(mail.html)).toContain('alt="Graphique\u00a0: Ventes par région"');

    const card = expectFrenchCard(postTo('19:ventes-fr@thread.tacv2'));
    expect(card).toContain('Ouvrir dans Toucan');
    expect(card).toContain('Message de Camille Martin');

    // The German target: its own lang wins over the job's.
    const german = postTo('19:vertrieb-de@thread.tacv2');
    const germanCard = german.card as Record<string, unknown>;
    expect(germanCard.lang).toBe('de');
    expect(validateCard(germanCard)).toEqual([]);
    expect(englishIn(cardStrings(germanCard).join('\n'), 'de')).toEqual([]);
    const rendered = await renderCard(germanCard);
    expect(rendered.lang).toBe('de');
    expect(rendered.text).toContain('Camille Martin hat „Ventes par région“ mit Ihnen geteilt.');
    expect(rendered.text).toContain('In Toucan öffnen');
    expect(rendered.html).toContain('alt="Diagramm: Ventes par région"');
    expect(rendered.text).toMatch(/\d{1,2}\. (Jan|Feb|März|Apr|Mai|Juni|Juli|Aug|Sept|Okt|Nov|Dez)\.? \d{4}/);
  });

  it('a report: French email with the PDF, whose own words are French too, and a French card', async () => {
    const teams = world.teams!;
    await world.producer.enqueueAndWait(
      'pdf-report',
      {
        title: 'Revue hebdomadaire',
        smallApp: 'Pilotage commercial',
        auth: { token: world.stack.token },
        lang: 'fr-FR',
        timezone: 'Europe/Paris',
        pages: [{ url: '/demo?slide=sales&export=true', title: 'Ventes par région' }, { url: '/demo?slide=sales&export=true' }],
        deliver: [
          { type: 'email', to: ['hugo@corp.example.com'] },
          { type: 'teams', serviceUrl: teams.serviceUrl(), tenantId: 'tenant-1', channelId: '19:revue-fr@thread.tacv2' },
        ],
      },
      { timeoutMs: 120_000 },
    );
    const mail = await mailTo('hugo@corp.example.com');
    const seen = expectFrenchEmail(mail);
    expect(mail.subject).toMatch(/^Rapport\u00a0: Revue hebdomadaire \(\d{1,2} \S+ \d{4}\)$/);
    expect(mail.subject).toMatch(FRENCH_DATE);
    expect(seen).toContain('est prêt\u00a0: 2 graphiques');
    // The untitled page is named in French, in the email and in the report.
    expect(seen).toContain('Ventes par région · Page 2');
    const pdf = mail.attachments.find((a) => a.contentType === 'application/pdf');
    const text = pdfText(pdfFile(pdf!.content, 'rapport'));
    expect(text).toContain('SOMMAIRE');
    expect(text).not.toMatch(/CONTENTS|Contents/);

    const card = expectFrenchCard(postTo('19:revue-fr@thread.tacv2'));
    expect(card).toContain('Ouvrir le rapport');
    expect(card).toMatch(/PDF · \d+ pages · /);
  });

  it('an alert, its resolution and its error: French emails and cards, French numbers', async () => {
    const teams = world.teams!;
    world.stack.setKpi('ca-du-jour', { value: 1234.5 });
    const job: AlertJobInput = {
      alertId: 'ca-du-jour',
      name: 'Chiffre d’affaires du jour',
      smallApp: 'Pilotage commercial',
      auth: { token: world.stack.token },
      lang: 'fr-FR',
      timezone: 'Europe/Paris',
      data: { url: '/kpi/ca-du-jour', valuePath: 'items.0.value' },
      condition: { operator: '>', threshold: 1000 },
      story: { url: '/demo?slide=revenue&export=true' },
      deliver: [
        { type: 'email', to: ['equipe@corp.example.com'] },
        { type: 'teams', serviceUrl: teams.serviceUrl(), tenantId: 'tenant-1', channelId: '19:alertes-fr@thread.tacv2' },
      ],
      onError: [
        { type: 'email', to: ['admin@corp.example.com'] },
        { type: 'teams', serviceUrl: teams.serviceUrl(), tenantId: 'tenant-1', channelId: '19:alertes-erreurs-fr@thread.tacv2' },
      ],
    };
    const evaluate = () => world.producer.enqueueAndWait('alert', job, { timeoutMs: 90_000, attempts: 1 });
    const channel = (id: string) => world.teams!.posts.filter((p) => p.params.channelData?.channel?.id === id);
    const mails = async (address: string) => Promise.all(world.smtp.messages.filter((m) => m.envelope.to.includes(address)).map(parse));

    // Triggered.
    expect((await evaluate()).result).toMatchObject({ state: 'triggered', notified: true });
    const [triggered] = await mails('equipe@corp.example.com');
    const seen = expectFrenchEmail(triggered!);
    expect(triggered!.subject).toBe('Alerte\u00a0: Chiffre d’affaires du jour à 1\u202f234,5 (> 1\u202f000)');
    expect(seen).toContain('Chiffre d’affaires du jour est à 1\u202f234,5, au-dessus du seuil de 1\u202f000.');
    expect(seen).toMatch(FRENCH_DATE);
    const [triggeredPost] = channel('19:alertes-fr@thread.tacv2');
    expect(expectFrenchCard(triggeredPost!)).toContain('Valeur');

    // Resolved.
    world.stack.setKpi('ca-du-jour', { value: 812 });
    expect((await evaluate()).result).toMatchObject({ state: 'ok', notified: true });
    const resolved = (await mails('equipe@corp.example.com'))[1];
    expectFrenchEmail(resolved!);
    expect(resolved!.subject).toBe('Retour à la normale\u00a0: Chiffre d’affaires du jour est de nouveau à 812');
    expectFrenchCard(channel('19:alertes-fr@thread.tacv2')[1]!);

    // Cannot be evaluated: the onError targets are told, in French, without the operators' English diagnostic.
    world.stack.setKpi('ca-du-jour', { value: 0, status: 500 });
    await expect(evaluate()).rejects.toBeInstanceOf(JobFailedError);
    const [error] = await mails('admin@corp.example.com');
    const errorText = expectFrenchEmail(error!);
    expect(error!.subject).toBe('L’alerte «\u00a0Chiffre d’affaires du jour\u00a0» ne peut pas être évaluée');
    // Why, in French (the reason waited in the outbox with the message); the operators' English diagnostic stays out.
    expect(errorText).toContain('ne peut pas être évaluée\u00a0: le serveur de données a répondu par une erreur (HTTP 500).');
    expect(errorText).toContain('Que faire');
    expect(errorText).not.toContain('backend');
    expectFrenchCard(channel('19:alertes-erreurs-fr@thread.tacv2')[0]!);
  });
});
