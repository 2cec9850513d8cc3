// Email layout: the channel-neutral Message (messages.ts) plus how each binary
// part travels (inline, attached or as a signed link) becomes a view, and
// the Handlebars templates in templates/email/ turn the view into the HTML
// and plain-text parts. Pure apart from reading the template files once.
//
// Words: the message's own (subject, summary, facts) come translated; the
// few words of the layout ("Download the PDF") are placed by the templates
// themselves with the `t` helper, `{{t "email.downloadPdf"}}`, from the
// catalogue of the view's `lang`, so the template stays the one place that
// says where each word goes. A helper's result is escaped like any value.
//
// Escaping: the HTML template is compiled with Handlebars' default escaping,
// so `{{comment.text}}` can never inject markup; the only helper that emits
// markup (`multiline`) escapes each line with Handlebars' own escaper before
// joining them with <br>. The text template is compiled with noEscape: a
// text/plain part is never interpreted as HTML, and escaping would show
// "&lt;" to readers.
import { readFileSync } from 'node:fs';
import Handlebars from 'handlebars';
import { formatBytes, formatDuration } from '../i18n/format.js';
import type { MessageKey } from '../i18n/catalogue.js';
import { translator, type MessageValues } from '../i18n/translate.js';
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
export interface EmailView extends Pick<Message, 'lang' | 'subject' | 'title' | 'smallApp' | 'summary' | 'sharedBy' | 'comment' | 'note' | 'facts' | 'action' | 'time'> {
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
  const { t, tag } = translator(message.lang);
  const validity = formatDuration(parts.linkTtlSeconds, t);
  const actionUrl = message.action ? safeHref(message.action.url) : null;

  let image: EmailView['image'] = null;
  let imageLink: EmailView['imageLink'] = null;
  if (message.image && parts.image) {
    if (parts.image.how === 'link') {
      imageLink = { url: parts.image.url, size: formatBytes(message.image.data.length, tag), validity };
    } else {
      const width = Math.min(MAX_IMAGE_DISPLAY_WIDTH, message.image.width);
      const height = Math.round((message.image.height * width) / Math.max(1, message.image.width));
      image = { cid: parts.imageCid, width, height, alt: message.imageAlt ?? message.title };
    }
  }

  let document: EmailView['document'] = null;
  if (message.document && parts.document) {
    const { pages, filename, data } = message.document;
    document = {
      filename,
      pages: t('document.pages', { count: pages }),
      size: formatBytes(data.length, tag),
      link: parts.document.how === 'link' ? parts.document.url : null,
      validity,
    };
  }

  return {
    lang: message.lang,
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
  // {{t "key" name=value}}: the key's message in the view's language (@root.lang).
  handlebars.registerHelper('t', (key: unknown, options: { hash?: MessageValues; data?: { root?: { lang?: unknown } } }) => {
    const lang = options.data?.root?.lang;
    return translator(typeof lang === 'string' ? lang : undefined).t(key as MessageKey, options.hash ?? {});
  });
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
