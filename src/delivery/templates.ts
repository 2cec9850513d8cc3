// Email layout: the channel-neutral Message (messages.ts) plus how each binary
// part travels (inline, attached or as a signed link) becomes a view, and
// the Handlebars templates in templates/email/ turn the view into the HTML
// and plain-text parts. Pure apart from reading the template files once.
//
// Escaping: the HTML template is compiled with Handlebars' default escaping,
// so `{{comment.text}}` can never inject markup; the only helper that emits
// markup (`multiline`) escapes each line with Handlebars' own escaper before
// joining them with <br>. The text template is compiled with noEscape: a
// text/plain part is never interpreted as HTML, and escaping would show
// "&lt;" to readers.
import { readFileSync } from 'node:fs';
import Handlebars from 'handlebars';
import { fromRoot } from '../paths.js';
import type { Message, MessageKind } from './messages.js';

/** How one binary part (the story image or the document) reaches the reader. */
export type PartDelivery =
  | { how: 'inline' | 'attached'; bytes: number }
  | { how: 'link'; bytes: number; url: string };

export interface EmailParts {
  image: PartDelivery | null;
  document: PartDelivery | null;
  /** Content-ID of the inline image (without the angle brackets). */
  imageCid: string;
  /** How long signed links stay valid, for the sentence under a link. */
  linkTtlSeconds: number;
}

/** The Message's own words as they are (escaped by the templates), plus what only email shows. */
export interface EmailView extends Pick<Message, 'subject' | 'title' | 'smallApp' | 'summary' | 'sharedBy' | 'comment' | 'note' | 'facts' | 'action' | 'time'> {
  kindLabel: string;
  accent: string;
  image: { cid: string; width: number; height: number; alt: string } | null;
  imageLink: { url: string; size: string; validity: string } | null;
  document: { filename: string; pages: string; size: string; link: string | null; validity: string } | null;
}

export interface RenderedEmail {
  html: string;
  text: string;
}

export interface EmailTemplates {
  render(view: EmailView): RenderedEmail;
}

/** The widest the image is shown: the 600 px card minus its side padding. */
export const MAX_IMAGE_DISPLAY_WIDTH = 536;

/** The email's colour by kind (the words come from messages.ts). */
const KIND_ACCENT: Record<MessageKind, string> = {
  share: '#2563eb',
  report: '#2563eb',
  alert: '#e5484d',
  resolved: '#30a46c',
  'alert-error': '#d97706',
  'alert-recovered': '#30a46c',
};

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(0)} KB`;
  return `${(bytes / (1024 * 1024)).toFixed(1)} MB`;
}

export function formatDuration(seconds: number): string {
  const days = seconds / 86400;
  if (days >= 1 && Number.isInteger(days)) return days === 1 ? '1 day' : `${days} days`;
  const hours = Math.round(seconds / 3600);
  if (hours >= 1) return hours === 1 ? '1 hour' : `${hours} hours`;
  return `${Math.max(1, Math.round(seconds / 60))} minutes`;
}

/** Only http(s) URLs become links; anything else would be a script or file link in someone's mail client. */
function safeHref(url: string): string | null {
  try {
    const { protocol } = new URL(url);
    return protocol === 'http:' || protocol === 'https:' ? url : null;
  } catch {
    return null;
  }
}

/** Plain data for the templates: what to show, already decided. Pure. */
export function emailView(message: Message, parts: EmailParts): EmailView {
  const validity = formatDuration(parts.linkTtlSeconds);
  const actionUrl = message.action ? safeHref(message.action.url) : null;

  let image: EmailView['image'] = null;
  let imageLink: EmailView['imageLink'] = null;
  if (message.image && parts.image) {
    if (parts.image.how === 'link') {
      imageLink = { url: parts.image.url, size: formatBytes(message.image.data.length), validity };
    } else {
      const width = Math.min(MAX_IMAGE_DISPLAY_WIDTH, message.image.width);
      const height = Math.round((message.image.height * width) / Math.max(1, message.image.width));
      image = { cid: parts.imageCid, width, height, alt: message.title };
    }
  }

  let document: EmailView['document'] = null;
  if (message.document && parts.document) {
    const { pages, filename, data } = message.document;
    document = {
      filename,
      pages: pages === 1 ? '1 page' : `${pages} pages`,
      size: formatBytes(data.length),
      link: parts.document.how === 'link' ? parts.document.url : null,
      validity,
    };
  }

  return {
    subject: message.subject,
    kindLabel: message.label,
    accent: KIND_ACCENT[message.kind],
    title: message.title,
    smallApp: message.smallApp,
    summary: message.summary,
    sharedBy: message.sharedBy,
    comment: message.comment,
    note: message.note,
    facts: message.facts,
    action: message.action && actionUrl ? { label: message.action.label, url: actionUrl } : null,
    time: message.time,
    image,
    imageLink,
    document,
  };
}

/** Reads and compiles templates/email/message.html and message.txt (once per sender). */
export function loadEmailTemplates(dir = fromRoot('templates', 'email')): EmailTemplates {
  const handlebars = Handlebars.create();
  const asText = (value: unknown): string => (typeof value === 'string' ? value : '');
  handlebars.registerHelper('multiline', (text: unknown) => {
    const lines = asText(text).split(/\r\n|\r|\n/);
    return new handlebars.SafeString(lines.map((line) => handlebars.escapeExpression(line)).join('<br>'));
  });
  handlebars.registerHelper('indent', (text: unknown) =>
    asText(text)
      .split(/\r\n|\r|\n/)
      .map((line) => `  ${line}`)
      .join('\n'),
  );
  const read = (name: string) => readFileSync(`${dir}/${name}`, 'utf8');
  const html = handlebars.compile<EmailView>(read('message.html'), { strict: false });
  const text = handlebars.compile<EmailView>(read('message.txt'), { noEscape: true });
  return {
    render(view) {
      return {
        html: html(view),
        // Handlebars leaves the blank lines of skipped sections; readers get at most one.
        text: `${text(view).replace(/\n{3,}/g, '\n\n').trim()}\n`,
      };
    },
  };
}
