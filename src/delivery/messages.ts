// One place that turns what happened (a share, a report, an alert) into the
// content of a message, so email and Teams say the same thing, in the
// reader's language. Pure: plain data in, plain data out. Every word comes
// from the message catalogues (src/i18n/catalogues/), through ICU
// MessageFormat; channels only lay this content out (email templates,
// Adaptive Card templates) and take the few words of their layout from the
// same catalogue, in the language named by `Message.lang`.
//
// Strings here are plain text typed by people or built from their input;
// escaping is the job of the template engines that place them into HTML or
// a card, never of this file.
import type { Operator } from '../contracts/alert.js';
import { altText, type PicturedStory } from '../i18n/alt-text.js';
import type { MessageKey } from '../i18n/catalogue.js';
import { formatDate, formatNumber, formatTime } from '../i18n/format.js';
import { translator, type Translator } from '../i18n/translate.js';

export { formatNumber, formatTime } from '../i18n/format.js';

export type MessageKind = 'share' | 'report' | 'alert' | 'resolved' | 'alert-error' | 'alert-recovered';

/** The catalogue key of each kind's label, shown above the title in every channel. */
export const KIND_LABEL: Record<MessageKind, MessageKey> = {
  share: 'kind.share',
  report: 'kind.report',
  alert: 'kind.alert',
  resolved: 'kind.resolved',
  'alert-error': 'kind.alertError',
  'alert-recovered': 'kind.alertRecovered',
};

export interface ImagePart {
  data: Buffer;
  mime: 'image/png' | 'image/jpeg';
  width: number;
  height: number;
  /** Artifact path under ARTIFACTS_DIR, for a signed link when the image cannot travel inline. */
  artifactPath: string | null;
}

export interface DocumentPart {
  data: Buffer;
  mime: 'application/pdf';
  filename: string;
  pages: number;
  artifactPath: string | null;
}

/**
 * Why an alert could not be evaluated, as data each reader's message words in
 * their language (alertError.summary). The evaluation's `error` sentence stays
 * the operators' diagnostic, in English. It waits in the alert's outbox with
 * its notification (alerts/outbox.ts keeps its stored shape).
 */
export type AlertErrorReason =
  /** The backend answered an error status (401 and 403 are told as a refused access). */
  | { kind: 'http'; status: number }
  | { kind: 'timeout' }
  | { kind: 'unreachable' }
  | { kind: 'redirect' }
  | { kind: 'not-json' }
  /** The answer held no finite number at `valuePath`. */
  | { kind: 'no-value' };

export interface AlertFacts {
  name: string;
  /** The value read from the backend; null when the evaluation failed. */
  value: number | null;
  operator: Operator;
  threshold: number;
  /** Why the evaluation failed (alert-error): the operators' diagnostic, in English. */
  error?: string;
  /** The same as data, worded for each reader (absent: "its data could not be read"). */
  reason?: AlertErrorReason;
}

/** What a processor knows when it asks for a message to be sent. */
export interface MessageInput {
  kind: MessageKind;
  title: string;
  smallApp?: string;
  /** "Open in Toucan": the story, without export=true. */
  link?: string;
  sharedBy?: string;
  comment?: { author: string; text: string };
  image?: ImagePart;
  /**
   * The story the image shows, for its alternative text: its title (default:
   * the message's title), the job's description, the kind of chart when known.
   */
  story?: Partial<PicturedStory>;
  /**
   * Why the story image is missing: the job error's code (SELECTOR_TIMEOUT…)
   * when the story could not be captured on the job's last attempt.
   */
  imageProblem?: string;
  document?: DocumentPart;
  alert?: AlertFacts;
  /** Titles of a report's pages, in order; an empty one is "Page n" in the reader's language. */
  pageTitles?: string[];
  at: Date;
  timezone?: string;
  /** The job's language (BCP 47). */
  lang?: string;
}

/** What a target adds: its own subject, a note from the sender, and its own language. */
export interface TargetWords {
  subject?: string;
  message?: string;
  /** The target's `lang`: wins over the job's for this target's recipients. */
  lang?: string;
}

export interface Fact {
  label: string;
  value: string;
}

/** Channel-neutral content of one message, in one language. */
export interface Message {
  kind: MessageKind;
  /**
   * The reader's language tag (readerLanguage(): the target's or job's `lang`
   * when courier has its catalogue, else en-GB). Channels take the words of
   * their layout in it, and say it: `<html lang>`, Content-Language, the card's `lang`.
   */
  lang: string;
  /** The kind in words ("Resolved"). */
  label: string;
  subject: string;
  title: string;
  smallApp: string | null;
  /** One sentence saying what happened. */
  summary: string;
  sharedBy: string | null;
  comment: { author: string; text: string } | null;
  /** The sender's note from the delivery target. */
  note: string | null;
  facts: Fact[];
  /** The main action ("Open in Toucan"); null when there is no link. */
  action: { label: string; url: string } | null;
  image: ImagePart | null;
  /** The image's alternative text (alt-text.ts); null without an image. */
  imageAlt: string | null;
  document: DocumentPart | null;
  /** When it happened, formatted in the job's time zone. */
  time: string;
}

/** ICU select keys for the operators (">" cannot be one). */
const OPERATOR_NAME: Record<Operator, string> = {
  '>': 'gt',
  '>=': 'ge',
  '<': 'lt',
  '<=': 'le',
  '==': 'eq',
  '!=': 'ne',
};

