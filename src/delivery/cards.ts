// Message content (messages.ts) → the Adaptive Card posted to Teams. The
// layout lives in templates/teams/message.json and is filled by the Adaptive
// Cards templating library from plain JSON data, so people's text is a JSON
// value, never spliced into JSON text.
//
// Markdown: Teams renders a subset of Markdown in TextBlock and in FactSet
// titles and values, so a comment such as "[click](http://evil)" would become
// a disguised link there. The template therefore places everything people
// typed (title, summary, names, comment, note) in RichTextBlock/TextRun
// elements, which the Adaptive Cards schema renders as plain text (TextRun does
// not support Markdown). FactSet values can carry people's text too (small app
// name, story titles, an alert's error): inertMarkdown() breaks the link and
// HTML syntax there with an invisible zero-width space, so the words stay
// readable but can never form a link. Emphasis (*x*) is left alone: it can
// only change how a fact looks, not where a click goes.
//
// Words: the message's come translated (messages.ts); the card's own few
// (the note's label, the document line) from the catalogue of the message's
// language, which the card also names in its `lang`.
//
// Pure apart from reading the template file once.
import { readFileSync } from 'node:fs';
import { Template } from 'adaptivecards-templating';
import { translator } from '../i18n/translate.js';
import { fromRoot } from '../paths.js';
import type { Message, MessageKind } from './messages.js';

export const ADAPTIVE_CARD_CONTENT_TYPE = 'application/vnd.microsoft.card.adaptive';

/** The image as the card shows it: a data: URI or an https link. */
export interface CardImage {
  url: string;
  altText: string;
}

/** The data the card template is filled with; every field is present so no `${…}` is left unexpanded. */
export interface CardData {
  /** The card's language: the primary subtag (the Adaptive Cards schema takes an ISO 639 code, not a region). */
  lang: string;
  accent: 'accent' | 'attention' | 'good' | 'warning';
  /** The kind in words ("Resolved"), above the title. */
  kindLabel: string;
  title: string;
  subtitle: string;
  summary: string;
  fallbackText: string;
  image: CardImage | null;
  comment: { author: string; text: string } | null;
  note: { label: string; text: string } | null;
  document: { line: string } | null;
  facts: { title: string; value: string }[];
  action: { title: string; url: string } | null;
}

export type AdaptiveCard = Record<string, unknown>;

export interface CardActivity {
  type: 'message';
  /** What Teams shows in notifications and the activity feed for a card. */
  summary: string;
  /** The activity's language (Bot Framework `locale`, BCP 47): the reader's, as the card's `lang`. */
  locale: string;
  attachments: { contentType: typeof ADAPTIVE_CARD_CONTENT_TYPE; content: AdaptiveCard }[];
}

/** Header colour by kind: alerts stand out, resolutions look calm. */
const ACCENT: Record<MessageKind, CardData['accent']> = {
  share: 'accent',
  report: 'accent',
  alert: 'attention',
  resolved: 'good',
  'alert-error': 'warning',
  'alert-recovered': 'good',
};

const ZERO_WIDTH_SPACE = '\u200B';

/**
 * Makes text inert for Teams' Markdown: "](", "][" and "]:" (inline links,
 * reference links, link definitions) and "<" (autolinks, HTML) get a
 * zero-width space in between, so no parser sees a link. Visible text is unchanged.
 */
export function inertMarkdown(text: string): string {
  return text.replace(/\]([([:])/g, `]${ZERO_WIDTH_SPACE}$1`).replace(/</g, `<${ZERO_WIDTH_SPACE}`);
}

/** The primary language subtag of a BCP 47 tag (fr-FR → fr). */
export function cardLang(tag: string): string {
  return tag.split('-')[0]?.toLowerCase() || 'en';
}

export function cardData(message: Message, image: CardImage | null): CardData {
  const { t } = translator(message.lang);
  const subtitle = [message.smallApp, message.time].filter((part): part is string => typeof part === 'string' && part.length > 0).join(' · ');
  const document = message.document ? { line: t('document.line', { pages: message.document.pages, filename: message.document.filename }) } : null;
  return {
    lang: cardLang(message.lang),
    accent: ACCENT[message.kind],
    kindLabel: message.label,
    title: message.title,
    subtitle,
    summary: message.summary,
    fallbackText: message.summary,
    image,
    comment: message.comment ? { author: message.comment.author, text: message.comment.text } : null,
    note: message.note ? { label: message.sharedBy ? t('note.from', { name: message.sharedBy }) : t('note.label'), text: message.note } : null,
    document,
    facts: message.facts.map((f) => ({ title: inertMarkdown(f.label), value: inertMarkdown(f.value) })),
    action: message.action ? { title: message.action.label, url: message.action.url } : null,
  };
}

/** Fills a card template with data (the templating library does the JSON work). */
export function renderCard(template: object, data: CardData): AdaptiveCard {
  const expanded: unknown = new Template(template).expand({ $root: data });
  if (expanded === null || typeof expanded !== 'object' || (expanded as { type?: unknown }).type !== 'AdaptiveCard') {
    throw new Error('the Teams card template did not expand to an AdaptiveCard');
  }
  return expanded as AdaptiveCard;
}

const templates = new Map<string, object>();

/** Reads templates/teams/<name>.json once. */
export function loadCardTemplate(name = 'message'): object {
  let template = templates.get(name);
  if (!template) {
    template = JSON.parse(readFileSync(fromRoot('templates', 'teams', `${name}.json`), 'utf8')) as object;
    templates.set(name, template);
  }
  return template;
}

/**
 * The card for a message. `image` is how the picture travels (card-image.ts);
 * its alternative text is the message's (alt-text.ts) unless given.
 */
export function buildCard(message: Message, image: { url: string; altText?: string } | null, template: object = loadCardTemplate()): AdaptiveCard {
  return renderCard(template, cardData(message, image && { url: image.url, altText: image.altText ?? message.imageAlt ?? message.title }));
}

/** The message activity that carries the card. */
export function cardActivity(card: AdaptiveCard, message: Message): CardActivity {
  return { type: 'message', summary: message.summary, locale: message.lang, attachments: [{ contentType: ADAPTIVE_CARD_CONTENT_TYPE, content: card }] };
}