interface Worded {
  summary: string;
  subject: string;
  facts: Fact[];
  actionLabel: string;
}

function alertWords(input: MessageInput, { t, tag, language }: Translator, time: string): Worded {
  const a = requireAlert(input);
  const value = a.value === null ? t('alert.valueUnknown') : formatNumber(a.value, tag);
  const condition = `${a.operator} ${formatNumber(a.threshold, tag)}`;
  const fact = (key: MessageKey, v: string): Fact => ({ label: t(key), value: v });
  const actionLabel = t('action.open');
  switch (input.kind) {
    case 'alert':
      return {
        summary: t('alert.summary', { name: a.name, value, operator: OPERATOR_NAME[a.operator], threshold: formatNumber(a.threshold, tag) }),
        subject: t('alert.subject', { name: a.name, value, condition }),
        facts: [fact('fact.value', value), fact('fact.condition', condition), fact('fact.time', time)],
        actionLabel,
      };
    case 'resolved':
      return {
        summary: t('resolved.summary', { name: a.name, value, condition }),
        subject: t('resolved.subject', { name: a.name, value }),
        facts: [fact('fact.value', value), fact('fact.condition', condition), fact('fact.time', time)],
        actionLabel,
      };
    case 'alert-error': {
      // The evaluation's error is a diagnostic for operators, in English
      // (the job's failed reason and the log have it): only an English
      // reader gets it verbatim; every reader gets what to do, in their language.
      const facts = [fact('fact.nextStep', t('alertError.nextStep')), fact('fact.time', time)];
      if (a.error && language === 'en') facts.unshift(fact('fact.error', a.error));
      return { summary: t('alertError.summary', { name: a.name, ...reasonValues(a.reason) }), subject: t('alertError.subject', { name: a.name }), facts, actionLabel };
    }
    default:
      return { summary: t('alertRecovered.summary', { name: a.name }), subject: t('alertRecovered.subject', { name: a.name }), facts: [fact('fact.time', time)], actionLabel };
  }
}

export function composeMessage(input: MessageInput, words: TargetWords = {}): Message {
  const reader = translator(words.lang ?? input.lang);
  const { t, tag } = reader;
  const time = formatTime(input.at, input.timezone, tag);
  // The small app is shown next to the title by every channel, so it is not repeated as a fact.
  let worded: Worded;
  switch (input.kind) {
    case 'share': {
      const who = input.sharedBy ?? t('share.someone');
      worded = {
        summary: t('share.summary', { who, title: input.title }),
        subject: input.smallApp ? t('share.subjectFromApp', { who, title: input.title, app: input.smallApp }) : t('share.subject', { who, title: input.title }),
        facts: [],
        actionLabel: t('action.open'),
      };
      break;
    }
    case 'report': {
      const pages = (input.pageTitles ?? []).map((title, i) => title || t('page.untitled', { number: i + 1 }));
      worded = {
        summary: t('report.summary', { title: input.title, count: pages.length }),
        subject: t('report.subject', { title: input.title, date: formatDate(input.at, input.timezone, tag) }),
        facts: [
          { label: t('fact.stories'), value: pages.join(' · ') || '—' },
          { label: t('fact.generated'), value: time },
        ],
        actionLabel: t('action.openReport'),
      };
      break;
    }
    default:
      worded = alertWords(input, reader, time);
  }

  if (input.imageProblem) {
    worded.facts.push({ label: t('fact.story'), value: t('story.notAttached', { reason: storyProblem(t, input.imageProblem) }) });
  }
  const image = input.image ?? null;
  return {
    kind: input.kind,
    lang: tag,
    label: t(KIND_LABEL[input.kind]),
    subject: words.subject ?? worded.subject,
    title: input.title,
    smallApp: input.smallApp ?? null,
    summary: worded.summary,
    sharedBy: input.sharedBy ?? null,
    comment: input.comment ?? null,
    note: words.message ?? null,
    facts: worded.facts,
    action: input.link ? { label: worded.actionLabel, url: input.link } : null,
    image,
    imageAlt: image ? altText(t, { title: input.story?.title ?? input.title, description: input.story?.description, kind: input.story?.kind }) : null,
    document: input.document ?? null,
    time,
  };
}

/** The catalogue's select key and HTTP status for why an alert cannot be evaluated. */
function reasonValues(reason: AlertErrorReason | undefined): { reason: string; status: number } {
  if (!reason) return { reason: 'other', status: 0 };
  switch (reason.kind) {
    case 'http':
      return { reason: reason.status === 401 || reason.status === 403 ? 'auth' : 'http', status: reason.status };
    case 'not-json':
      return { reason: 'notJson', status: 0 };
    case 'no-value':
      return { reason: 'noValue', status: 0 };
    default:
      return { reason: reason.kind, status: 0 };
  }
}

/** Why the story is missing, in words, with the job error's code after it for whoever reports it. */
function storyProblem(t: Translator['t'], problem: string): string {
  const code = /^[A-Z][A-Z_]+$/.test(problem) ? problem : 'other';
  const reason = t('story.problem', { code });
  return code === 'other' ? reason : `${reason} (${code})`;
}

function requireAlert(input: MessageInput): AlertFacts {
  if (!input.alert) throw new Error(`a ${input.kind} message needs alert facts`);
  return input.alert;
}
